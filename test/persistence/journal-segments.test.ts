import { readdir, rm } from 'node:fs/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointManager,
  decodeCheckpoint,
  FileCheckpointStore,
  ErrorCode,
  MemoryCheckpointStore,
  playbook,
  receive,
  step,
  type CheckpointStore,
  type Frame,
  type Host,
  type HostOptions,
} from 'durable-playbooks';
import { createActor } from 'xstate';
import { agentMachine } from '../../actors/agent-machine.js';
import { persistedSnapshot } from '../../actors/persisted-snapshot.js';
import { stringifySnapshot } from '../../persistence/incremental-json.js';
import { JournalSegmenter, KNOWN_AGENTS_MAX, SEGMENT_ENTRIES, SegmentKeeper } from '../../persistence/journal-segments.js';
import { hostsClosedAfterEach, until } from '../helpers/hosts.js';
import { natsServerForFile, PlainClient } from '../helpers/nats-client.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const newHost = hostsClosedAfterEach();
const nats = natsServerForFile();

const OUTER_STEPS = 300;
const INNER_STEPS = 200;
let stepRuns = 0;
const Work = step('SegmentWork', async (i: number) => {
  stepRuns++;
  return { i, note: 'n'.repeat(60) };
});
// A child whose open frame is long too: it waits for a message after its loop.
const Inner = playbook('SegmentInner', async (n: number) => {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (await Work(i)).i;
  return { sum, message: await receive<string>('go') };
});
const Long = playbook('SegmentLong', async () => {
  let sum = 0;
  for (let i = 0; i < OUTER_STEPS; i++) sum += (await Work(i)).i;
  return { sum, inner: await Inner(INNER_STEPS) };
});
const EXPECTED = { sum: (OUTER_STEPS * (OUTER_STEPS - 1)) / 2, inner: { sum: (INNER_STEPS * (INNER_STEPS - 1)) / 2, message: 'now' } };

/** Where each store under test keeps its checkpoints: host options that reopen the same store. */
type StoreSetup = { name: string; options: () => Promise<HostOptions & AsyncDisposable> };
const setups: StoreSetup[] = [
  {
    name: 'memory',
    options: async () => {
      const store = new MemoryCheckpointStore();
      return { store, async [Symbol.asyncDispose]() {} };
    },
  },
  {
    name: 'file',
    options: async () => {
      const dir = await tempDir();
      return { durability: { storagePath: dir.path }, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
    },
  },
  {
    name: 'log',
    options: async () => {
      const dir = await tempDir();
      return { durability: { storage: 'log', storagePath: dir.path }, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
    },
  },
  {
    name: 'NATS KV',
    options: async () => {
      const bucket = `segments-${Math.random().toString(36).slice(2, 8)}`;
      return { durability: { storage: 'nats' }, nats: { servers: [nats.server.url], namespace: bucket, bucket }, async [Symbol.asyncDispose]() {} };
    },
  },
];

async function untilWaiting(host: Host, agentId: string): Promise<void> {
  await until(async () => (await host.checkpoints!.getLatestCheckpoint(agentId))?.status === 'waiting', 20_000, `${agentId} to wait`);
}

const entryCount = (frame: Frame) => Object.keys(frame.entries).length;

describe.each(setups)('journal segments ($name store)', (setup) => {
  it('keeps each checkpoint small as the journal grows, and recovers the whole journal', async () => {
    await using options = await setup.options();
    const first = await newHost({ ...options, playbooks: [Long] });
    stepRuns = 0;
    await first.spawn(Long, { id: 'long' });
    await untilWaiting(first, 'long');
    expect(stepRuns).toBe(OUTER_STEPS + INNER_STEPS);

    const store = first.store as CheckpointStore;
    const latest = (await store.latest('long'))!;
    // As stored: the sealed blocks are named, not included.
    expect(latest.storedData).toBeDefined();
    const stored = JSON.parse(latest.storedData!);
    const root = stored.snapshot.context.journal;
    expect(root.segments).toHaveLength(Math.floor(OUTER_STEPS / SEGMENT_ENTRIES));
    expect(root.entries['300'].frame.segments).toHaveLength(Math.floor(INNER_STEPS / SEGMENT_ENTRIES));
    expect(latest.storedData!.length).toBeLessThan(latest.data.length / 3);
    // As read: the whole journal, in order.
    const record = decodeCheckpoint(latest);
    if (record.kind === 'machine') throw new Error('not a playbook record');
    const journal = record.snapshot.context.journal;
    expect(entryCount(journal)).toBe(OUTER_STEPS + 1);
    expect(Object.keys(journal.entries).slice(0, 3)).toEqual(['0', '1', '2']);
    expect(journal.entries['299']).toEqual({ kind: 'step', name: 'SegmentWork', done: true, value: { i: 299, note: 'n'.repeat(60) } });
    expect(entryCount(journal.entries['300']!.frame!)).toBe(INNER_STEPS + 1);

    // An older checkpoint still reads whole.
    const history = await first.checkpoints!.listCheckpoints('long');
    const older = await first.checkpoints!.loadCheckpoint('long', history.at(-3)!.seq);
    expect(older && older.kind !== 'machine' && entryCount(older.snapshot.context.journal)).toBe(OUTER_STEPS + 1);
    await first.close();

    // Another host resumes from the segmented checkpoint: no step runs again.
    const second = await newHost({ ...options, playbooks: [Long] });
    const [agent] = (await second.recover()).resumed;
    await agent!.send('go', 'now');
    expect(await agent!.result()).toEqual(EXPECTED);
    expect(stepRuns).toBe(OUTER_STEPS + INNER_STEPS);
  });
});

describe('journal segments', () => {
  it('seals a block around a call that stays open (a receive raced against a loop): that call stays inline', async () => {
    let runs = 0;
    const Tick = step('RacedTick', async (i: number) => {
      runs++;
      return i;
    });
    const Raced = playbook('Raced', async () => {
      const stop = receive<string>('stop'); // position 0: open the whole time the loop runs
      let sum = 0;
      for (let i = 0; i < 200; i++) sum += await Tick(i);
      return { sum, stop: await stop };
    });
    const store = new MemoryCheckpointStore();
    const first = await newHost({ store, playbooks: [Raced] });
    await first.spawn(Raced, { id: 'raced' });
    // (Its state says running: the steps moved it on from the receive's wait.)
    await until(async () => (await store.latest('raced'))?.data.includes('"200":') ?? false, 20_000, 'the last step to be checkpointed');
    const latest = (await store.latest('raced'))!;
    const root = JSON.parse(latest.storedData!).snapshot.context.journal;
    expect(root.segments).toHaveLength(3); // blocks 0–63 (without position 0), 64–127 and 128–191
    expect(root.entries['0']).toEqual({ kind: 'receive', name: 'stop' });
    expect(Object.keys(root.entries)).toEqual(['0', ...Array.from({ length: 9 }, (_, i) => String(192 + i))]);
    await first.close();

    const second = await newHost({ store, playbooks: [Raced] });
    const [agent] = (await second.recover()).resumed;
    await agent!.send('stop', 'now');
    expect(await agent!.result()).toEqual({ sum: (200 * 199) / 2, stop: 'now' });
    expect(runs).toBe(200);
    const done = decodeCheckpoint((await store.latest('raced'))!);
    const journal = done.kind !== 'machine' ? done.snapshot.context.journal : undefined;
    expect(journal?.entries['0']).toMatchObject({ kind: 'receive', done: true, value: 'now' });
    expect(journal && entryCount(journal)).toBe(201);
  });

  it('NATS KV: the segments bucket is made on first use, and deleting the agent removes its segments', async () => {
    const bucket = 'segments-delete';
    const host = await newHost({ durability: { storage: 'nats' }, nats: { servers: [nats.server.url], namespace: bucket, bucket }, playbooks: [Long] });
    await expect(nats.client.streamMessages(`KV_${bucket}-segments`)).rejects.toThrow(/stream not found/);
    await host.spawn(Long, { id: 'long' });
    await untilWaiting(host, 'long');
    expect(await nats.client.streamMessages(`KV_${bucket}-segments`)).toBeGreaterThan(0);
    await host.store!.delete('long');
    expect(await nats.client.streamMessages(`KV_${bucket}-segments`)).toBe(0);
    expect(await host.store!.latest('long')).toBeUndefined();
  });

  it('NATS KV: an agent resumed on another host does not write its sealed segments again', async () => {
    const bucket = 'segments-resume';
    const options = { durability: { storage: 'nats' as const }, nats: { servers: [nats.server.url], namespace: bucket, bucket }, playbooks: [Long] };
    const first = await newHost(options);
    await first.spawn(Long, { id: 'long' });
    await untilWaiting(first, 'long');
    // Every put, even of a key already there, takes a new stream sequence.
    const puts = async () => (await (await jetstreamManager(nats.client.nc)).streams.info(`KV_${bucket}-segments`)).state.last_seq;
    // The child's blocks have the same entries as the root's first ones: same names, not written again.
    expect(await puts()).toBe(Math.floor(OUTER_STEPS / SEGMENT_ENTRIES));
    await first.close();

    const second = await newHost(options);
    const [agent] = (await second.recover()).resumed;
    await agent!.send('go', 'now');
    expect(await agent!.result()).toEqual(EXPECTED);
    expect(await puts()).toBe(Math.floor(OUTER_STEPS / SEGMENT_ENTRIES));
  });

  it('NATS KV: a segment larger than a message is stored in chunks and read back whole', async () => {
    await using server = await startNatsServer({ maxPayload: 64 * 1024 });
    let runs = 0;
    const Big = step('BigResult', async (i: number) => {
      runs++;
      return `${i}:${'z'.repeat(2_000)}`; // 64 of them: ~130 KB, two messages' worth
    });
    const Wide = playbook('Wide', async () => {
      const lengths: number[] = [];
      for (let i = 0; i < 70; i++) lengths.push((await Big(i)).length);
      return { lengths: lengths.length, message: await receive<string>('go') };
    });
    const options = { durability: { storage: 'nats' as const }, nats: { servers: [server.url], namespace: 'wide', bucket: 'wide' }, playbooks: [Wide] };
    const first = await newHost(options);
    await first.spawn(Wide, { id: 'wide' });
    await untilWaiting(first, 'wide');
    await using client = await PlainClient.connect(server.url);
    expect(await client.streamMessages('KV_wide-segments')).toBe(1 + 3); // the head and its 3 chunks
    const record = await first.checkpoints!.getLatestCheckpoint('wide');
    const journal = record && record.kind !== 'machine' ? record.snapshot.context.journal : undefined;
    expect(journal && entryCount(journal)).toBe(71);
    expect(journal?.entries['63']?.value).toBe(`63:${'z'.repeat(2_000)}`);
    await first.close();

    const second = await newHost(options);
    const [agent] = (await second.recover()).resumed;
    await agent!.send('go', 'now');
    expect(await agent!.result()).toEqual({ lengths: 70, message: 'now' });
    expect(runs).toBe(70);
  });

  it('a missing segment is a CorruptCheckpointError naming it', async () => {
    await using dir = await tempDir();
    const host = await newHost({ durability: { storagePath: dir.path }, playbooks: [Long] });
    await host.spawn(Long, { id: 'long' });
    await untilWaiting(host, 'long');
    await host.close();
    const [first] = await readdir(join(dir.path, 'long', 'segments'));
    await rm(join(dir.path, 'long', 'segments', first!));
    // Another process reads it (this one may still have the segment in memory).
    const reader = new CheckpointManager(new FileCheckpointStore({ path: dir.path }));
    await expect(reader.getLatestCheckpoint('long')).rejects.toMatchObject({
      code: ErrorCode.CorruptCheckpoint,
      message: expect.stringContaining(`segment "${first!.replace('.json', '')}" is missing`),
    });
  });

  it('a store reads each segment once, however many checkpoints name it (segments never change)', async () => {
    const actor = createActor(agentMachine, { input: { agentId: 'a', playbook: 'P', input: 1 } }).start();
    for (let position = 0; position < 200; position++) actor.send({ type: 'STEP.DONE', at: { frame: [], position }, name: 'S', value: position });
    const segmenter = new JournalSegmenter();
    const record = { snapshot: persistedSnapshot(actor.getSnapshot()) }; // the part segments change
    const data = `{"snapshot":${stringifySnapshot(record.snapshot, 'playbook', segmenter)}}`;
    const kept = new Map<string, string>();
    let reads = 0;
    const keeper = new SegmentKeeper(
      async (_agentId, segments) => segments.forEach((segment) => kept.set(segment.name, segment.data)),
      async (_agentId, name) => {
        reads++;
        return kept.get(name);
      },
    );
    await keeper.save('a', segmenter.pending());
    for (let seq = 1; seq <= 10; seq++) expect((await keeper.splice({ agentId: 'a', seq: 1, revision: 1, data })).data).toBe(JSON.stringify(record));
    expect(reads).toBe(Math.floor(200 / SEGMENT_ENTRIES));
    keeper.forget('a'); // a deleted agent's segments are read afresh
    await keeper.splice({ agentId: 'a', seq: 1, revision: 1, data });
    expect(reads).toBe(2 * Math.floor(200 / SEGMENT_ENTRIES));
  });

  it('remembers the stored segments of the latest agents only: one it forgot writes its segment again', async () => {
    const puts: string[] = [];
    const keeper = new SegmentKeeper(
      async (agentId) => void puts.push(agentId),
      async () => undefined,
    );
    const segment = (name: string) => ({ newSegments: [{ name, data: '[]' }], referencedBytes: 2 });
    for (let n = 0; n <= KNOWN_AGENTS_MAX; n++) await keeper.save(`agent-${n}`, segment('s'.repeat(32)));
    expect(puts).toHaveLength(KNOWN_AGENTS_MAX + 1);
    await keeper.save(`agent-${KNOWN_AGENTS_MAX}`, segment('s'.repeat(32))); // remembered: not written again
    expect(puts).toHaveLength(KNOWN_AGENTS_MAX + 1);
    await keeper.save('agent-0', segment('s'.repeat(32))); // the oldest was forgotten: written again, harmlessly
    expect(puts).toHaveLength(KNOWN_AGENTS_MAX + 2);
    expect((keeper as unknown as { known: Map<string, unknown> }).known.size).toBe(KNOWN_AGENTS_MAX);
  });

  it('counts the segments a checkpoint names against max_checkpoint_size_mb', async () => {
    // Each checkpoint on its own stays far below 0.1 MiB; the journal it stands for does not.
    const Steps = playbook('ManySteps', async (n: number) => {
      for (let i = 0; i < n; i++) await Work(i);
      return n;
    });
    const store = new MemoryCheckpointStore({ maxCheckpointSizeMb: 0.1 });
    const host = await newHost({ store, playbooks: [Steps] });
    const agent = await host.spawn(Steps, { id: 'many', input: 3_000 });
    await expect(agent.result()).rejects.toMatchObject({ code: ErrorCode.CheckpointTooLarge });
    const latest = (await store.latest('many'))!;
    expect(latest.storedData!.length).toBeLessThan(30_000);
    expect(JSON.parse(latest.data)).toMatchObject({ status: 'failed', error: { code: ErrorCode.CheckpointTooLarge } });
    expect(latest.data.length).toBeGreaterThan(90_000);
  });
});
