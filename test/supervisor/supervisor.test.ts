import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../actors/clock.js';
import { PlaybooksError } from '../../errors.js';
import {
  Supervisor,
  supervisorChild,
  type ChildExit,
  type ChildSpec,
  type RestartType,
  type SupervisorEvent,
  type SupervisorOptions,
} from '../../supervisor/supervisor.js';
import { FakeChildren } from '../helpers/fake-child.js';

/** A supervisor on a manual clock with fixed 100 ms restart delays unless the test says otherwise. */
function setup(options: Partial<SupervisorOptions> = {}) {
  const clock = new ManualClock();
  const children = new FakeChildren();
  const events: SupervisorEvent[] = [];
  const supervisor = new Supervisor({
    id: 'root',
    clock,
    backoff: { initialDelayMs: 100, factor: 1, jitter: 0 },
    onEvent: (event) => events.push(event),
    ...options,
  });
  /** Lets exits reach the supervisor and be acted on, without moving time. */
  const settle = (): Promise<void> => clock.advance(0);
  return { clock, children, events, supervisor, settle };
}

function childStates(supervisor: Supervisor): Record<string, string> {
  return Object.fromEntries(supervisor.describe().children.map((c) => [c.id, c.state]));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('Supervisor strategies', () => {
  it('one_for_one restarts only the child that exited, after the backoff delay', async () => {
    const { clock, children, supervisor, settle } = setup();
    await supervisor.start(['a', 'b', 'c'].map((id) => children.spec(id)));
    children.crash('b');
    await settle();
    await clock.advance(99);
    expect(children.log).toEqual(['start a#0', 'start b#0', 'start c#0']);
    expect(childStates(supervisor)).toEqual({ a: 'running', b: 'restarting', c: 'running' });
    await clock.advance(1);
    expect(children.log).toEqual(['start a#0', 'start b#0', 'start c#0', 'start b#1']);
    expect(childStates(supervisor)).toEqual({ a: 'running', b: 'running', c: 'running' });
  });

  it('one_for_all stops the others in reverse start order, then restarts all in start order', async () => {
    const { clock, children, supervisor, settle, events } = setup({ strategy: 'one_for_all' });
    await supervisor.start(['a', 'b', 'c'].map((id) => children.spec(id)));
    children.crash('b');
    await settle();
    expect(children.log).toEqual(['start a#0', 'start b#0', 'start c#0', 'stop c', 'stop a']);
    expect(childStates(supervisor)).toEqual({ a: 'restarting', b: 'restarting', c: 'restarting' });
    await clock.advance(100);
    expect(children.log.slice(5)).toEqual(['start a#1', 'start b#1', 'start c#1']);
    // The shutdown exits of a and c were the supervisor's doing: no restarts of their own.
    await clock.advance(10_000);
    expect(children.log).toHaveLength(8);
    expect(supervisor.describe().restartsInPeriod).toBe(1);
    const exits = events.filter((e) => e.type === 'child.exited').map((e) => `${e.child}:${e.exit.reason}`);
    expect(exits).toEqual(['b:crash', 'c:shutdown', 'a:shutdown']);
    const restarting = events.filter((e) => e.type === 'child.restarting').map((e) => e.child);
    expect(restarting).toEqual(['a', 'b', 'c']);
  });

  it('rest_for_one restarts the exited child and those started after it', async () => {
    const { clock, children, supervisor, settle } = setup({ strategy: 'rest_for_one' });
    await supervisor.start(['a', 'b', 'c', 'd'].map((id) => children.spec(id)));
    children.crash('b');
    await settle();
    await clock.advance(100);
    expect(children.log).toEqual([
      'start a#0',
      'start b#0',
      'start c#0',
      'start d#0',
      'stop d',
      'stop c',
      'start b#1',
      'start c#1',
      'start d#1',
    ]);
    expect(supervisor.describe().children.map((c) => [c.id, c.restarts])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 1],
      ['d', 1],
    ]);
  });

  it('a group restart stops a temporary sibling but does not restart it', async () => {
    const { clock, children, supervisor, settle } = setup({ strategy: 'one_for_all' });
    await supervisor.start([children.spec('a'), children.spec('t', 'temporary'), children.spec('b', 'transient')]);
    children.crash('a');
    await settle();
    await clock.advance(100);
    expect(children.log).toEqual(['start a#0', 'start t#0', 'start b#0', 'stop b', 'stop t', 'start a#1', 'start b#1']);
    expect(childStates(supervisor)).toEqual({ a: 'running', t: 'stopped', b: 'running' });
  });

  it('one_for_all leaves a terminated child stopped', async () => {
    const { clock, children, supervisor, settle } = setup({ strategy: 'one_for_all' });
    await supervisor.start(['a', 'b', 'c'].map((id) => children.spec(id)));
    await supervisor.terminateChild('c');
    children.crash('a');
    await settle();
    await clock.advance(100);
    expect(children.log).toEqual(['start a#0', 'start b#0', 'start c#0', 'stop c', 'stop b', 'start a#1', 'start b#1']);
    expect(childStates(supervisor)).toEqual({ a: 'running', b: 'running', c: 'stopped' });
  });

  it('a crash of an earlier child during a pending rest_for_one restart folds it into one restart', async () => {
    const { clock, children, supervisor, settle } = setup({ strategy: 'rest_for_one' });
    await supervisor.start(['a', 'b', 'c'].map((id) => children.spec(id)));
    children.crash('b');
    await settle();
    await clock.advance(50);
    children.crash('a');
    await settle();
    await clock.advance(100);
    expect(children.log).toEqual(['start a#0', 'start b#0', 'start c#0', 'stop c', 'start a#1', 'start b#1', 'start c#1']);
    await clock.advance(10_000);
    expect(children.log).toHaveLength(7);
  });
});

describe('restart types and exit reasons', () => {
  const cases: [RestartType, 'finish' | 'crash' | 'quarantine', boolean][] = [
    ['permanent', 'finish', true],
    ['permanent', 'crash', true],
    ['permanent', 'quarantine', false],
    ['transient', 'finish', false],
    ['transient', 'crash', true],
    ['transient', 'quarantine', false],
    ['temporary', 'finish', false],
    ['temporary', 'crash', false],
    ['temporary', 'quarantine', false],
  ];

  it.each(cases)('a %s child that exits by %s is restarted: %s', async (restart, how, restarted) => {
    const { clock, children, supervisor, settle } = setup();
    await supervisor.start([children.spec('a', restart)]);
    children[how]('a');
    await settle();
    await clock.advance(60_000);
    expect(children.isRunning('a')).toBe(restarted);
    const [info] = supervisor.describe().children;
    const reason = { finish: 'normal', crash: 'crash', quarantine: 'quarantine' }[how];
    if (restarted) {
      expect(info).toMatchObject({ state: 'running', restarts: 1, lastExit: { reason } });
    } else {
      expect(info).toMatchObject({ state: 'exited', restarts: 0, lastExit: { reason } });
      expect(supervisor.describe().restartsInPeriod).toBe(0);
    }
  });

  it('keeps the error message of the last exit', async () => {
    const { children, supervisor, settle } = setup();
    await supervisor.start([children.spec('a', 'temporary')]);
    children.quarantine('a', 'schema mismatch');
    await settle();
    expect(supervisor.describe().children[0]?.lastExit).toEqual({ reason: 'quarantine', error: 'schema mismatch' });
  });
});

describe('restart intensity', () => {
  it('escalates past maxRestarts in the period: children stopped in reverse order, exit crash', async () => {
    const { clock, children, supervisor, settle, events } = setup({ maxRestarts: 2, periodSeconds: 60 });
    const handle = await supervisor.start(['a', 'b', 'c'].map((id) => children.spec(id)));
    for (let i = 0; i < 2; i++) {
      children.crash('b');
      await settle();
      await clock.advance(100);
    }
    expect(supervisor.describe().restartsInPeriod).toBe(2);
    children.crash('b');
    await settle();
    expect(children.log.slice(-2)).toEqual(['stop c', 'stop a']);
    const exit = await handle.exit;
    expect(exit.reason).toBe('crash');
    const error = (exit as Extract<ChildExit, { reason: 'crash' }>).error;
    expect(error).toBeInstanceOf(PlaybooksError);
    expect((error as PlaybooksError).code).toBe('SUPERVISOR_ESCALATED');
    expect(error.message).toContain('"root"');
    expect(error.message).toContain('more than 2 restarts in 60 s');
    expect(supervisor.describe()).toMatchObject({ state: 'escalated', restartsInPeriod: 2 });
    expect(childStates(supervisor)).toEqual({ a: 'stopped', b: 'exited', c: 'stopped' });
    expect(events.at(-1)).toMatchObject({ type: 'escalated', supervisor: 'root' });
    await clock.advance(60_000);
    expect(children.log.filter((line) => line.startsWith('start'))).toHaveLength(5);
  });

  it('forgets restarts older than the period', async () => {
    const { clock, children, supervisor, settle } = setup({ maxRestarts: 1, periodSeconds: 10 });
    await supervisor.start([children.spec('a')]);
    children.crash('a');
    await settle();
    await clock.advance(100);
    expect(supervisor.describe().restartsInPeriod).toBe(1);
    await clock.advance(10_000);
    expect(supervisor.describe().restartsInPeriod).toBe(0);
    children.crash('a');
    await settle();
    await clock.advance(100);
    expect(supervisor.describe()).toMatchObject({ state: 'running', restartsInPeriod: 1 });
    expect(children.isRunning('a')).toBe(true);
  });

  it('counts a failed start as a crash, toward the intensity too', async () => {
    const { clock, children, supervisor, settle } = setup({ maxRestarts: 1 });
    const handle = await supervisor.start([children.spec('a'), children.spec('b')]);
    children.failStarts('a', 5);
    children.crash('a');
    await settle();
    await clock.advance(100);
    expect(children.log).toEqual(['start a#0', 'start b#0', 'fail a#1', 'stop b']);
    expect((await handle.exit).reason).toBe('crash');
  });

  it('a parent restarts a nested supervisor that escalated', async () => {
    const clock = new ManualClock();
    const children = new FakeChildren();
    const backoff = { initialDelayMs: 100, factor: 1, jitter: 0 };
    const inner = supervisorChild({ id: 'inner', clock, backoff, maxRestarts: 1 }, [children.spec('x'), children.spec('y')]);
    const root = new Supervisor({ id: 'root', clock, backoff });
    await root.start([children.spec('w'), inner]);
    expect(children.log).toEqual(['start w#0', 'start x#0', 'start y#0']);
    children.crash('x');
    await clock.advance(100);
    children.crash('x');
    await clock.advance(0);
    expect(children.log.slice(3)).toEqual(['start x#1', 'stop y']);
    expect(root.describe().children[1]).toMatchObject({
      id: 'inner',
      type: 'supervisor',
      state: 'restarting',
      lastExit: { reason: 'crash' },
      supervisor: { id: 'inner', state: 'escalated' },
    });
    await clock.advance(100);
    expect(children.log.slice(5)).toEqual(['start x#0', 'start y#0']);
    expect(root.describe()).toEqual({
      id: 'root',
      strategy: 'one_for_one',
      maxRestarts: 5,
      periodSeconds: 60,
      restartsInPeriod: 1,
      state: 'running',
      children: [
        { id: 'w', type: 'worker', restart: 'permanent', state: 'running', restarts: 0 },
        {
          id: 'inner',
          type: 'supervisor',
          restart: 'permanent',
          state: 'running',
          restarts: 1,
          lastExit: { reason: 'crash', error: expect.stringContaining('supervisor "inner" escalated') },
          supervisor: {
            id: 'inner',
            strategy: 'one_for_one',
            maxRestarts: 1,
            periodSeconds: 60,
            restartsInPeriod: 0,
            state: 'running',
            children: [
              { id: 'x', type: 'worker', restart: 'permanent', state: 'running', restarts: 0 },
              { id: 'y', type: 'worker', restart: 'permanent', state: 'running', restarts: 0 },
            ],
          },
        },
      ],
    });
    await root.stop();
    expect(children.log.slice(-3)).toEqual(['stop y', 'stop x', 'stop w']);
  });
});

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
