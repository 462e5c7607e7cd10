/**
 * `npm run bench:idle`: how many waiting agents one host holds, and what each costs.
 *   phase 1: IDLE_LIVE (default 10,000) agents waiting in `receive`, kept in memory;
 *   phase 2: IDLE_AGENTS (default 100,000) agents waiting in `receive`, parked by idle eviction;
 * heap per agent (after a forced GC) in each phase, then a message wakes one parked agent.
 * Run with --expose-gc (the npm script does). NATS KV store on a private nats-server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost, playbook, receive, startPrivateNatsServer, type Host } from 'durable-playbooks';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:idle does)');
const live = Number(process.env.IDLE_LIVE ?? 10_000);
const parked = Number(process.env.IDLE_AGENTS ?? 100_000);
const Idle = playbook('Idle', async () => receive<string>('wake'));

function heapMb(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

async function spawnMany(host: Host, prefix: string, count: number): Promise<number> {
  const started = performance.now();
  const batch = 500;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, j) => host.spawn(Idle, { id: `${prefix}-${i + j}` })));
    if ((i / batch) % 40 === 0) process.stdout.write(`\r  spawned ${i + batch} / ${count}`);
  }
  process.stdout.write('\n');
  return count / ((performance.now() - started) / 1000);
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  while (!check()) {
    process.stdout.write(`\r  waiting for ${what}…`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  process.stdout.write('\n');
}

const dir = await mkdtemp(join(tmpdir(), 'playbooks-idle-'));
const nats = await startPrivateNatsServer({ dir: join(dir, 'nats') });
const logger = pino({ level: 'warn' });
try {
  console.log(`idle agents benchmark — node ${process.version}; NATS KV store on a private nats-server`);

  const inMemory = await createHost({ durability: { storage: 'nats' }, nats: { servers: [nats.url], namespace: 'live' }, supervisor: { idleEvictionSeconds: 0 }, playbooks: [Idle], logger });
  const before1 = heapMb();
  const rate1 = await spawnMany(inMemory, 'live', live);
  await waitFor(() => inMemory.list().every((a) => a.state === 'waiting'), 'every agent to wait');
  const perLive = ((heapMb() - before1) * 1024 * 1024) / live;
  await inMemory.close();

  const host = await createHost({ durability: { storage: 'nats' }, nats: { servers: [nats.url], namespace: 'parked' }, supervisor: { idleEvictionSeconds: 1 }, playbooks: [Idle], logger });
  const before2 = heapMb();
  const rate2 = await spawnMany(host, 'idle', parked);
  await waitFor(() => host.evictedCount === parked, `all ${parked} agents to be parked`);
  const heapAfter = heapMb();
  const perParked = ((heapAfter - before2) * 1024 * 1024) / parked;

  const target = `idle-${Math.floor(Math.random() * parked)}`;
  const woke = performance.now();
  await host.sendTo(target, 'wake', 'hello');
  const result = await host.get(target)!.result();
  const wakeMs = performance.now() - woke;

  console.log('\nagents waiting in receive()            count     heap per agent   spawn rate');
  console.log(`kept in memory                        ${String(live).padStart(7)}   ${(perLive / 1024).toFixed(2).padStart(8)} KiB   ${rate1.toFixed(0)}/s`);
  console.log(`parked by idle eviction               ${String(parked).padStart(7)}   ${(perParked / 1024).toFixed(2).padStart(8)} KiB   ${rate2.toFixed(0)}/s`);
  console.log(`\nheap with ${parked} parked agents: ${heapAfter.toFixed(0)} MiB; in-memory/parked cost ratio ${(perLive / perParked).toFixed(1)}×`);
  console.log(`a message to parked agent ${target} woke it: result ${JSON.stringify(result)} after ${wakeMs.toFixed(1)} ms (one run; wake = claim write + replay)`);
  await host.close();
} finally {
  await nats.stop();
  await rm(dir, { recursive: true, force: true });
}
