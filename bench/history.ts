/**
 * `npm run bench:history`: does a checkpoint cost more as the agent's history grows? One agent
 * runs a loop of steps (no continueAsNew), so its journal grows by one entry per step; the
 * memory store keeps storage out of the figure, leaving what the engine spends per checkpoint
 * (recording, the snapshot, encoding). Prints the p50 of the checkpoint writes around each
 * history length, and the same record encoded whole by JSON.stringify for comparison.
 *   QUICK=1 npm run bench:history   — up to 1,000 steps instead of 5,000
 */
import { pino } from 'pino';
import { createHost, playbook, step } from 'durable-playbooks';
import { MemoryCheckpointStore } from '../persistence/memory-store.js';
import { distribution, ms, printTable } from './stats.js';

const quick = process.env.QUICK === '1';
const steps = quick ? 1_000 : 5_000;
const marks = [10, 100, 1_000, 5_000].filter((n) => n <= steps);
const WINDOW = 50; // writes measured around each mark

const Work = step('Work', async (i: number) => ({ index: i, note: 'x'.repeat(80) })); // ~100 bytes
const LongLoop = playbook('LongLoop', async (count: number) => {
  for (let i = 0; i < count; i++) await Work(i);
  return count;
});

const store = new MemoryCheckpointStore();
const host = await createHost({ store, logger: pino({ level: 'warn' }), playbooks: [LongLoop] });
const writeMs: number[] = [];
host.onEvent((event) => {
  if (event.type === 'checkpointed') writeMs.push(event.durationMs);
});

console.log(`checkpoint cost by history length — one agent, ${steps} sequential steps, memory store, node ${process.version}`);
const agent = await host.spawn(LongLoop, { id: 'long-loop', input: steps });
await agent.result();

// The whole record at each mark (the final one cut back to `mark` entries), encoded from scratch.
const finalRecord = JSON.parse((await store.latest('long-loop'))!.data) as { snapshot: { context: { journal: { entries: Record<string, unknown> } } } };
const rows = [];
for (const mark of marks) {
  const around = writeMs.slice(Math.max(1, mark - WINDOW / 2), mark + WINDOW / 2);
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
  rows.push([String(mark), `${(bytes / 1024).toFixed(1)} KiB`, ms(distribution(around).p50), ms(distribution(wholeMs).p50)]);
}
printTable(['journal entries', 'checkpoint size', 'checkpoint write p50 ms (engine)', 'JSON.stringify of the whole record p50 ms'], rows);
console.log('\nA checkpoint write (first data column) includes recording the step, the snapshot and the encoding;');
console.log('the last column is what encoding the whole record from scratch would cost on its own.');
await host.close();
