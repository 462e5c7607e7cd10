import { describe, expect, it } from 'vitest';
import { CheckpointWriter } from '../../persistence/checkpoint-writer.js';
import { MemoryCheckpointStore } from '../../persistence/memory-store.js';
import type { CheckpointStore } from '../../persistence/checkpoint-store.js';

/** A memory store whose save of `seq` is stored but answered with an error, once: a lost answer. */
function losingTheAnswerTo(seq: number, onConflict: () => void): { store: CheckpointStore; inner: MemoryCheckpointStore } {
  const inner = new MemoryCheckpointStore();
  let lose = true;
  const store = Object.create(inner) as CheckpointStore;
  store.save = async (...args: Parameters<CheckpointStore['save']>) => {
    try {
      const revision = await inner.save(...args);
      if (args[1] === seq && lose) {
        lose = false;
        throw new Error('connection lost before the answer');
      }
      return revision;
    } catch (error) {
      if ((error as { code?: string }).code === 'CHECKPOINT_CONFLICT') onConflict();
      throw error;
    }
  };
  return { store, inner };
}

describe('CheckpointWriter', () => {
  it('after a save whose answer was lost but which landed, stores the next state as the next seq, as it was when written', async () => {
    const snapshot = (n: number) => ({ status: 'active' as const, value: 'on', context: { n } });
    const next = snapshot(3);
    // While the writer looks into the conflict, the agent moves on: what it stores must not change.
    const { store, inner } = losingTheAnswerTo(2, () => (next.context.n = 99));
    const writer = new CheckpointWriter({ store, agentId: 'w', kind: 'machine', playbook: { name: 'M', version: undefined }, owner: undefined, now: () => 0 });
    expect((await writer.write(snapshot(1), 'running')).seq).toBe(1);
    await expect(writer.write(snapshot(2), 'running')).rejects.toThrow('connection lost');
    // Its seq 2 did land: the writer sees it is its own and writes this state as seq 3.
    expect((await writer.write(next, 'running')).seq).toBe(3);
    const stored = async (seq: number) => JSON.parse((await inner.load('w', seq))!.data).snapshot.context.n;
    expect([await stored(1), await stored(2), await stored(3)]).toEqual([1, 2, 3]);
    expect(await inner.history('w')).toEqual([1, 2, 3]);
  });
});
