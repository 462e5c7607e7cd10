// The supervisor's backoff, start failures, managing children, stopping, and its events and logs
// (its strategies, restart types and intensity are in supervisor.test.ts).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Supervisor, supervisorChild, type ChildSpec, type SupervisorEvent } from '../../supervisor/supervisor.js';
import { childStates, rejection, setup } from '../helpers/supervisor-setup.js';

describe('backoff', () => {
  function restartDelays(events: SupervisorEvent[]): number[] {
    return events.flatMap((e) => (e.type === 'child.restarting' ? [e.delayMs] : []));
  }

  it('waits the delay before restarting, growing by the factor up to maxDelayMs', async () => {
    const { clock, children, supervisor, settle, events } = setup({
      maxRestarts: 100,
      periodSeconds: 3600,
      backoff: { initialDelayMs: 100, factor: 2, maxDelayMs: 1_000, jitter: 0 },
    });
    await supervisor.start([children.spec('a')]);
    const expected = [100, 200, 400, 800, 1_000, 1_000];
    for (const [n, delay] of expected.entries()) {
      children.crash('a');
      await settle();
      await clock.advance(delay - 1);
      expect(children.isRunning('a')).toBe(false);
      await clock.advance(1);
      expect(children.log.at(-1)).toBe(`start a#${n + 1}`);
    }
    expect(restartDelays(events)).toEqual(expected);
  });

  it.each([
    [0, 800],
    [0.5, 1_000],
    [0.999_999, 1_200],
  ])('spreads the delay by the jitter (random %f → %i ms)', async (random, delay) => {
    const { clock, children, supervisor, settle, events } = setup({
      random: () => random,
      backoff: { initialDelayMs: 1_000, jitter: 0.2 },
    });
    await supervisor.start([children.spec('a')]);
    children.crash('a');
    await settle();
    expect(restartDelays(events)).toEqual([delay]);
    await clock.advance(delay - 1);
    expect(children.isRunning('a')).toBe(false);
    await clock.advance(1);
    expect(children.isRunning('a')).toBe(true);
  });

  it('keeps jittered delays within ±jitter of the base delay', async () => {
    let seed = 1;
    const random = (): number => ((seed = (seed * 16_807) % 2_147_483_647) - 1) / 2_147_483_646;
    const { clock, children, supervisor, settle, events } = setup({
      random,
      maxRestarts: 1_000,
      backoff: { initialDelayMs: 1_000, factor: 1, jitter: 0.25 },
    });
    await supervisor.start([children.spec('a')]);
    for (let i = 0; i < 50; i++) {
      children.crash('a');
      await settle();
      await clock.advance(1_250);
    }
    const delays = restartDelays(events);
    expect(delays).toHaveLength(50);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(750);
      expect(delay).toBeLessThanOrEqual(1_250);
    }
    expect(new Set(delays).size).toBeGreaterThan(10);
  });

  it('starts the delays over after a child ran for periodSeconds', async () => {
    const { clock, children, supervisor, settle, events } = setup({
      periodSeconds: 60,
      backoff: { initialDelayMs: 100, factor: 2, jitter: 0 },
    });
    await supervisor.start([children.spec('a')]);
    children.crash('a');
    await settle();
    await clock.advance(100);
    children.crash('a');
    await settle();
    await clock.advance(200);
    await clock.advance(59_999);
    children.crash('a');
    await settle();
    await clock.advance(400);
    await clock.advance(60_000);
    children.crash('a');
    await settle();
    expect(restartDelays(events)).toEqual([100, 200, 400, 100]);
  });

  it('computes a group restart delay from the child that exited', async () => {
    const { clock, children, supervisor, settle, events } = setup({
      strategy: 'one_for_all',
      backoff: { initialDelayMs: 100, factor: 2, jitter: 0 },
    });
    await supervisor.start([children.spec('a'), children.spec('b')]);
    children.crash('a');
    await settle();
    await clock.advance(100);
    children.crash('a');
    await settle();
    await clock.advance(200);
    children.crash('b');
    await settle();
    expect(restartDelays(events)).toEqual([100, 100, 200, 200, 100, 100]);
  });

  it('stop() during a pending restart cancels it', async () => {
    const { clock, children, supervisor, settle } = setup();
    const handle = await supervisor.start([children.spec('a'), children.spec('b')]);
    children.crash('a');
    await settle();
    expect(clock.pendingTimers).toBe(1);
    await supervisor.stop();
    expect(clock.pendingTimers).toBe(0); // no stray timer keeps a process alive
    await clock.advance(10_000);
    expect(children.log).toEqual(['start a#0', 'start b#0', 'stop b']);
    expect(await handle.exit).toEqual({ reason: 'shutdown' });
    expect(supervisor.describe().state).toBe('stopped');
    expect(childStates(supervisor)).toEqual({ a: 'stopped', b: 'stopped' });
  });

  it('terminateChild during a pending restart cancels it', async () => {
    const { clock, children, supervisor, settle } = setup();
    await supervisor.start([children.spec('a')]);
    children.crash('a');
    await settle();
    await supervisor.terminateChild('a');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(10_000);
    expect(children.log).toEqual(['start a#0']);
    expect(supervisor.describe().children[0]).toMatchObject({ state: 'stopped', lastExit: { reason: 'crash' } });
  });
});

describe('start failures', () => {
  it('a first start that fails counts as a crash of that child', async () => {
    const { clock, children, supervisor, events } = setup();
    children.failStarts('b');
    await supervisor.start(['a', 'b', 'c'].map((id) => children.spec(id)));
    expect(children.log).toEqual(['start a#0', 'fail b#0', 'start c#0']);
    expect(supervisor.describe().children[1]).toMatchObject({
      state: 'restarting',
      lastExit: { reason: 'crash', error: 'b failed to start' },
    });
    await clock.advance(100);
    expect(children.log.at(-1)).toBe('start b#1');
    expect(events.filter((e) => 'child' in e && e.child === 'b').map((e) => e.type)).toEqual(['child.exited', 'child.restarting', 'child.started']);
  });

  it('a temporary child whose start fails is left exited', async () => {
    const { clock, children, supervisor } = setup();
    children.failStarts('a');
    await supervisor.start([children.spec('a', 'temporary')]);
    await clock.advance(10_000);
    expect(childStates(supervisor)).toEqual({ a: 'exited' });
  });

  it('a failed restart inside a one_for_all group restarts the group again', async () => {
    const { clock, children, supervisor, settle } = setup({ strategy: 'one_for_all' });
    await supervisor.start([children.spec('a'), children.spec('b')]);
    children.failStarts('b');
    children.crash('a');
    await settle();
    await clock.advance(100);
    await clock.advance(100);
    expect(children.log).toEqual(['start a#0', 'start b#0', 'stop b', 'start a#1', 'fail b#1', 'stop a', 'start a#2', 'start b#2']);
    expect(supervisor.describe().restartsInPeriod).toBe(2);
  });
});

describe('managing children', () => {
  it('terminateChild keeps a child stopped; restartChild starts it again; deleteChild removes it', async () => {
    const { clock, children, supervisor } = setup();
    await supervisor.start([children.spec('a'), children.spec('b')]);
    await supervisor.terminateChild('b');
    await clock.advance(60_000);
    expect(children.log).toEqual(['start a#0', 'start b#0', 'stop b']);
    expect(supervisor.describe().children[1]).toMatchObject({ state: 'stopped', lastExit: { reason: 'shutdown' } });

    await supervisor.restartChild('b');
    expect(children.log.at(-1)).toBe('start b#1');
    expect(childStates(supervisor)).toEqual({ a: 'running', b: 'running' });

    expect(() => supervisor.deleteChild('b')).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    await supervisor.terminateChild('b');
    supervisor.deleteChild('b');
    expect(supervisor.describe().children.map((c) => c.id)).toEqual(['a']);
  });

  it('restartChild starts an exited child again', async () => {
    const { children, supervisor, settle } = setup();
    await supervisor.start([children.spec('a', 'transient')]);
    children.finish('a');
    await settle();
    expect(childStates(supervisor)).toEqual({ a: 'exited' });
    await supervisor.restartChild('a');
    expect(childStates(supervisor)).toEqual({ a: 'running' });
  });

  it('startChild appends to the start order and rejects a duplicate id', async () => {
    const { children, supervisor } = setup();
    await supervisor.start([children.spec('a')]);
    await supervisor.startChild(children.spec('b'));
    expect(await rejection(supervisor.startChild(children.spec('a')))).toMatchObject({ code: 'VALIDATION' });
    await supervisor.stop();
    expect(children.log).toEqual(['start a#0', 'start b#0', 'stop b', 'stop a']);
  });

  it('an idle supervisor starts a child that can start at once (startNow) before startChild returns; a finished transient one is recorded as exited', async () => {
    const { children, supervisor, settle, events } = setup();
    await supervisor.start([]);
    const adding = supervisor.startChild(children.specNow('a', 'transient'));
    expect(childStates(supervisor)).toEqual({ a: 'running' }); // no turn through the operation queue
    await adding;
    children.finish('a', 42);
    await settle();
    expect(childStates(supervisor)).toEqual({ a: 'exited' });
    expect(events.filter((e) => e.type !== 'child.started').map((e) => (e.type === 'child.exited' ? e.exit : e))).toEqual([
      { reason: 'normal', value: 42 },
    ]);
    expect(await rejection(supervisor.startChild(children.specNow('a')))).toMatchObject({ code: 'VALIDATION' });
    expect(children.log).toEqual(['start a#0']);
  });

  it('a child started at once is supervised as any other: a crash in startNow or after is restarted through start()', async () => {
    const { clock, children, supervisor, settle } = setup();
    await supervisor.start([]);
    children.failStarts('a');
    await supervisor.startChild(children.specNow('a'));
    await supervisor.startChild(children.specNow('b'));
    children.crash('b');
    await settle();
    expect(childStates(supervisor)).toEqual({ a: 'restarting', b: 'restarting' });
    await clock.advance(100);
    expect(children.log).toEqual(['fail a#0', 'start b#0', 'start a#1', 'start b#1']);
    expect(childStates(supervisor)).toEqual({ a: 'running', b: 'running' });
  });

  it('rejects what does not fit the child state', async () => {
    const { children, supervisor } = setup();
    await supervisor.start([children.spec('a')]);
    expect(await rejection(supervisor.restartChild('a'))).toMatchObject({ code: 'VALIDATION' });
    expect(await rejection(supervisor.terminateChild('nobody'))).toMatchObject({ code: 'VALIDATION' });
    expect(() => supervisor.deleteChild('nobody')).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    await supervisor.stop();
    expect(await rejection(supervisor.startChild(children.spec('b')))).toMatchObject({ code: 'VALIDATION' });
  });

  it('rejects invalid options', () => {
    expect(() => new Supervisor({ id: 's', maxRestarts: -1 })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => new Supervisor({ id: 's', periodSeconds: 0 })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => new Supervisor({ id: 's', backoff: { factor: 0.5 } })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => new Supervisor({ id: 's', backoff: { jitter: 2 } })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});

describe('stop and describe', () => {
  it('stop() stops children in reverse start order and resolves the exit with shutdown', async () => {
    const { children, supervisor } = setup();
    const handle = await supervisor.start(['a', 'b', 'c'].map((id) => children.spec(id)));
    await handle.stop();
    expect(children.log.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
    expect(await handle.exit).toEqual({ reason: 'shutdown' });
    expect(supervisor.describe()).toMatchObject({ state: 'stopped' });
    expect(childStates(supervisor)).toEqual({ a: 'stopped', b: 'stopped', c: 'stopped' });
    await supervisor.stop(); // a second stop is harmless
  });

  it('describes states, restarts, last exits and restartsInPeriod', async () => {
    const { clock, children, supervisor, settle } = setup({ strategy: 'rest_for_one', maxRestarts: 3, periodSeconds: 30 });
    await supervisor.start([children.spec('a'), children.spec('b', 'transient'), children.spec('c', 'temporary')]);
    children.crash('a', 'boom');
    await settle();
    expect(supervisor.describe()).toEqual({
      id: 'root',
      strategy: 'rest_for_one',
      maxRestarts: 3,
      periodSeconds: 30,
      restartsInPeriod: 1,
      state: 'running',
      children: [
        { id: 'a', type: 'worker', restart: 'permanent', state: 'restarting', restarts: 0, lastExit: { reason: 'crash', error: 'boom' } },
        { id: 'b', type: 'worker', restart: 'transient', state: 'restarting', restarts: 0, lastExit: { reason: 'shutdown' } },
        { id: 'c', type: 'worker', restart: 'temporary', state: 'stopped', restarts: 0, lastExit: { reason: 'shutdown' } },
      ],
    });
    await clock.advance(100);
    children.finish('b');
    await settle();
    expect(supervisor.describe().children.map((c) => [c.id, c.state, c.restarts, c.lastExit?.reason])).toEqual([
      ['a', 'running', 1, 'crash'],
      ['b', 'exited', 1, 'normal'],
      ['c', 'stopped', 0, 'shutdown'],
    ]);
    await clock.advance(30_000);
    expect(supervisor.describe().restartsInPeriod).toBe(0);
  });

  it('describes a nested supervisor before it starts', () => {
    const spec: ChildSpec = supervisorChild({ id: 'inner' }, []);
    expect(spec).toMatchObject({ id: 'inner', type: 'supervisor', restart: 'permanent' });
    expect(spec.describe?.()).toMatchObject({ id: 'inner', state: 'stopped', children: [] });
  });
});

describe('events and logs', () => {
  it('logs start, exit, restart and escalation with the supervisor id', async () => {
    const lines: { level: number; msg: string; supervisor?: string; child?: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const { clock, children, supervisor, settle } = setup({ logger, maxRestarts: 1 });
    await supervisor.start([children.spec('a')]);
    children.crash('a');
    await settle();
    await clock.advance(100);
    children.crash('a');
    await settle();
    expect(lines.map((l) => `${l.msg}${l.child ? ` ${l.child}` : ''}`)).toEqual([
      'supervisor starting',
      'child started a',
      'child exited a',
      'restarting a',
      'child started a',
      'child exited a',
      'supervisor escalated',
    ]);
    expect(lines.every((l) => l.supervisor === 'root')).toBe(true);
    expect(lines.find((l) => l.msg === 'supervisor escalated')?.level).toBe(40);
  });

  it('reports start, exit and restart in order, and survives a throwing listener', async () => {
    const seen: string[] = [];
    const { clock, children, supervisor, settle } = setup({
      onEvent: (event) => {
        seen.push(event.type === 'child.restarting' ? `${event.type} ${event.child} #${event.restarts} in ${event.delayMs}` : `${event.type}`);
        throw new Error('listener bug');
      },
    });
    await supervisor.start([children.spec('a')]);
    children.crash('a');
    await settle();
    await clock.advance(100);
    expect(seen).toEqual(['child.started', 'child.exited', 'child.restarting a #1 in 100', 'child.started']);
    expect(children.isRunning('a')).toBe(true);
  });
});
