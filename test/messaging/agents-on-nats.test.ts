import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { continueAsNew, playbook, receive, send, step, stepContext } from 'durable-playbooks';
import { hostsClosedAfterEach, until } from '../helpers/hosts.js';
import { natsServerForFile } from '../helpers/nats-client.js';

const newHost = hostsClosedAfterEach();
const nats = natsServerForFile();
let counter = 0;

function natsOptions(ns: string) {
  return { durability: { storage: 'nats' as const }, nats: { servers: [nats.server.url], namespace: ns, bucket: `cp-${ns}` } };
}

const turnstile = setup({
  types: {
    context: {} as { coins: number; pushes: number },
    events: {} as { type: 'coin'; amount: number } | { type: 'push' } | { type: 'retire' },
    input: {} as { coins: number },
  },
}).createMachine({
  id: 'turnstile',
  context: ({ input }) => ({ coins: input.coins, pushes: 0 }),
  initial: 'locked',
  states: {
    locked: {
      on: {
        coin: { target: 'unlocked', actions: assign({ coins: ({ context, event }) => context.coins + event.amount }) },
        retire: 'retired',
      },
    },
    unlocked: { on: { push: { target: 'locked', actions: assign({ pushes: ({ context }) => context.pushes + 1 }) } } },
    retired: { type: 'final' },
  },
  output: ({ context }) => ({ coins: context.coins, pushes: context.pushes }),
});

describe('plain XState machines as agents', () => {
  it('persists every transition, takes inbox messages as events, and is restored after a restart', async () => {
    const ns = `machines${++counter}`;
    const first = await newHost({ ...natsOptions(ns), playbooks: [] });
    first.register(turnstile);
    const agent = await first.spawn(turnstile, { id: 'gate', input: { coins: 0 } });
    const inbox = `playbooks.${ns}.agent.gate.inbox`;
    await nats.client.jsPublish(inbox, { type: 'coin', payload: { amount: 5 } });
    await until(() => agent.status().callStack.at(-1) === 'unlocked', 5_000, 'the gate to unlock');
    await agent.send('push');
    await until(async () => {
      const latest = await first.checkpoints!.getLatestCheckpoint('gate');
      return latest?.kind === 'machine' && latest.snapshot.value === 'locked' && (latest.snapshot.context as { pushes: number }).pushes === 1;
    }, 5_000, 'the push to be checkpointed');
    await first.close();

    await nats.client.jsPublish(inbox, { type: 'coin', payload: { amount: 2 } }); // while no host runs it
    const second = await newHost(natsOptions(ns));
    second.register(turnstile);
    const [restored] = (await second.recover()).resumed;
    await until(() => restored!.status().callStack.at(-1) === 'unlocked', 5_000, 'the restored gate to take the coin');
    await restored!.send('push');
    await restored!.send('retire');
    expect(await restored!.result()).toEqual({ coins: 7, pushes: 2 });
    expect((await second.checkpoints!.getLatestCheckpoint('gate'))?.status).toBe('completed');
  });
});

describe('durable send and continueAsNew', () => {
  it('sends between agents effectively once, even when the sender replays the send', async () => {
    const ns = `send${++counter}`;
    const Counter = playbook('Counter', async (expected: number) => {
      let total = 0;
      for (let i = 0; i < expected; i++) total += await receive<number>('add');
      return total;
    });
    let sends = 0;
    const Sender = playbook('Sender', async () => {
      for (const n of [1, 2, 3]) await send('counter', 'add', n);
      await step('Tally', async () => ++sends)();
      return receive('never-comes');
    });
    const host = await newHost({ ...natsOptions(ns), playbooks: [Counter, Sender] });
    const counterAgent = await host.spawn(Counter, { id: 'counter', input: 4 });
    await host.spawn(Sender, { id: 'sender' });
    await until(() => host.get('sender')?.status().state === 'waiting', 5_000, 'the sender to finish sending');
    await host.close();

    // A restarted sender replays its sends from the journal: nothing is sent twice.
    const again = await newHost({ ...natsOptions(ns), playbooks: [Counter, Sender] });
    await again.recover();
    await nats.client.jsPublish(`playbooks.${ns}.agent.counter.inbox`, { type: 'add', payload: 100 });
    expect(await again.get('counter')!.result()).toBe(106);
    expect(sends).toBe(1);
    void counterAgent;
  });

  it('keeps a long-lived message loop small with continueAsNew', async () => {
    const ns = `loop${++counter}`;
    const keys: string[] = [];
    const Record = step('Record', async (n: number) => {
      keys.push(stepContext().idempotencyKey);
      return n;
    });
    const Loop = playbook('Loop', async (state: { total: number; round: number }) => {
      const n = await receive<number>('add');
      if (n < 0) return state;
      await Record(n);
      return continueAsNew({ total: state.total + n, round: state.round + 1 });
    });
    const host = await newHost({ ...natsOptions(ns), playbooks: [Loop] });
    const agent = await host.spawn(Loop, { id: 'loop', input: { total: 0, round: 0 } });
    for (let i = 1; i <= 20; i++) await agent.send('add', i);
    await agent.send('add', -1);
    expect(await agent.result()).toEqual({ total: 210, round: 20 });
    expect(new Set(keys).size).toBe(20); // each run's step has its own idempotency key
    expect(keys[1]).toBe('loop~1/1');
    const sizes = (await host.checkpoints!.listCheckpoints('loop')).map((c) => c.bytes);
    expect(Math.max(...sizes)).toBeLessThan(2_000); // the journal never grows past one round
  });
});
