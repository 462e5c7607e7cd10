import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../actors/clock.js';
import { PlaybooksError } from '../../errors.js';
import { Supervisor, supervisorChild, type ChildExit, type RestartType } from '../../supervisor/supervisor.js';
import { FakeChildren } from '../helpers/fake-child.js';
import { childStates, setup } from '../helpers/supervisor-setup.js';

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
