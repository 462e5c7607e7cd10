/**
 * The engine benchmark: a 3-step playbook whose steps return ~100-byte JSON, run with
 * durability on (file store, fsync) and off, in the same process and run.
 *   - sequential: one workflow at a time; latency per workflow and per checkpoint write
 *   - throughput: 200 workflows in flight, workflows per second
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost, playbook, step, type DurabilityConfig, type Host } from 'durable-playbooks';
import { distribution, type Distribution } from './stats.js';

const payload = (i: number, name: string) => ({ step: name, index: i, note: 'x'.repeat(60) }); // ~100 bytes
const StepA = step('StepA', async (i: number) => payload(i, 'A'));
const StepB = step('StepB', async (i: number) => payload(i, 'B'));
const StepC = step('StepC', async (i: number) => payload(i, 'C'));
export const ThreeSteps = playbook('ThreeSteps', async (i: number) => {
  await StepA(i);
  await StepB(i);
  return (await StepC(i)).index;
});

export interface CoreResult {
  mode: string;
  workflow: Distribution;
  checkpoint: Distribution | undefined;
  checkpointsPerWorkflow: number;
  throughput: number;
}

export interface CoreOptions {
  sequentialRuns: number;
  warmup: number;
  inFlight: number;
  total: number;
}

export async function measureWorkflows(mode: string, host: Host, options: CoreOptions): Promise<CoreResult> {
  const checkpointMs: number[] = [];
  let checkpoints = 0;
  let recording = false;
  host.onEvent((event) => {
    if (event.type !== 'checkpointed' || !recording) return;
    checkpoints++;
    checkpointMs.push(event.durationMs);
  });

  let next = 0;
  const runOne = async () => {
    const agent = await host.spawn(ThreeSteps, { id: `${mode}-${next}`, input: next++ });
    await agent.result();
  };
  for (let i = 0; i < options.warmup; i++) await runOne();

  recording = true;
  const workflowMs: number[] = [];
  for (let i = 0; i < options.sequentialRuns; i++) {
    const started = performance.now();
    await runOne();
    workflowMs.push(performance.now() - started);
  }
  recording = false;
  const checkpointsPerWorkflow = checkpoints / options.sequentialRuns;

  const started = performance.now();
  let launched = 0;
  const lane = async () => {
    while (launched < options.total) {
      launched++;
      await runOne();
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, lane));
  const throughput = options.total / ((performance.now() - started) / 1000);

  return {
    mode,
    workflow: distribution(workflowMs),
    checkpoint: checkpointMs.length ? distribution(checkpointMs) : undefined,
    checkpointsPerWorkflow,
    throughput,
  };
}

export async function benchCore(options: CoreOptions): Promise<CoreResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'playbooks-bench-'));
  const logger = pino({ level: 'warn' });
  const modes: [string, Partial<DurabilityConfig>][] = [
    ['file store (fsync)', { storage: 'file', storagePath: join(dir, 'fsync'), fsync: true }],
    ['file store (no fsync)', { storage: 'file', storagePath: join(dir, 'nofsync'), fsync: false }],
    ['log store (fsync)', { storage: 'log', storagePath: join(dir, 'log'), fsync: true }],
    ['durability off', { enabled: false }],
  ];
  const results: CoreResult[] = [];
  try {
    for (const [mode, durability] of modes) {
      const host = await createHost({ durability, logger, playbooks: [ThreeSteps] });
      results.push(await measureWorkflows(mode.replace(/\W+/g, '-'), host, options).then((r) => ({ ...r, mode })));
      await host.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
