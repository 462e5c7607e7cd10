/**
 * `npm run bench`: prints the figures and writes them to bench/results/. Report medians and
 * ratios from one run: these machines are noisy, single timings mean little.
 *   QUICK=1 npm run bench   — fewer iterations, for a smoke run
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCore } from './core.js';
import { benchNats } from './nats.js';
import { ms, printTable } from './stats.js';

const quick = process.env.QUICK === '1';
const options = quick
  ? { sequentialRuns: 100, warmup: 20, inFlight: 200, total: 400 }
  : { sequentialRuns: 1_000, warmup: 100, inFlight: 200, total: 2_000 };

console.log(`durable-playbooks benchmark — node ${process.version}, ${availableParallelism()} CPUs${quick ? ' (QUICK)' : ''}`);
console.log(`engine: ${relative(process.cwd(), fileURLToPath(import.meta.resolve('durable-playbooks')))} (compiled by npm run build, as it ships)`);
console.log(`3-step playbook, ~100-byte step results; sequential: ${options.sequentialRuns} runs; throughput: ${options.inFlight} in flight, ${options.total} workflows\n`);

const results = await benchCore(options);
const nats = await benchNats(options);
results.splice(0, 0, nats.store);
const off = results.find((r) => r.mode === 'durability off')!;
printTable(
  ['mode', 'workflow p50 ms', 'workflow p99 ms', 'checkpoint p50 ms', 'checkpoint p99 ms', 'checkpoints/wf', 'workflows/s', 'vs off (throughput)'],
  results.map((r) => [
    r.mode,
    ms(r.workflow.p50),
    ms(r.workflow.p99),
    r.checkpoint ? ms(r.checkpoint.p50) : '—',
    r.checkpoint ? ms(r.checkpoint.p99) : '—',
    r.checkpointsPerWorkflow.toFixed(1),
    r.throughput.toFixed(0),
    `${(r.throughput / off.throughput).toFixed(3)}×`,
  ]),
);

const { store, floor } = nats;
console.log(`\nfloor — raw NATS KV put of ${floor.valueBytes} bytes (the mean checkpoint size), same server:`);
printTable(
  ['put p50 ms', 'put p99 ms', 'puts/s (200 in flight)'],
  [[ms(floor.put.p50), ms(floor.put.p99), floor.putsPerSecond.toFixed(0)]],
);
const checkpointsPerSecond = store.throughput * store.checkpointsPerWorkflow;
console.log(`\nNATS KV store vs the floor (same run):`);
console.log(`  checkpoint p50 / KV put p50:             ${(store.checkpoint!.p50 / floor.put.p50).toFixed(2)}×`);
console.log(`  workflow p50 / (checkpoints × put p50):  ${(store.workflow.p50 / (store.checkpointsPerWorkflow * floor.put.p50)).toFixed(2)}×`);
console.log(`  checkpoints/s (200 in flight) / puts/s:  ${(checkpointsPerSecond / floor.putsPerSecond).toFixed(3)} (${checkpointsPerSecond.toFixed(0)} / ${floor.putsPerSecond.toFixed(0)})`);
for (const r of results.filter((x) => x !== off)) {
  console.log(`${r.mode}: workflow p50 ${(r.workflow.p50 / off.workflow.p50).toFixed(1)}× durability-off; throughput ${(off.throughput / r.throughput).toFixed(1)}× lower`);
}

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/core.json', import.meta.url), `${JSON.stringify({ at: new Date().toISOString(), node: process.version, options, results, natsFloor: floor }, null, 2)}\n`);
console.log('\nwritten to bench/results/core.json');
