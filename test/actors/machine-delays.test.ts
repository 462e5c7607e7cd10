import { describe, expect, it } from 'vitest';
import { assign, createMachine, raise, setup } from 'xstate';
import { decodeCheckpoint, ErrorCode, ManualClock, MemoryCheckpointStore, type Host } from 'durable-playbooks';
import { hostsClosedAfterEach, until } from '../helpers/hosts.js';

const newHost = hostsClosedAfterEach();

/** A lease that expires a minute after it is taken or renewed, and reminds itself after 10 s. */
const lease = setup({
  types: {
    context: {} as { renewals: number; reminded: number },
    events: {} as { type: 'renew' } | { type: 'remind' },
    output: {} as { renewals: number; reminded: number },
  },
}).createMachine({
  id: 'lease',
  context: { renewals: 0, reminded: 0 },
  initial: 'held',
  states: {
    held: {
      entry: raise({ type: 'remind' }, { delay: 10_000, id: 'reminder' }),
      after: { 60_000: 'expired' },
      on: {
        renew: { target: 'held', reenter: true, actions: assign({ renewals: ({ context }) => context.renewals + 1 }) },
        remind: { actions: assign({ reminded: ({ context }) => context.reminded + 1 }) },
      },
    },
    expired: { type: 'final' },
  },
  output: ({ context }) => context,
});

async function leaseHost(store: MemoryCheckpointStore, clock: ManualClock): Promise<Host> {
  const host = await newHost({ store, clock });
  host.register(lease);
  return host;
}

/** The delayed events in the agent's latest checkpoint, as stored. */
async function storedDelays(host: Host, agentId: string): Promise<{ id: string; dueAt: number }[] | undefined> {
  const latest = await host.checkpoints!.getLatestCheckpoint(agentId);
  return latest?.kind === 'machine' ? (latest.snapshot.delayedEvents as { id: string; dueAt: number }[] | undefined) : undefined;
}

describe("a machine agent's delayed events (XState does not restore them: statelyai/xstate#5331)", () => {
  it('are checkpointed, and armed again on restore for the time that remains', async () => {
    const store = new MemoryCheckpointStore();
    const clock = new ManualClock();
    const start = clock.now();
    const first = await leaseHost(store, clock);
    await first.spawn(lease, { id: 'lease-1' });
    await until(async () => (await storedDelays(first, 'lease-1'))?.length === 2, 5_000, 'the delays to be checkpointed');
    expect(await storedDelays(first, 'lease-1')).toEqual([
      expect.objectContaining({ id: 'reminder', dueAt: start + 10_000 }),
      expect.objectContaining({ dueAt: start + 60_000 }),
    ]);
    await clock.advance(20_000); // the reminder fires here; the expiry is 40 s away
    await until(async () => (await storedDelays(first, 'lease-1'))?.length === 1, 5_000, 'the reminder to be checkpointed');
    await first.close();

    const second = await leaseHost(store, clock);
    const [agent] = (await second.recover()).resumed;
    await clock.advance(39_999);
    expect(agent!.status()).toMatchObject({ state: 'running', callStack: ['lease', 'held'] });
    await clock.advance(1);
    expect(agent!.status().state).toBe('completed');
    expect(await agent!.result()).toEqual({ renewals: 0, reminded: 1 }); // the reminder did not fire twice
  });

  it('a restored delay is cancelled as XState cancels its own: leaving the state drops it', async () => {
    const store = new MemoryCheckpointStore();
    const clock = new ManualClock();
    const first = await leaseHost(store, clock);
    await first.spawn(lease, { id: 'lease-2' });
    await until(async () => (await storedDelays(first, 'lease-2'))?.length === 2, 5_000, 'the delays to be checkpointed');
    await first.close();

    const second = await leaseHost(store, clock);
    const [agent] = (await second.recover()).resumed;
    await clock.advance(30_000);
    await agent!.send('renew'); // re-enters "held": a new minute from now, a new reminder
    await clock.advance(59_999); // past the restored expiry (30 s after the restore)
    expect(agent!.status()).toMatchObject({ state: 'running', callStack: ['lease', 'held'] });
    await clock.advance(1);
    expect(agent!.status().state).toBe('completed');
    expect(await agent!.result()).toEqual({ renewals: 1, reminded: 2 });
  });

  it('a machine parked while a delay runs is brought back when it falls due', async () => {
    const alarm = createMachine({ id: 'alarm', initial: 'set', states: { set: { after: { 800: 'rang' } }, rang: { type: 'final' } }, output: 'rang on time' });
    const host = await newHost({ durability: { storage: 'memory' }, supervisor: { idleEvictionSeconds: 0.1 } });
    host.register(alarm);
    const agent = await host.spawn(alarm, { id: 'alarm-1' });
    await until(() => host.evictedCount === 1, 5_000, 'the machine to be parked');
    expect(agent.status()).toMatchObject({ evicted: true });
    await until(() => agent.status().state === 'completed', 5_000, 'its delay to bring it back'); // status does not wake it
    expect(host.evictedCount).toBe(0);
    expect(await agent.result()).toBe('rang on time');
  });

  it('a machine lost before its actor first started starts afresh when resumed: its initial delays are not lost', async () => {
    const clock = new ManualClock();
    const alarm = setup({ types: { context: {} as { label: string }, input: {} as { label: string } } }).createMachine({
      id: 'alarm',
      context: ({ input }) => ({ label: input.label }),
      initial: 'set',
      states: { set: { after: { 800: 'rang' } }, rang: { type: 'final' } },
      output: ({ context }) => `${context.label} rang`,
    });
    const first = await newHost({ store: new MemoryCheckpointStore(), clock });
    first.register(alarm);
    await first.spawn(alarm, { id: 'alarm-2', input: { label: 'tea' } });
    // The checkpoint a crash right after the spawn would leave: written before the actor started.
    const spawned = (await first.checkpoints!.loadCheckpoint('alarm-2', 1))!;
    expect(spawned.snapshot).toMatchObject({ value: 'set', notStarted: { input: { label: 'tea' } } });
    expect(spawned.snapshot.delayedEvents).toBeUndefined();

    const store = new MemoryCheckpointStore();
    await store.save('alarm-2', 1, JSON.stringify(spawned), undefined);
    const second = await newHost({ store, clock });
    second.register(alarm);
    const [agent] = (await second.recover()).resumed;
    await clock.advance(799);
    expect(agent!.status().state).toBe('running');
    await clock.advance(1);
    expect(agent!.status().state).toBe('completed');
    expect(await agent!.result()).toBe('tea rang');
    const claim = await second.checkpoints!.loadCheckpoint('alarm-2', 2); // the resuming host's claim, before it started the actor
    expect(claim!.snapshot).toMatchObject({ notStarted: { input: { label: 'tea' } } });
    expect((await second.checkpoints!.getLatestCheckpoint('alarm-2'))!.snapshot.notStarted).toBeUndefined();
  });

  it('a checkpoint whose delayed events are malformed is corrupt, and says where', () => {
    const record = {
      format: 2,
      kind: 'machine',
      agentId: 'lease-3',
      seq: 2,
      playbook: 'lease',
      savedAt: new Date().toISOString(),
      status: 'running',
      snapshot: { status: 'active', value: 'held', context: {}, delayedEvents: [{ id: 'x', event: { type: 'remind' }, dueAt: 'soon' }] },
    };
    const decode = () => decodeCheckpoint({ agentId: 'lease-3', seq: 2, revision: 2, data: JSON.stringify(record) });
    expect(decode).toThrow(expect.objectContaining({ code: ErrorCode.CorruptCheckpoint, message: expect.stringMatching(/snapshot\.delayedEvents\.0\.dueAt/) }));
  });
});
