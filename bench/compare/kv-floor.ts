/**
 * The floor: raw NATS KV puts against the same nats-server as the NATS store run, of a value the
 * size of our mean checkpoint. A "workflow" here is as many sequential puts as our workflow
 * writes checkpoints (4, measured per run), a "step" is one put, and the throughput is measured with the same
 * number of puts in flight as workflows in the others — what no engine on this store can beat.
 */
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ReplyMux } from '../../messaging/reply-mux.js';
import { distribution } from '../stats.js';
import { PLAYBOOKS_DURABILITY, runConcurrently, unavailable, type SystemResult, type Workload } from './workload.js';

export interface FloorTarget {
  natsUrl: string;
  natsVersion: string;
  /** Bytes per put: our mean checkpoint size, measured in the same run. */
  valueBytes: number;
  /** Puts per "workflow": our checkpoints per workflow. */
  putsPerWorkflow: number;
}

export async function benchKvFloor(target: FloorTarget, workload: Workload): Promise<SystemResult> {
  const base = {
    id: 'kv-floor',
    name: `floor · ${target.putsPerWorkflow} raw NATS KV puts`,
    role: 'floor' as const,
    version: target.natsVersion,
    durability: PLAYBOOKS_DURABILITY.nats.replace(/^NATS KV/, 'raw NATS KV puts'),
  };
  const nc = await connect({ servers: target.natsUrl }).catch((error: unknown) => error as Error);
  if (nc instanceof Error) return unavailable(base, nc);
  try {
    const kv = await new Kvm(nc).create('compare-floor', { history: 10 });
    const value = new TextEncoder().encode('v'.repeat(target.valueBytes));
    const putsPerWorkflow = target.putsPerWorkflow;
    const oneWorkflow = async (key: string, samples?: number[]) => {
      for (let p = 0; p < putsPerWorkflow; p++) {
        const started = performance.now();
        await kv.put(`${key}.${p}`, value);
        samples?.push(performance.now() - started);
      }
    };

    for (let i = 0; i < workload.warmup; i++) await oneWorkflow(`warm-${i % 100}`);
    const putMs: number[] = [];
    const workflowMs: number[] = [];
    for (let i = 0; i < workload.sequentialRuns; i++) {
      const started = performance.now();
      await oneWorkflow(`seq-${i % 100}`, putMs);
      workflowMs.push(performance.now() - started);
    }

    // Throughput: `inFlight` puts at once, as many puts as the workflows' checkpoints (after
    // as many for the warm-up as the workflows' warm-up has).
    // Keys of their own for each phase, 1,000 of them: the measured puts fill each key's history
    // (10) and no more, so the server never drops an old value to make room while measured.
    let next = 0;
    let prefix = 'tp-warm';
    const put = () => kv.put(`${prefix}-${next++ % 1000}`, value);
    await runConcurrently(workload.throughputWarmup * putsPerWorkflow, workload.inFlight, put);
    const totalPuts = workload.total * putsPerWorkflow;
    prefix = 'tp';
    next = 0;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await runConcurrently(totalPuts, workload.inFlight, put);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const putsPerSecond = totalPuts / seconds;
    const lean = await leanPutRate(nc, value, totalPuts, workload);
    return {
      ...base,
      status: 'ok',
      sequential: { workflow: distribution(workflowMs), step: distribution(putMs) },
      throughput: {
        inFlight: workload.inFlight,
        total: workload.total,
        seconds,
        workflowsPerSecond: putsPerSecond / putsPerWorkflow,
        stepsPerSecond: putsPerSecond,
        // per "workflow" of `putsPerWorkflow` puts, like the others'
        workerCpuMsPerWorkflow: (cpu.user + cpu.system) / 1000 / workload.total,
      },
      details: { valueBytes: target.valueBytes, putsPerWorkflow, putsPerSecond, totalPuts, leanPutsPerSecond: lean.putsPerSecond, leanCpuMsPerPut: lean.cpuMsPerPut },
    };
  } catch (error) {
    return unavailable(base, error);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/**
 * The server's put rate when the client costs as little as it can: the same puts (a JetStream
 * publish on the key's subject, which is what a KV put is) through the request path our store
 * uses — one reply subscription, one protocol frame per put, no error object per request. The
 * client's `kv.put` costs several times its CPU, so the floor above is bound by the client as much
 * as by the server; this one says what the server itself can take.
 */
async function leanPutRate(nc: NatsConnection, value: Uint8Array, puts: number, workload: Workload): Promise<{ putsPerSecond: number; cpuMsPerPut: number }> {
  const mux = new ReplyMux(nc, 10_000);
  try {
    const text = Buffer.from(value).toString();
    let next = 0;
    let prefix = 'lean-warm';
    const put = () => mux.publish(`$KV.compare-floor.${prefix}-${next++ % 1000}`, text);
    await runConcurrently(Math.min(puts, 10_000), workload.inFlight, put);
    prefix = 'lean';
    next = 0;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await runConcurrently(puts, workload.inFlight, put);
    const cpu = process.cpuUsage(cpuBefore);
    return { putsPerSecond: puts / ((performance.now() - started) / 1000), cpuMsPerPut: (cpu.user + cpu.system) / 1000 / puts };
  } finally {
    mux.close();
  }
}
