import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { agentMachine } from '../../actors/agent-machine.js';
import { persistedSnapshot } from '../../actors/persisted-snapshot.js';
import { encodeCheckpoint, type CheckpointRecord } from '../../persistence/envelope.js';

/** The incremental encoder must produce exactly what JSON.stringify does, checkpoint after checkpoint. */
describe('incremental checkpoint JSON', () => {
  it('equals JSON.stringify as the journal grows, nests, collapses and waits', () => {
    const actor = createActor(agentMachine, { input: { agentId: 'a', playbook: 'P', input: { deep: { list: [1, 'two', null] } } } }).start();
    const check = () => {
      const record: CheckpointRecord = {
        format: 1,
        agentId: 'a',
        seq: 1,
        playbook: 'P',
        savedAt: '2026-01-01T00:00:00.000Z',
        status: 'running',
        inboxCursor: 3,
        owner: 'h',
        snapshot: persistedSnapshot(actor.getSnapshot()),
      };
      expect(encodeCheckpoint(record)).toBe(JSON.stringify(record));
    };
    check();
    actor.send({ type: 'STEP.DONE', at: { frame: [], position: 0 }, name: 'A', value: { x: 1, s: 'é"\\n' } });
    check();
    actor.send({ type: 'CALL.START', at: { frame: [], position: 1 }, name: 'Child' });
    check();
    actor.send({ type: 'STEP.DONE', at: { frame: [1], position: 0 }, name: 'B', error: { name: 'Error', message: 'no', code: 'X' } });
    check();
    actor.send({ type: 'MESSAGE.SENT', message: { type: 'go', payload: [1, 2], sentAt: 5, msgId: 'm1' } });
    actor.send({ type: 'RECEIVE.WAIT', at: { frame: [1], position: 1 }, messageType: 'go', until: 99 });
    check();
    actor.send({ type: 'MESSAGE.CONSUMED', at: { frame: [1], position: 1 }, messageId: '1', value: [1, 2] });
    check();
    actor.send({ type: 'CALL.DONE', at: { frame: [], position: 1 }, name: 'Child', value: 7 });
    check();
    actor.send({ type: 'DONE', result: { ok: true } });
    check();
  });
});
