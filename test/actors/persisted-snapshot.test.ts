import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { agentMachine } from '../../actors/agent-machine.js';
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
