import { describe, expect, it } from 'vitest';
import { ErrorCode, MemoryCheckpointStore, playbook, receive, sleep, step, TerminalError, type AgentLifecycleEvent } from 'durable-playbooks';
import { hostsClosedAfterEach, until } from '../helpers/hosts.js';

const newHost = hostsClosedAfterEach();
const fastBackoff = { initialDelayMs: 5, maxDelayMs: 20 };

describe('agents under supervision', () => {
  it('restarts a crashed playbook from its last checkpoint: completed steps are not run again', async () => {
    let prepared = 0;
    let charges = 0;
    const Prepare = step('Prepare', async () => ++prepared);
    const Charge = step('Charge', async () => {
      if (++charges <= 2) throw new Error(`payment gateway down (call ${charges})`);
      return 'charged';
    }, { retry: { maxAttempts: 1 } });
    const Order = playbook('Order', async () => {
      const prep = await Prepare();
      return { prep, charge: await Charge() };
    });
    const host = await newHost({ durability: { storage: 'memory' } });
    await host.supervisor('orders', { backoff: fastBackoff });
    const events: AgentLifecycleEvent[] = [];
    host.onEvent((e) => events.push(e));
    const agent = await host.spawn(Order, { id: 'order-1', supervisor: 'orders' });

    expect(await agent.result()).toEqual({ prep: 1, charge: 'charged' });
    expect(prepared).toBe(1);
    expect(charges).toBe(3);
    expect(agent.status()).toMatchObject({ state: 'completed', restarts: 2, supervisor: 'orders' });
    expect(events.filter((e) => e.type === 'supervisor.restarting')).toHaveLength(2);
    const restarts = events.filter((e) => e.type === 'restarted');
    expect(restarts).toHaveLength(2);
    expect(restarts[0]).toMatchObject({ resumeAt: expect.stringContaining('after step "Prepare"') });
  });

  it('quarantines an agent whose replay does not match instead of restarting it in a loop', async () => {
    const store = new MemoryCheckpointStore();
    const First = step('First', async () => 1);
    const Original = playbook('Drifting', async () => {
      await First();
      return receive('go');
    });
    const before = await newHost({ store, playbooks: [Original] });
    await before.spawn(Original, { id: 'drift' });
    await until(async () => (await store.latest('drift'))?.data.includes('"waiting"') ?? false, 5_000, 'drift to wait');
    await before.close();

    const Changed = playbook('Drifting', async () => {
      await step('Second', async () => 2)();
      return receive('go');
    });
    const after = await newHost({ store, playbooks: [Changed], supervisor: { maxRestarts: 10 } });
    const [agent] = (await after.recover()).resumed;
    await expect(agent!.result()).rejects.toMatchObject({ code: ErrorCode.NonDeterminism });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(agent!.status()).toMatchObject({ state: 'failed', quarantined: true, restarts: 0 });
  });

  it('does not restart an agent whose TerminalError escaped: "do not retry" holds for its supervisor too', async () => {
    let charges = 0;
    const Charge = playbook('Charge', async () => {
      await step('ChargeCard', async () => {
        charges++;
        throw new TerminalError('card declined', { code: 'DECLINED' });
      })();
    });
    const host = await newHost({ durability: { storage: 'memory' } });
    await host.supervisor('payments', { backoff: fastBackoff });
    const agent = await host.spawn(Charge, { id: 'charge-1', supervisor: 'payments', restart: 'permanent' });
    await expect(agent.result()).rejects.toMatchObject({ name: 'TerminalError', code: 'DECLINED' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(charges).toBe(1);
    expect(agent.status()).toMatchObject({ state: 'failed', restarts: 0 });
    expect(agent.status().quarantined).toBeUndefined();
  });

  it('escalates when the restart intensity is exceeded; the root gives up and the host reports it', async () => {
    const AlwaysFails = playbook('AlwaysFails', async () => {
      await step('Boom', async () => {
        throw new Error('boom');
      }, { retry: { maxAttempts: 1 } })();
    });
    const host = await newHost({ durability: { storage: 'memory' }, supervisor: { maxRestarts: 0 } });
    await host.supervisor('fragile', { maxRestarts: 1, backoff: fastBackoff });
    const escalations: string[] = [];
    host.onEvent((e) => e.type === 'supervisor.escalated' && escalations.push(e.supervisor));
    const agent = await host.spawn(AlwaysFails, { id: 'doomed', supervisor: 'fragile' });
    await expect(agent.result()).rejects.toThrow('boom');
    await until(() => host.escalation !== undefined, 5_000, 'the root to escalate');
    expect(escalations).toEqual(['fragile', 'root']);
    expect(host.supervisors()).toMatchObject({ id: 'root', state: 'escalated' });
  });

  it('one_for_all: a crash restarts the siblings too, each from its own last checkpoint', async () => {
    const runs: Record<string, number> = {};
    const count = (name: string) => step(name, async () => (runs[name] = (runs[name] ?? 0) + 1));
    let crashes = 0;
    const Crashy = playbook('Crashy', async () => {
      await count('CrashyPrep')();
      await step('MaybeCrash', async () => {
        if (crashes++ === 0) throw new Error('first time fails');
      }, { retry: { maxAttempts: 1 } })();
      return 'crashy done';
    });
    const Sibling = playbook('Sibling', async () => {
      await count('SiblingPrep')();
      const go = await receive<string>('go');
      await count('SiblingAfter')();
      return go;
    });
    const host = await newHost({ durability: { storage: 'memory' } });
    await host.supervisor('pair', { strategy: 'one_for_all', backoff: fastBackoff });
    const sibling = await host.spawn(Sibling, { id: 'sibling', supervisor: 'pair' });
    await until(() => sibling.status().state === 'waiting', 5_000, 'the sibling to wait');
    const crashy = await host.spawn(Crashy, { id: 'crashy', supervisor: 'pair' });
    expect(await crashy.result()).toBe('crashy done');
    await until(() => sibling.status().restarts === 1 && sibling.status().state === 'waiting', 5_000, 'the sibling to be restarted');
    await sibling.send('go', 'sibling done');
    expect(await sibling.result()).toBe('sibling done');
    expect(runs).toEqual({ CrashyPrep: 1, SiblingPrep: 1, SiblingAfter: 1 });
  });

  it('drains on shutdown: a step in flight finishes and is checkpointed, nothing new starts', async () => {
    const store = new MemoryCheckpointStore();
    const log: string[] = [];
    const Slow = step('Slow', async () => {
      log.push('slow started');
      await new Promise((resolve) => setTimeout(resolve, 100));
      log.push('slow finished');
      return 'slow';
    });
    const Next = step('Next', async () => {
      log.push('next ran');
      return 'next';
    });
    const Flow = playbook('Draining', async () => [await Slow(), await Next()]);
    const host = await newHost({ store, playbooks: [Flow] });
    await host.spawn(Flow, { id: 'drainee' });
    await until(() => log.length === 1, 5_000, 'the slow step to start');
    await host.drain(5_000);
    expect(log).toEqual(['slow started', 'slow finished']);
    await expect(host.spawn(Flow, { id: 'late' })).rejects.toMatchObject({ code: ErrorCode.HostClosed });

    const next = await newHost({ store, playbooks: [Flow] });
    const [resumed] = (await next.recover()).resumed;
    expect(await resumed!.result()).toEqual(['slow', 'next']);
    expect(log).toEqual(['slow started', 'slow finished', 'next ran']);
  });

  it('puts a recovered agent back under the supervisor it ran under', async () => {
    const store = new MemoryCheckpointStore();
    const Waits = playbook('Waits', async () => {
      await sleep(1);
      return receive<string>('go');
    });
    const first = await newHost({ store, playbooks: [Waits] });
    await first.supervisor('team');
    await first.spawn(Waits, { id: 'member', supervisor: 'team', restart: 'permanent' });
    await until(async () => (await store.latest('member'))?.data.includes('"receive"') ?? false, 5_000, 'member to wait');
    await first.close();

    const second = await newHost({ store, playbooks: [Waits] });
    await second.supervisor('team');
    const [member] = (await second.recover()).resumed;
    expect(member!.status().supervisor).toBe('team');
    const team = second.supervisors().children.find((c) => c.id === 'team');
    expect(team?.supervisor?.children.map((c) => [c.id, c.restart])).toEqual([['member', 'permanent']]);
  });
});
