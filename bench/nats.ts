/**
 * The NATS benchmark, against one private nats-server (JetStream, file storage):
 *   - the 3-step playbook with the NATS KV store: sequential latency per workflow and per
 *     checkpoint, and throughput with 200 workflows in flight;
 *   - the floor: raw KV puts of a value the size of those checkpoints, sequential and 200 in flight.
 */
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { createHost } from 'durable-playbooks';
import { startNatsServer } from '../test/helpers/nats-server.js';
import { measureWorkflows, ThreeSteps, type CoreOptions, type CoreResult } from './core.js';
import { distribution, type Distribution } from './stats.js';

export interface KvFloor {
  valueBytes: number;
  put: Distribution;
  putsPerSecond: number;
}

export interface NatsBenchResult {
  store: CoreResult;
  floor: KvFloor;
}

export async function benchNats(options: CoreOptions): Promise<NatsBenchResult> {
  await using server = await startNatsServer();
  const host = await createHost({
    durability: { storage: 'nats' },
    nats: { servers: [server.url], namespace: 'bench', bucket: 'bench-checkpoints' },
    playbooks: [ThreeSteps],
    logger: pino({ level: 'warn' }),
  });
  let bytes = 0;
  let writes = 0;
  host.onEvent((event) => {
    if (event.type === 'checkpointed') {
      bytes += event.bytes;
      writes++;
    }
  });
  const store = { ...(await measureWorkflows('nats-kv', host, options)), mode: 'NATS KV store' };
  await host.close();
  const valueBytes = Math.round(bytes / writes);
  const floor = await kvFloor(server.url, valueBytes, options);
  return { store, floor };
}

async function kvFloor(url: string, valueBytes: number, options: CoreOptions): Promise<KvFloor> {
  const nc = await connect({ servers: url });
  try {
    const kv = await new Kvm(nc).create('bench-floor', { history: 10 });
    const value = new TextEncoder().encode('v'.repeat(valueBytes));
    for (let i = 0; i < options.warmup; i++) await kv.put(`warm-${i}`, value);
    const samples: number[] = [];
    for (let i = 0; i < options.sequentialRuns; i++) {
      const started = performance.now();
      await kv.put(`seq-${i % 100}`, value);
      samples.push(performance.now() - started);
    }
    const total = options.total * 5; // as many puts as the workflows' checkpoints
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.inFlight }, async () => {
        while (next < total) await kv.put(`tp-${next++ % 1000}`, value);
      }),
    );
    return { valueBytes, put: distribution(samples), putsPerSecond: total / ((performance.now() - started) / 1000) };
  } finally {
    await nc.close();
  }
}
