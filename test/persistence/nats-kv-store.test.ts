import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, NatsKvCheckpointStore, playbook, step } from 'durable-playbooks';
import { hostsClosedAfterEach } from '../helpers/hosts.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';

const newHost = hostsClosedAfterEach();
let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('NatsKvCheckpointStore', () => {
  it('stores checkpoints in a KV bucket, keyed by agent, with compare-and-set saves', async () => {
    const store = await NatsKvCheckpointStore.open({ connection: nc, bucket: 'kv-basics', keepLastN: 3 });
    const r1 = await store.save('a1', 1, '{"format":1,"agentId":"a1","seq":1}', undefined);
    const r2 = await store.save('a1', 2, '{"format":1,"agentId":"a1","seq":2}', r1);
    expect(r2).toBeGreaterThan(r1);
    await expect(store.save('a1', 1, '{}', undefined)).rejects.toMatchObject({ code: ErrorCode.CheckpointConflict });
    await expect(store.save('a1', 3, '{"seq":3}', r1)).rejects.toMatchObject({ code: ErrorCode.CheckpointConflict });
    expect((await store.latest('a1'))?.data).toBe('{"format":1,"agentId":"a1","seq":2}');
    let revision = r2;
    for (let seq = 3; seq <= 6; seq++) revision = await store.save('a1', seq, `{"format":1,"agentId":"a1","seq":${seq}}`, revision);
    expect(await store.history('a1')).toEqual([4, 5, 6]); // bucket history = keep_last_n
    expect((await store.load('a1', 5))?.data).toContain('"seq":5');
    expect(await store.listAgents()).toEqual(['a1']);
    expect(await store.prune('a1', 1)).toBe(2);
    expect(await store.history('a1')).toEqual([6]);
    await store.delete('a1');
    expect(await store.latest('a1')).toBeUndefined();
  });

  it('keeps a checkpoint above the server max payload in an object store, with a reference in the bucket', async () => {
    const store = await NatsKvCheckpointStore.open({ connection: nc, bucket: 'kv-large', maxCheckpointSizeMb: 4 });
    const big = JSON.stringify({ format: 1, agentId: 'big', seq: 1, snapshot: { blob: 'z'.repeat(2_500_000) } });
    await store.save('big', 1, big, undefined);
    expect((await store.latest('big'))?.data).toBe(big);
    const entry = await (await new Kvm(nc).open('kv-large')).get('big');
    const reference = entry!.json<{ largeSnapshot: { objectStore: string; bytes: number }; seq: number }>();
    expect(reference.seq).toBe(1);
    expect(reference.largeSnapshot).toMatchObject({ objectStore: 'kv-large-large', bytes: big.length });
    await expect(store.save('big', 2, 'y'.repeat(5 * 1024 * 1024), 1)).rejects.toMatchObject({
      code: ErrorCode.CheckpointTooLarge,
    });
  });

  it('runs agents whose checkpoints exceed 1 MiB up to max_checkpoint_size_mb', async () => {
    const Big = step('Big', async () => 'q'.repeat(3 * 1024 * 1024));
    const host = await newHost({ durability: { storage: 'nats', maxCheckpointSizeMb: 8 }, natsConnection: nc, nats: { bucket: 'kv-agents' } });
    const agent = await host.spawn(playbook('BigResult', async () => (await Big()).length), { id: 'big-agent' });
    expect(await agent.result()).toBe(3 * 1024 * 1024);
    expect((await host.checkpoints!.getLatestCheckpoint('big-agent'))?.status).toBe('completed');
  });
});
