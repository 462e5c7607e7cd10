import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  MemoryCheckpointStore,
  now,
  playbook,
  random,
  receive,
  send,
  sleep,
  step,
  stepContext,
  TerminalError,
  uuid,
  type CheckpointStore,
} from 'durable-playbooks';
import { hostsClosedAfterEach } from '../helpers/hosts.js';

const newHost = hostsClosedAfterEach();

/** A store that remembers, in order, the checkpoints saved; `slowFor` agents' saves take 30 ms more. */
function recordingStore(slowFor?: string): CheckpointStore & { saved: { key: string; seq: number; data: string }[] } {
  const inner = new MemoryCheckpointStore({ keepLastN: 64 });
  const saved: { key: string; seq: number; data: string }[] = [];
  return Object.assign(Object.create(inner) as MemoryCheckpointStore, {
    saved,
    async save(agentId: string, seq: number, data: string, expected: number | undefined) {
      if (agentId === slowFor) await new Promise((resolve) => setTimeout(resolve, 30));
      const revision = await inner.save(agentId, seq, data, expected);
      saved.push({ key: agentId, seq, data });
      return revision;
    },
  });
}

describe('durable awaits', () => {
  it('stores a step result before the next step runs, and the last one with the completion', async () => {
    const store = recordingStore();
    const storedBeforeRunning: boolean[] = [];
    const Produce = step('Produce', async (n: number) => {
      // Persist first, then act: every result before this step is stored before it runs.
      const stored = store.saved.filter((s) => s.data.includes('value-')).length;
      storedBeforeRunning.push(stored >= n - 1);
      return `value-${n}`;
    });
    const Flow = playbook('PersistFirst', async () => {
      await Produce(1);
      await Produce(2);
      await Produce(3);
      return 'done';
    });
    const host = await newHost({ store });
    const agent = await host.spawn(Flow, { id: 'a1' });
    expect(await agent.result()).toBe('done');
    expect(storedBeforeRunning).toEqual([true, true, true]);
    // spawn, step 1, step 2, then step 3 with the completion: the playbook went on past the
    // last step without waiting, and nothing it did was seen outside the agent until then.
    expect(store.saved.map((s) => s.seq)).toEqual([1, 2, 3, 4]);
    const last = JSON.parse(store.saved.at(-1)!.data);
    expect(last.status).toBe('completed');
    expect(store.saved.at(-1)!.data).toContain('value-3');
  });

  it('holds a step until the write in flight with the result before it is stored', async () => {
    const store = recordingStore('waits'); // each save takes 30 ms more
    const storedBeforeRunning: boolean[] = [];
    const First = step('First', async () => 'first-result');
    const Second = step('Second', async () => {
      storedBeforeRunning.push(store.saved.some((s) => s.data.includes('first-result')));
      return 'second';
    });
    const Flow = playbook('WaitsForWrite', async () => {
      // A plain timer (not a durable call) outlasts the turn in which First's write starts, so
      // Second is called while that write is in flight with nothing new recorded.
      await Promise.all([First(), new Promise((resolve) => setTimeout(resolve, 5))]);
      return Second();
    });
    const host = await newHost({ store });
    expect(await (await host.spawn(Flow, { id: 'waits' })).result()).toBe('second');
    expect(storedBeforeRunning).toEqual([true]);
  });

  it('holds a send until the step result before it is stored', async () => {
    const store = recordingStore('sender'); // the sender's writes are slow: a send that did not wait would arrive first
    const Produce = step('Produce', async () => 'produced-value');
    let storedWhenSent: boolean | undefined;
    const Receiver = playbook('Receiver', async () => receive<string>('note'));
    const Sender = playbook('Sender', async () => {
      await Produce();
      await send('receiver', 'note', 'hello');
      return 'sent';
    });
    const host = await newHost({ store });
    const receiver = await host.spawn(Receiver, { id: 'receiver' });
    host.onEvent((event) => {
      if (event.agentId === 'receiver' && event.type === 'checkpointed' && event.recorded.some((r) => r.includes('message'))) {
        storedWhenSent ??= store.saved.some((s) => s.key === 'sender' && s.data.includes('produced-value'));
      }
    });
    const sender = await host.spawn(Sender, { id: 'sender' });
    expect(await sender.result()).toBe('sent');
    expect(await receiver.result()).toBe('hello');
    expect(storedWhenSent).toBe(true);
  });

  it('runs a step called outside a playbook as a plain function', async () => {
    const Double = step('Double', async (x: number) => x * 2);
    expect(await Double(21)).toBe(42);
    const Outer = playbook('Plain', async (x: number) => (await Double(x)) + 1);
    expect(await Outer(1)).toBe(3);
  });

  it('checkpoints nested playbooks as frames and collapses them when they return', async () => {
    const store = recordingStore();
    const Leaf = step('Leaf', async (x: number) => x + 1);
    const Level3 = playbook('Level3', async (x: number) => Leaf(x));
    const Level2 = playbook('Level2', async (x: number) => Level3(await Leaf(x)));
    const Level1 = playbook('Level1', async (x: number) => Level2(x));
    const host = await newHost({ store });
    const agent = await host.spawn(Level1, { id: 'nested', input: 1 });
    expect(await agent.result()).toBe(3);
    const stacks = store.saved.map((s) => JSON.parse(s.data).snapshot.context.journal);
    // While Level3 ran, its frame was open inside Level2 inside Level1.
    expect(JSON.stringify(stacks)).toContain('"playbook":"Level3"');
    const last = stacks.at(-1);
    expect(last.entries).toEqual({ '0': { kind: 'call', name: 'Level2', done: true, value: 3 } });
  });

  it('assigns positions in call order for parallel awaits', async () => {
    const Slow = step('Slow', async (ms: number) => {
      await new Promise((r) => setTimeout(r, ms));
      return ms;
    });
    const Parallel = playbook('Parallel', async () => Promise.all([Slow(30), Slow(1), Slow(15)]));
    const store = recordingStore();
    const host = await newHost({ store });
    const agent = await host.spawn(Parallel, { id: 'par' });
    expect(await agent.result()).toEqual([30, 1, 15]);
    // The last checkpoint written while running holds the first two to finish (1 and 15) at
    // their call positions; Slow(30) finished last and was stored with the completion.
    const running = store.saved.filter((s) => JSON.parse(s.data).status === 'running').at(-1)!;
    const journal = JSON.parse(running.data).snapshot.context.journal;
    expect([0, 1, 2].map((p) => journal.entries[p]?.value)).toEqual([undefined, 1, 15]);
  });

  it('journals now(), random() and uuid()', async () => {
    const Flow = playbook('Values', async () => ({ t: await now(), r: await random(), u: await uuid() }));
    const host = await newHost({ durability: { storage: 'memory' } });
    const result = (await (await host.spawn(Flow)).result()) as { t: number; r: number; u: string };
    expect(typeof result.t).toBe('number');
    expect(result.r).toBeGreaterThanOrEqual(0);
    expect(result.u).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('steps', () => {
  it('retries with backoff and gives the step its idempotency key and attempt', async () => {
    const attempts: { key: string; attempt: number }[] = [];
    const Flaky = step(
      'Flaky',
      async () => {
        const { idempotencyKey, attempt } = stepContext();
        attempts.push({ key: idempotencyKey, attempt });
        if (attempt < 3) throw new Error(`attempt ${attempt} failed`);
        return 'ok';
      },
      { retry: { maxAttempts: 3, initialDelayMs: 1 } },
    );
    const Flow = playbook('Retry', async () => Flaky());
    const host = await newHost({ durability: { storage: 'memory' } });
    expect(await (await host.spawn(Flow, { id: 'r1' })).result()).toBe('ok');
    expect(attempts).toEqual([
      { key: 'r1/0', attempt: 1 },
      { key: 'r1/0', attempt: 2 },
      { key: 'r1/0', attempt: 3 },
    ]);
  });

  it('never retries a TerminalError', async () => {
    let calls = 0;
    const Fatal = step('Fatal', async () => {
      calls++;
      throw new TerminalError('card declined', { code: 'DECLINED' });
    });
    const Flow = playbook('Terminal', async () => {
      try {
        await Fatal();
        return 'no error';
      } catch (error) {
        return { name: (error as Error).name, code: (error as { code: string }).code };
      }
    });
    const host = await newHost({ durability: { storage: 'memory' } });
    expect(await (await host.spawn(Flow)).result()).toEqual({ name: 'TerminalError', code: 'DECLINED' });
    expect(calls).toBe(1);
  });

  it('times out an attempt, aborts its signal and retries it', async () => {
    const signals: AbortSignal[] = [];
    const Hangs = step(
      'Hangs',
      async () => {
        signals.push(stepContext().signal);
        if (signals.length < 2) await new Promise(() => undefined);
        return 'second try';
      },
      { timeoutMs: 20, retry: { maxAttempts: 2, initialDelayMs: 1 } },
    );
    const host = await newHost({ durability: { storage: 'memory' } });
    const agent = await host.spawn(playbook('Timeout', async () => Hangs()));
    expect(await agent.result()).toBe('second try');
    expect(signals[0]!.aborted).toBe(true);
    expect((signals[0]!.reason as { code: string }).code).toBe(ErrorCode.Timeout);
  });

  it('treats a synchronous throw from a step function like a rejection: retried, then its error', async () => {
    let calls = 0;
    const SyncFlaky = step(
      'SyncFlaky',
      ((n: number) => {
        calls++;
        if (calls < 2) throw new Error('sync failure');
        return n * 2;
      }) as unknown as (n: number) => Promise<number>,
      { retry: { maxAttempts: 2, initialDelayMs: 1 } },
    );
    const AlwaysThrows = step('AlwaysThrows', (() => {
      throw new Error('sync, every time');
    }) as unknown as () => Promise<never>, { retry: { maxAttempts: 1 } });
    const host = await newHost({ durability: { storage: 'memory' } });
    expect(await (await host.spawn(playbook('SyncRetry', async () => SyncFlaky(21)))).result()).toBe(42);
    expect(calls).toBe(2);
    const failing = await host.spawn(playbook('SyncFails', async () => AlwaysThrows()), { restart: 'temporary' }); // no restarts
    await expect(failing.result()).rejects.toThrow('sync, every time');
  });

  it('fails the agent with the error a step throws after its retries', async () => {
    const Broken = step('Broken', async () => {
      throw new Error('still broken');
    }, { retry: { maxAttempts: 2, initialDelayMs: 1 } });
    const host = await newHost({ durability: { storage: 'memory' } });
    const agent = await host.spawn(playbook('Fails', async () => Broken()));
    await expect(agent.result()).rejects.toThrow('still broken');
    expect(agent.status()).toMatchObject({ state: 'failed', error: { message: 'still broken' } });
  });
});

describe('receive and send', () => {
  it('delivers messages by type and keeps others for later', async () => {
    const Flow = playbook('Inbox', async () => {
      const b = await receive<number>('b');
      const a = await receive<number>('a');
      return [a, b];
    });
    const host = await newHost({ durability: { storage: 'memory' } });
    const agent = await host.spawn(Flow);
    await agent.send('a', 1);
    await agent.send('b', 2);
    expect(await agent.result()).toEqual([1, 2]);
  });

  it('rejects a payload that fails the schema with an event, and waits on', async () => {
    const { z } = await import('zod');
    const Flow = playbook('Schema', async () => receive('approval', { schema: z.object({ ok: z.boolean() }) }));
    const host = await newHost({ durability: { storage: 'memory' } });
    const rejected: string[] = [];
    host.onEvent((e) => e.type === 'message.rejected' && rejected.push(e.reason));
    const agent = await host.spawn(Flow);
    await agent.send('approval', { ok: 'yes' });
    await agent.send('approval', { ok: true });
    expect(await agent.result()).toEqual({ ok: true });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toContain('does not match the schema');
  });

  it('throws a TimeoutError when no message comes in time', async () => {
    const Flow = playbook('Timeout2', async () => {
      try {
        return await receive('never', { timeoutMs: 20 });
      } catch (error) {
        return (error as { code: string }).code;
      }
    });
    const host = await newHost({ durability: { storage: 'memory' } });
    expect(await (await host.spawn(Flow)).result()).toBe(ErrorCode.Timeout);
  });

  it('reports waiting while blocked in receive or sleep', async () => {
    const Flow = playbook('Waits', async () => {
      await sleep(30);
      return receive('go');
    });
    const host = await newHost({ durability: { storage: 'memory' } });
    const agent = await host.spawn(Flow);
    await new Promise((r) => setTimeout(r, 10));
    expect(agent.status().state).toBe('waiting');
    await new Promise((r) => setTimeout(r, 60));
    expect(agent.status().state).toBe('waiting');
    await agent.send('go', 'now');
    expect(await agent.result()).toBe('now');
    expect(agent.status().state).toBe('completed');
  });

  it('refuses messages to a finished agent and bad message types', async () => {
    const host = await newHost({ durability: { storage: 'memory' } });
    const agent = await host.spawn(playbook('Quick', async () => 1));
    await agent.result();
    await expect(agent.send('x', 1)).rejects.toMatchObject({ code: ErrorCode.AgentNotRunning });
    const waiting = await host.spawn(playbook('Waiter', async () => receive('x')));
    await expect(waiting.send('', 1)).rejects.toMatchObject({ code: ErrorCode.Validation });
    await expect(waiting.send('x', { big: 10n })).rejects.toMatchObject({ code: ErrorCode.Validation });
    expect(waiting.status().state).not.toBe('failed');
  });
});

describe('agent lifecycle', () => {
  it('stops an agent with a final checkpoint; recover() leaves it stopped', async () => {
    const store = recordingStore();
    const host = await newHost({ store, playbooks: [] });
    const Flow = playbook('Stoppable', async () => receive('never'));
    const agent = await host.spawn(Flow, { id: 'stop-me' });
    await agent.stop();
    expect(agent.status().state).toBe('stopped');
    await expect(agent.result()).rejects.toMatchObject({ code: ErrorCode.AgentStopped });
    expect(JSON.parse(store.saved.at(-1)!.data).status).toBe('stopped');
  });

  it('treats spawning an existing id with the same playbook as the same agent', async () => {
    const host = await newHost({ durability: { storage: 'memory' } });
    const Flow = playbook('Once', async () => receive('go'));
    const first = await host.spawn(Flow, { id: 'same' });
    const second = await host.spawn(Flow, { id: 'same' });
    expect(second).toBe(first);
    await expect(host.spawn(playbook('Other', async () => 1), { id: 'same' })).rejects.toMatchObject({
      code: ErrorCode.AgentExists,
    });
    await expect(host.spawn(Flow, { id: 'bad id!' })).rejects.toMatchObject({ code: ErrorCode.Validation });
  });

  it('runs playbooks with no checkpoints when durability is off', async () => {
    const host = await newHost({ durability: { enabled: false } });
    expect(host.store).toBeUndefined();
    const Add = step('Add', async (a: number) => a + 1);
    const agent = await host.spawn(playbook('NoDurability', async (x: number) => Add(await Add(x))), { input: 1 });
    expect(await agent.result()).toBe(3);
    expect(agent.status().seq).toBe(0);
  });
});
