import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { agentMachine } from '../../actors/agent-machine.js';
import { persistedSnapshot } from '../../actors/persisted-snapshot.js';
import { CheckpointWriter } from '../../persistence/checkpoint-writer.js';
import type { Frame } from '../../actors/journal.js';
import { CHECKPOINT_FORMAT } from '../../persistence/envelope.js';
import { stringifySnapshot } from '../../persistence/incremental-json.js';
import { MemoryCheckpointStore } from '../../persistence/memory-store.js';
import { JournalSegmenter, SEGMENT_ENTRIES, withSegments } from '../../persistence/journal-segments.js';

/**
 * The incremental encoder must produce exactly what JSON.stringify does, checkpoint after
 * checkpoint: for the snapshot here, for the record's envelope in the writer test below.
 */
describe('incremental checkpoint JSON', () => {
  it('equals JSON.stringify as the journal grows, nests, collapses and waits', () => {
    const actor = createActor(agentMachine, { input: { agentId: 'a', playbook: 'P', input: { deep: { list: [1, 'two', null] } } } }).start();
    const check = () => {
      const snapshot = persistedSnapshot(actor.getSnapshot());
      expect(stringifySnapshot(snapshot, 'playbook')).toBe(JSON.stringify(snapshot));
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

  it('past a few entries, encodes each finished entry once and still equals JSON.stringify', () => {
    const actor = createActor(agentMachine, { input: { agentId: 'a', playbook: 'P', input: 1 } }).start();
    let encodings = 0;
    // A value that counts how often it is encoded (JSON.stringify calls toJSON each time).
    const counted = (n: number) => ({ toJSON: () => (encodings++, { n }) });
    const encodingsPerCheckpoint: number[] = [];
    for (let position = 0; position < 20; position++) {
      actor.send({ type: 'STEP.DONE', at: { frame: [], position }, name: 'S', value: counted(position) });
      const before = encodings;
      const snapshot = persistedSnapshot(actor.getSnapshot());
      const json = stringifySnapshot(snapshot, 'playbook');
      encodingsPerCheckpoint.push(encodings - before);
      expect(json).toBe(JSON.stringify(snapshot));
    }
    // A small journal is encoded whole (each entry again); from the ninth entry on, only the new one
    // (and, once, the ones cached before).
    expect(encodingsPerCheckpoint.slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(encodingsPerCheckpoint[8]).toBe(9);
    expect(encodingsPerCheckpoint.slice(9)).toEqual(Array(11).fill(1));
  });

  /**
   * An actor and a segmenter encoding its checkpoints, with a map as the segment store: each
   * `check()` encodes one, asserts that splicing its segments back gives JSON.stringify of the
   * record, and returns the record as stored.
   */
  function segmentedAgent() {
    const actor = createActor(agentMachine, { input: { agentId: 'a', playbook: 'P', input: 1 } }).start();
    const segmenter = new JournalSegmenter();
    const stored = new Map<string, string>();
    // The part of a record that segments change: `{ snapshot }` stands for it.
    const recordNow = () => ({ snapshot: persistedSnapshot(actor.getSnapshot()) });
    const check = async (): Promise<{ data: string; journal: Frame & { segments?: string[] } }> => {
      const record = recordNow();
      const data = `{"snapshot":${stringifySnapshot(record.snapshot, 'playbook', segmenter)}}`;
      const save = segmenter.pending();
      for (const segment of save?.newSegments ?? []) stored.set(segment.name, segment.data);
      if (save) segmenter.stored(save);
      expect((await withSegments({ agentId: 'a', seq: 1, revision: 1, data }, async (name) => stored.get(name))).data).toBe(JSON.stringify(record));
      return { data, journal: JSON.parse(data).snapshot.context.journal };
    };
    return { actor, stored, recordNow, check };
  }

  it('with journal segments: names sealed blocks, and splicing them back gives JSON.stringify of the record', async () => {
    const { actor, stored, recordNow, check } = segmentedAgent();
    const sizes: number[] = [];
    for (let position = 0; position < 1_000; position++) {
      actor.send({ type: 'STEP.DONE', at: { frame: [], position }, name: 'S', value: { position, note: 'x'.repeat(50) } });
      if (position % 97 === 0 || position === 999) sizes.push((await check()).data.length);
    }
    expect(stored.size).toBe(Math.floor(1_000 / SEGMENT_ENTRIES));
    // The record stays under two blocks' worth of entries, while the journal is 1,000 long.
    expect(Math.max(...sizes)).toBeLessThan(2 * SEGMENT_ENTRIES * 90);
    expect(JSON.stringify(recordNow()).length).toBeGreaterThan(1_000 * 80);
  });

  it('with journal segments and a call left open in a sealed block: splicing still gives JSON.stringify', async () => {
    const { actor, check } = segmentedAgent();
    actor.send({ type: 'RECEIVE.WAIT', at: { frame: [], position: 0 }, messageType: 'go', until: 9 });
    for (let position = 1; position <= 3 * SEGMENT_ENTRIES; position++) {
      actor.send({ type: 'STEP.DONE', at: { frame: [], position }, name: 'S', value: position });
      if (position % 50 === 0) await check();
    }
    const { journal: open } = await check();
    expect(open.segments).toHaveLength(3);
    expect(open.entries['0']).toEqual({ kind: 'receive', name: 'go', until: 9 });
    actor.send({ type: 'RECEIVE.TIMEOUT', at: { frame: [], position: 0 } });
    expect((await check()).journal.entries['0']).toEqual({ kind: 'receive', name: 'go', done: true, timedOut: true });
  });

  it("encodes a plain machine's context as it is, whatever its keys are called", () => {
    const snapshot = { status: 'active', value: 'idle', context: { journal: [1, 2], frame: 'f', input: { a: [1] } } };
    expect(stringifySnapshot(snapshot, 'machine')).toBe(JSON.stringify(snapshot));
  });

  it("a writer's record is JSON.stringify of its CheckpointRecord, field for field", async () => {
    const actor = createActor(agentMachine, { input: { agentId: 'w', playbook: 'P', input: { n: [1] } } }).start();
    actor.send({ type: 'STEP.DONE', at: { frame: [], position: 0 }, name: 'A', value: 'é"' });
    const playbookSnapshot = persistedSnapshot(actor.getSnapshot());
    const machineSnapshot = { status: 'active' as const, value: 'idle', context: { journal: [1], input: { a: 1 } } };
    const savedAt = '2026-01-01T00:00:00.000Z';
    const store = new MemoryCheckpointStore();
    const cases = [
      { agentId: 'w1', kind: undefined, playbook: { name: 'P', version: undefined }, owner: undefined, supervision: undefined, snapshot: playbookSnapshot },
      {
        agentId: 'w2',
        kind: 'machine' as const,
        playbook: { name: 'M "quoted"', version: '2.0' },
        owner: 'host-1',
        supervision: { supervisor: 'root', restart: 'permanent' as const },
        snapshot: machineSnapshot,
      },
    ];
    for (const { agentId, kind, playbook, owner, supervision, snapshot } of cases) {
      const writer = new CheckpointWriter({ store, agentId, kind, playbook, owner, supervision, now: () => Date.parse(savedAt) });
      const error = { name: 'Error', message: 'no', code: 'X' };
      await writer.write(snapshot, 'running');
      await writer.write(snapshot, 'failed', error, 7);
      const expected = (seq: number, extra: object) =>
        JSON.stringify({
          format: CHECKPOINT_FORMAT,
          ...(kind ? { kind } : {}),
          agentId,
          seq,
          playbook: playbook.name,
          ...(playbook.version === undefined ? {} : { playbookVersion: playbook.version }),
          savedAt,
          ...extra,
          ...(owner === undefined ? {} : { owner }),
          ...(supervision === undefined ? {} : { supervision }),
          snapshot,
        });
      expect((await store.load(agentId, 1))!.data).toBe(expected(1, { status: 'running' }));
      expect((await store.load(agentId, 2))!.data).toBe(expected(2, { status: 'failed', error, inboxCursor: 7 }));
    }
  });
});
