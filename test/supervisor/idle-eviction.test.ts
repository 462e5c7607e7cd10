import { describe, expect, it } from 'vitest';
import { playbook, receive, sleep, step } from 'durable-playbooks';
import { hostsClosedAfterEach, until } from '../helpers/hosts.js';
import { natsServerForFile, PlainClient } from '../helpers/nats-client.js';
import { tempDir } from '../helpers/temp-dir.js';

const newHost = hostsClosedAfterEach();
const shared = natsServerForFile();

let prepared = 0;
const Prepare = step('Prepare', async (n: number) => {
  prepared++;
  return n * 2;
});
const Waiter = playbook('Waiter', async (n: number) => {
  const doubled = await Prepare(n);
  const extra = await receive<number>('go');
  return doubled + extra;
});
const Sleeper = playbook('Sleeper', async () => {
  await sleep(600);
  return 'woke on time';
});

describe('idle agents are let go of from memory', () => {
  it('parks waiting agents and brings one back with a message or a timer (file store)', async () => {
    await using dir = await tempDir();
    prepared = 0;
    const host = await newHost({ durability: { storagePath: dir.path, fsync: false }, supervisor: { idleEvictionSeconds: 0.1 }, playbooks: [Waiter, Sleeper] });
    const agents = await Promise.all(Array.from({ length: 200 }, (_, n) => host.spawn(Waiter, { id: `waiter-${n}`, input: n })));
    const sleeper = await host.spawn(Sleeper, { id: 'sleeper' });
    await until(() => host.evictedCount === 201, 10_000, 'every waiting agent to be parked');
    expect(host.list()).toEqual([]);
    expect(agents[7]!.status()).toMatchObject({ agentId: 'waiter-7', state: 'waiting', evicted: true, playbook: 'Waiter' });

    await agents[7]!.send('go', 1000);
    expect(await agents[7]!.result()).toBe(1014);
    expect(await sleeper.result()).toBe('woke on time'); // its timer brought it back
    expect(host.evictedCount).toBe(199);
    expect(prepared).toBe(200); // brought back from the checkpoint: Prepare did not run again
  });

  it('a message on NATS wakes a parked agent', async () => {
    const host = await newHost({
      durability: { storage: 'nats' },
      nats: { servers: [shared.server.url], namespace: 'idle', bucket: 'cp-idle' },
      supervisor: { idleEvictionSeconds: 0.1 },
      playbooks: [Waiter],
    });
    const agent = await host.spawn(Waiter, { id: 'napper', input: 5 });
    await until(() => host.evictedCount === 1, 10_000, 'the agent to be parked');
    await using client = await PlainClient.connect(shared.server.url);
    await client.jsPublish('playbooks.idle.agent.napper.inbox', { type: 'go', payload: 1 });
    expect(await agent.result()).toBe(11);
  });
});
