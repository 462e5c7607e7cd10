import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { agentMachine, stateOf, type AgentEvent, type AgentSnapshot } from '../../actors/agent-machine.js';
import { persistedSnapshot } from '../../actors/persisted-snapshot.js';

/** The checkpoint's snapshot is built without XState's deep copy: it must equal XState's own, as JSON. */
describe('persisted agent snapshots', () => {
  it('match actor.getPersistedSnapshot() in every state, history included', () => {
    const actor = createActor(agentMachine, { input: { agentId: 'a', playbook: 'P', input: { n: 1 } } }).start();
    const same = () => expect(JSON.parse(JSON.stringify(persistedSnapshot(actor.getSnapshot())))).toEqual(JSON.parse(JSON.stringify(actor.getPersistedSnapshot())));
    same();
    actor.send({ type: 'STEP.DONE', at: { frame: [], position: 0 }, name: 'A', value: { x: 1 } });
    same();
    actor.send({ type: 'RECEIVE.WAIT', at: { frame: [], position: 1 }, messageType: 'go' });
    same();
    actor.send({ type: 'STOP' });
    same();
    actor.send({ type: 'RESUME' });
    same();
    expect(actor.getSnapshot().value).toEqual({ active: 'waiting' });
    actor.send({ type: 'DONE', result: 42 });
    same();
  });
});

/** `stateOf` reads the state value directly; it must say what `snapshot.matches` says. */
describe('stateOf', () => {
  const byMatches = (snapshot: AgentSnapshot): string => {
    if (snapshot.matches({ active: 'waiting' })) return 'waiting';
    if (snapshot.matches('active')) return 'running';
    if (snapshot.matches('completed')) return 'completed';
    if (snapshot.matches('failed')) return 'failed';
    return 'stopped';
  };
  const run = (events: AgentEvent[]) => {
    const actor = createActor(agentMachine, { input: { agentId: 'a', playbook: 'P', input: undefined } }).start();
    const seen = [stateOf(actor.getSnapshot())];
    expect(seen[0]).toBe(byMatches(actor.getSnapshot()));
    for (const event of events) {
      actor.send(event);
      expect(stateOf(actor.getSnapshot())).toBe(byMatches(actor.getSnapshot()));
      seen.push(stateOf(actor.getSnapshot()));
    }
    return seen;
  };

  it('agrees with snapshot.matches in every state', () => {
    const at = (position: number) => ({ frame: [], position });
    expect(
      run([
        { type: 'SLEEP.START', at: at(0), until: 5 },
        { type: 'SLEEP.DONE', at: at(0) },
        { type: 'RECEIVE.WAIT', at: at(1), messageType: 'go' },
        { type: 'STOP' },
        { type: 'RESUME' },
        { type: 'RECEIVE.TIMEOUT', at: at(1) },
        { type: 'DONE', result: 1 },
      ]),
    ).toEqual(['running', 'waiting', 'running', 'waiting', 'stopped', 'waiting', 'running', 'completed']);
    expect(run([{ type: 'FAIL', error: { name: 'Error', message: 'no' } }])).toEqual(['running', 'failed']);
  });
});
