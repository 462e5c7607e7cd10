/**
 * Runs the Source → Transformer → Sink pipeline as three supervised agents talking over NATS.
 * Transformer crashes once mid-way; its supervisor restarts it from its last good checkpoint
 * and the pipeline completes with every item processed exactly once.
 *
 *   npm run example:pipeline                  # 8 items, crash at item 5
 *   tsx run.ts --items 12 --crash-at 9
 *   tsx run.ts --crash-at 0                   # no crash
 *
 * NATS: PLAYBOOKS_NATS_SERVERS if set, else a private nats-server whose data (in
 * ./.playbooks/nats) is removed at the end: this example's story is the restart within a run.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createHost, startPrivateNatsServer } from 'durable-playbooks';
import { completedRuns, Sink, Source, Transformer } from './pipeline.js';

const { values } = parseArgs({ options: { items: { type: 'string', default: '8' }, 'crash-at': { type: 'string', default: '5' } } });
const size = Number(values.items);
const crashAt = Number(values['crash-at']) || undefined;
if (!Number.isInteger(size) || size < 1) {
  console.error(`--items ${values.items}: expected a whole number ≥ 1`);
  process.exit(2);
}

// ── NATS: the one given, or a private nats-server for this example ─────────────────────────
const given = process.env.PLAYBOOKS_NATS_SERVERS;
const nats = given ? undefined : await startPrivateNatsServer({ dir: fileURLToPath(new URL('./.playbooks/nats', import.meta.url)) });

const host = await createHost({
  configFile: fileURLToPath(new URL('./playbooks.toml', import.meta.url)),
  ...(nats ? { nats: { servers: [nats.url] } } : {}), // PLAYBOOKS_NATS_SERVERS is read from the environment by the config
  playbooks: [Source, Transformer, Sink],
  logger: pino({ level: process.env.PLAYBOOKS_LOG_LEVEL ?? 'silent' }), // the lines below tell the story
});

// A short backoff so the restart is quick to watch; 3 restarts in 30 s before it gives up.
const backoff = { initialDelayMs: 200, maxDelayMs: 2_000 };
await host.supervisor('pipeline', { strategy: 'one_for_one', maxRestarts: 3, periodSeconds: 30, backoff });

console.log(`Pipeline: Source ─item→ Transformer ─result→ Sink, squaring 1..${size}` + (crashAt ? ` (Transformer crashes at item ${crashAt})` : ''));
console.log(`  NATS ${host.config.nats.servers.join(',')}${nats ? ` (private nats-server, data in examples/pipeline/.playbooks/nats)` : ''}, namespace "${host.config.nats.namespace}"`);
console.log(`  supervisor "pipeline": one_for_one, at most 3 restarts in 30 s, backoff from ${backoff.initialDelayMs} ms`);

// start() once the supervisor exists: it resumes what an interrupted earlier run left
// unfinished, back under the supervisor it ran under.
const { recovery } = await host.start();
if (recovery?.resumed.length) console.log(`  ↻ resumed ${recovery.resumed.length} unfinished agents of an earlier run: ${recovery.resumed.map((a) => a.id).join(', ')}`);
console.log();

// ── What the supervisor and the agents do, as it happens ──────────────────────────────────
const run = Date.now().toString(36); // fresh agent ids for each run
const ids = { source: `source-${run}`, transformer: `transformer-${run}`, sink: `sink-${run}` };
const lastCheckpoint = new Map<string, number>();
host.onEvent((event) => {
  switch (event.type) {
    case 'checkpointed':
      lastCheckpoint.set(event.agentId, event.seq);
      break;
    case 'failed':
      console.log(`  ✖ ${event.agentId} crashed: ${event.error.message} (checkpoint ${lastCheckpoint.get(event.agentId)} records the error)`);
      break;
    case 'supervisor.restarting':
      console.log(`  ↻ supervisor "${event.supervisor}" restarts ${event.agentId} in ${event.delayMs} ms (restart #${event.restarts})`);
      break;
    case 'restarted':
      console.log(`  ↻ ${event.agentId} resumes from checkpoint ${event.seq}, its last good one — ${event.resumeAt}`);
      break;
    case 'completed':
      console.log(`  ✔ ${event.agentId} completed: ${JSON.stringify(event.result)}`);
      break;
  }
});

// Consumers first: a message sent to an agent that does not exist yet would be dropped.
const sink = await host.spawn(Sink, { id: ids.sink, supervisor: 'pipeline' });
const transformer = await host.spawn(Transformer, { id: ids.transformer, input: { to: ids.sink, ...(crashAt ? { crashAt } : {}) }, supervisor: 'pipeline' });
const source = await host.spawn(Source, { id: ids.source, input: { size, to: ids.transformer }, supervisor: 'pipeline' });

// Never hang silently: if the pipeline stalls, say where each agent is.
const watchdog = setTimeout(() => {
  console.log(`\n✖ the pipeline did not finish within 30 s:`);
  for (const agent of [source, transformer, sink]) console.log(`  ${agent.id}: ${JSON.stringify(agent.status())}`);
  process.exit(1);
}, 30_000);
const [summary] = await Promise.all([sink.result(), transformer.result(), source.result()]);
clearTimeout(watchdog);

// ── The proof: every item was squared once and stored once ────────────────────────────────
console.log('\nExactly once — how many times each step completed, per item:');
console.log('  item  Square  Store');
let exactlyOnce = true;
for (let n = 1; n <= size; n++) {
  const squared = completedRuns.Square.get(`${ids.transformer}/${n}`) ?? 0;
  const stored = completedRuns.Store.get(`${ids.sink}/${n}`) ?? 0;
  exactlyOnce &&= squared === 1 && stored === 1;
  console.log(`  ${String(n).padStart(4)}  ${String(squared).padStart(6)}  ${String(stored).padStart(5)}`);
}
const expected = (size * (size + 1) * (2 * size + 1)) / 6;
const ok = exactlyOnce && summary.items === size && summary.sum === expected;
console.log(
  ok
    ? `  ✔ all ${size} items processed exactly once; sum of squares ${summary.sum} (expected ${expected})`
    : `  ✖ MISMATCH: ${JSON.stringify(summary)}, expected ${size} items with sum ${expected}`,
);
console.log(`  transformer restarts: ${transformer.status().restarts ?? 0}`);

await host.close();
await nats?.stop({ removeStore: true });
process.exitCode = ok ? 0 : 1;
