/**
 * `npm run bench:history`: does a checkpoint cost more as the agent's history grows? One agent
 * runs a loop of steps (no continueAsNew), so its journal grows by one entry per step; the
 * memory store keeps storage out of the figure, leaving what the engine spends per checkpoint
 * (recording, the snapshot, encoding). Prints, around each history length, the p50 of the
 * checkpoint writes, of a whole loop iteration (step, record, checkpoint, resume) and of the
 * bytes written, next to the whole record (what the checkpoint stands for) encoded by
 * JSON.stringify.
 *   QUICK=1 npm run bench:history   — up to 1,000 steps instead of 5,000
 *   STORE=nats npm run bench:history — the NATS KV store on a private nats-server instead
 *   (the write then includes its round trip to the server)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost, MemoryCheckpointStore, playbook, startPrivateNatsServer, step, type CheckpointStore } from 'durable-playbooks';
import { distribution, ms, printTable } from './stats.js';

const quick = process.env.QUICK === '1';
const steps = quick ? 1_000 : 5_000;
const marks = [10, 100, 1_000, 5_000].filter((n) => n <= steps);
const WINDOW = 50; // writes measured around each mark

const stepStarts: number[] = [];
const Work = step('Work', async (i: number) => {
  stepStarts.push(performance.now());
  return { index: i, note: 'x'.repeat(80) }; // ~100 bytes
});
const LongLoop = playbook('LongLoop', async (count: number) => {
  for (let i = 0; i < count; i++) await Work(i);
  return count;
});

const onNats = process.env.STORE === 'nats';
const natsDir = onNats ? await mkdtemp(join(tmpdir(), 'bench-history-')) : undefined;
const nats = natsDir ? await startPrivateNatsServer({ dir: natsDir }) : undefined;
const logger = pino({ level: 'warn' });
const host = nats
  ? await createHost({ durability: { storage: 'nats' }, nats: { servers: [nats.url], namespace: 'history', bucket: 'history' }, logger, playbooks: [LongLoop] })
  : await createHost({ store: new MemoryCheckpointStore(), logger, playbooks: [LongLoop] });
const store = host.store as CheckpointStore;
const writeMs: number[] = [];
const writeBytes: number[] = [];
host.onEvent((event) => {
  if (event.type !== 'checkpointed') return;
  writeMs.push(event.durationMs);
  writeBytes.push(event.bytes);
});

const storeName = onNats ? 'NATS KV store (private nats-server)' : 'memory store';
console.log(`checkpoint cost by history length — one agent, ${steps} sequential steps, ${storeName}, node ${process.version}`);
const agent = await host.spawn(LongLoop, { id: 'long-loop', input: steps });
await agent.result();

// The whole record at each mark (the final one cut back to `mark` entries), encoded from scratch.
const finalRecord = JSON.parse((await store.latest('long-loop'))!.data) as { snapshot: { context: { journal: { entries: Record<string, unknown> } } } };
const rows = [];
for (const mark of marks) {
  const window = <T>(list: T[]) => list.slice(Math.max(1, mark - WINDOW / 2), mark + WINDOW / 2);
  const around = window(writeMs);
  const iterations = window(stepStarts.map((t, i) => t - (stepStarts[i - 1] ?? t)));
  const entries = Object.fromEntries(Object.entries(finalRecord.snapshot.context.journal.entries).slice(0, mark));
  const record = structuredClone(finalRecord);
  record.snapshot.context.journal.entries = entries;
  const wholeMs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    bytes = JSON.stringify(record).length;
    wholeMs.push(performance.now() - started);
  }
  const written = distribution(window(writeBytes)).p50;
  rows.push([
    String(mark),
    `${(written / 1024).toFixed(1)} KiB`,
    `${(bytes / 1024).toFixed(1)} KiB`,
    ms(distribution(around).p50),
    ms(distribution(iterations).p50),
    ms(distribution(wholeMs).p50),
  ]);
}
printTable(
  ['journal entries', 'bytes written p50', 'whole record', 'checkpoint write p50 ms', 'loop iteration p50 ms', 'JSON.stringify(whole) p50 ms'],
  rows,
);
console.log('\nbytes written: the record as stored (sealed journal blocks are stored once, apart, and named);');
console.log('whole record: what it stands for, as a reader gets it. A checkpoint write covers the snapshot,');
console.log('the encoding and the store; a loop iteration covers a step, recording it, its checkpoint and the');
console.log('resume. The last column is what encoding the whole record from scratch would cost on its own.');
await host.close();
await nats?.stop({ removeStore: true });
if (natsDir) await rm(natsDir, { recursive: true, force: true });
