import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  ManualClock,
  MemoryCheckpointStore,
  now,
  playbook,
  receive,
  sleep,
  step,
  type Host,
} from 'durable-playbooks';
import { hostsClosedAfterEach } from '../helpers/hosts.js';
import { tempDir } from '../helpers/temp-dir.js';

const newHost = hostsClosedAfterEach();

/** Waits until the agent is in `state` and its latest checkpoint says so. */
async function reaches(host: Host, agentId: string, state: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const latest = await host.checkpoints?.getLatestCheckpoint(agentId);
    if (host.get(agentId)?.status().state === state && latest?.status === state) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`agent ${agentId} never reached ${state}: ${JSON.stringify(host.get(agentId)?.status())}`);
}

describe('recovery', () => {
  it('replays a journaled step error so try/catch behaves the same after a restart', async () => {
    const store = new MemoryCheckpointStore();
    let failingRuns = 0;
    const Failing = step('Failing', async () => {
      failingRuns++;
      const error = new Error('payment service said no') as Error & { code: string };
      error.code = 'PAYMENT_REFUSED';
      throw error;
    }, { retry: { maxAttempts: 2, initialDelayMs: 1 } });
    const Flow = playbook('CatchAcrossCrash', async () => {
      let caught: unknown;
      try {
        await Failing();
      } catch (error) {
        const e = error as Error & { code?: string };
        caught = { name: e.name, message: e.message, code: e.code };
      }
      await receive('continue');
      return caught;
    });

    const first = await newHost({ store, playbooks: [Flow] });
    await first.spawn(Flow, { id: 'catcher' });
    await reaches(first, 'catcher', 'waiting');
    await first.close();
    expect(failingRuns).toBe(2);

    const second = await newHost({ store, playbooks: [Flow] });
    const report = await second.recover();
    expect(report.resumed.map((r) => r.id)).toEqual(['catcher']);
    await report.resumed[0]!.send('continue');
    expect(await report.resumed[0]!.result()).toEqual({
      name: 'Error',
      message: 'payment service said no',
      code: 'PAYMENT_REFUSED',
    });
    expect(failingRuns).toBe(2); // replayed from the journal, not run again
  });

  it('wakes a durable sleep at its original deadline after a restart', async () => {
    const store = new MemoryCheckpointStore();
    const clock = new ManualClock();
    const started = clock.now();
    const Sleeper = playbook('Sleeper', async () => {
      await sleep('10m');
      return now();
    });
    const first = await newHost({ store, clock, playbooks: [Sleeper] });
    await first.spawn(Sleeper, { id: 'sleeper' });
    await reaches(first, 'sleeper', 'waiting');
    await first.close();

    await clock.advance(4 * 60_000); // down for 4 minutes
    const second = await newHost({ store, clock, playbooks: [Sleeper] });
    const [agent] = (await second.recover()).resumed;
    await clock.advance(6 * 60_000 - 1);
    expect(agent!.status().state).toBe('waiting');
    await clock.advance(1);
    expect(await agent!.result()).toBe(started + 10 * 60_000);
  });

  it('keeps a message stored once send resolves, across a restart', async () => {
    const store = new MemoryCheckpointStore();
    const clock = new ManualClock();
    const Flow = playbook('LateReader', async () => {
      await sleep('1m');
      return receive<string>('note');
    });
    const first = await newHost({ store, clock, playbooks: [Flow] });
    const agent = await first.spawn(Flow, { id: 'reader' });
    await agent.send('note', 'kept');
    await first.close();

    const second = await newHost({ store, clock, playbooks: [Flow] });
    const [resumed] = (await second.recover()).resumed;
    await clock.advance(60_000);
    expect(await resumed!.result()).toBe('kept');
  });

  it('fails with NonDeterminismError when the code no longer matches the journal; the host goes on', async () => {
    const store = new MemoryCheckpointStore();
    const Reserve = step('Reserve', async () => 'reserved');
    const Pay = step('Pay', async () => 'paid');
    const Original = playbook('Order', async () => {
      await Reserve();
      return receive('go');
    });
    const first = await newHost({ store, playbooks: [Original] });
    await first.spawn(Original, { id: 'order-1' });
    await reaches(first, 'order-1', 'waiting');
    await first.close();

    const Changed = playbook('Order', async () => {
      await Pay(); // was Reserve()
      return receive('go');
    });
    const Other = playbook('Other', async () => receive<string>('ping'));
    const second = await newHost({ store, playbooks: [Changed, Other] });
    const bystander = await second.spawn(Other, { id: 'bystander' });
    const [order] = (await second.recover()).resumed;
    const error = await order!.result().then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error?.code).toBe(ErrorCode.NonDeterminism);
    expect(error?.message).toContain('step "Reserve"');
    expect(error?.message).toContain('step "Pay"');
    expect(order!.status().state).toBe('failed');
    await bystander.send('ping', 'pong');
    expect(await bystander.result()).toBe('pong');
  });

  it('detects a playbook that now returns before using its whole journal', async () => {
    const store = new MemoryCheckpointStore();
    const A = step('A', async () => 1);
    const B = step('B', async () => 2);
    const Long = playbook('Shrinks', async () => {
      await A();
      await B();
      return receive('go');
    });
    const first = await newHost({ store, playbooks: [Long] });
    await first.spawn(Long, { id: 'shrinks' });
    await reaches(first, 'shrinks', 'waiting');
    await first.close();
    const Short = playbook('Shrinks', async () => A());
    const second = await newHost({ store, playbooks: [Short] });
    const [agent] = (await second.recover()).resumed;
    await expect(agent!.result()).rejects.toMatchObject({ code: ErrorCode.NonDeterminism });
    // It names where: the call the journal has next, and what the playbook does instead.
    await expect(agent!.result()).rejects.toThrow(
      'agent "shrinks": replay does not match the journal at Shrinks call #2: the journal has step "B", the playbook now makes a return from playbook "Shrinks"',
    );
  });

  it('quarantines an agent whose latest checkpoint is corrupt and resumes it from an older one', async () => {
    await using dir = await tempDir();
    const Approve = playbook('Approve', async () => {
      const who = await step('Lookup', async () => 'alice')();
      await step('Notify', async () => `asked ${who}`)();
      const answer = await receive<string>('answer');
      return `${who}: ${answer}`;
    });
    const first = await newHost({ durability: { storagePath: dir.path }, playbooks: [Approve] });
    await first.spawn(Approve, { id: 'approval' });
    await reaches(first, 'approval', 'waiting');
    await first.close();
    // Checkpoints: 1 spawn, 2 Lookup, 3 Notify and waiting in receive. Corrupt the latest.
    const latest = join(dir.path, 'approval', '3.json');
    await writeFile(latest, (await readFile(latest, 'utf8')).slice(0, 40));

    const second = await newHost({ durability: { storagePath: dir.path }, playbooks: [Approve] });
    const healthy = await second.spawn(Approve, { id: 'healthy' });
    const report = await second.recover();
    expect(report.resumed).toEqual([]);
    expect(report.quarantined.map((q) => [q.agentId, q.error.code, q.error.seq])).toEqual([
      ['approval', ErrorCode.CorruptCheckpoint, 3],
    ]);
    expect(second.get('approval')!.status()).toMatchObject({ state: 'failed', quarantined: true, playbook: 'Approve' });
    await expect(second.recovery!.recover('approval')).rejects.toMatchObject({ code: ErrorCode.CorruptCheckpoint });

    const info = await second.recovery!.getRecoveryInfo('approval', { fromSeq: 2 });
    expect(info).toMatchObject({ seq: 2, playbook: 'Approve', callStack: ['Approve'] });
    expect(info.resumeAt).toContain('after step "Lookup"');
    const resumed = await second.recovery!.recover('approval', { fromSeq: 2 });
    await resumed.send('answer', 'yes');
    expect(await resumed.result()).toBe('alice: yes');
    expect(resumed.status().seq).toBeGreaterThan(3); // history goes on after the corrupt checkpoint
    await healthy.send('answer', 'fine');
    expect(await healthy.result()).toBe('alice: fine');
  });

  it('forks a new agent from an old checkpoint, leaving the original alone', async () => {
    const store = new MemoryCheckpointStore({ keepLastN: 64 });
    const Count = step('Count', async (n: number) => n + 1);
    const Counter = playbook('Counter', async () => {
      let n = 0;
      for (let i = 0; i < 3; i++) n = await Count(n);
      const extra = await receive<number>('extra');
      return n + extra;
    });
    const host = await newHost({ store, playbooks: [Counter] });
    const original = await host.spawn(Counter, { id: 'original' });
    await reaches(host, 'original', 'waiting');
    const fork = await host.recovery!.recover('original', { fromSeq: 3, as: 'forked' }); // after the second Count
    expect(fork.id).toBe('forked');
    await fork.send('extra', 100);
    await original.send('extra', 10);
    expect(await fork.result()).toBe(103);
    expect(await original.result()).toBe(13);
    const forkedFirst = await host.checkpoints!.loadCheckpoint('forked', 1);
    if (forkedFirst?.kind === 'machine') throw new Error('expected a playbook checkpoint');
    expect(Object.keys(forkedFirst!.snapshot.context.journal.entries)).toEqual(['0', '1']); // two Counts done
    expect((await store.history('original'))[0]).toBe(1);
  });

  it('shows where an agent resumes: call stack and pending waits', async () => {
    const store = new MemoryCheckpointStore();
    const Inner = playbook('Inner', async () => receive('deep', { timeoutMs: 60_000 }));
    const Outer = playbook('Outer', async () => Inner());
    const host = await newHost({ store, playbooks: [Outer] });
    await host.spawn(Outer, { id: 'deep' });
    await reaches(host, 'deep', 'waiting');
    expect(host.get('deep')!.status().callStack).toEqual(['Outer', 'Inner']);
    const info = await host.recovery!.getRecoveryInfo('deep');
    expect(info.callStack).toEqual(['Outer', 'Inner']);
    expect(info.pendingWaits).toMatchObject([{ kind: 'receive', name: 'deep', callStack: ['Outer', 'Inner'] }]);
    expect(info.resumeAt).toContain('Outer › Inner: waiting in receive "deep"');
    expect(await host.recovery!.canRecover('deep')).toBe(true);
    expect(await host.recovery!.canRecover('nobody')).toBe(false);
  });

  it('resumes a stopped agent only when asked', async () => {
    const store = new MemoryCheckpointStore();
    const Flow = playbook('Pausable', async () => receive<string>('go'));
    const first = await newHost({ store, playbooks: [Flow] });
    await (await first.spawn(Flow, { id: 'paused' })).stop();
    await first.close();
    const second = await newHost({ store, playbooks: [Flow] });
    expect((await second.recover()).resumed).toEqual([]);
    const agent = await second.recovery!.recover('paused');
    expect(agent.status().state).not.toBe('stopped');
    await agent.send('go', 'again');
    expect(await agent.result()).toBe('again');
  });
});
