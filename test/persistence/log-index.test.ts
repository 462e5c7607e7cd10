import { describe, expect, it } from 'vitest';
import { FrameKind, type FrameHead } from '../../persistence/log-frames.js';
import { LogIndex, type Location } from '../../persistence/log-index.js';

const at = (file: number, offset: number): Location => ({ file, offset, length: 100, dataOffset: offset + 20, dataLength: 80 });
const checkpointFrame = (agentId: string, seq: number, where: Location): FrameHead =>
  ({ kind: FrameKind.Checkpoint, agentId, seq, name: '', offset: where.offset, length: where.length, dataOffset: where.dataOffset, dataLength: where.dataLength });

describe('LogIndex while a deletion is being written', () => {
  it('hides the agent from readers but keeps its frames live until the marker is durable', () => {
    const index = new LogIndex(10);
    const agent = index.agentFor('a1');
    index.putCheckpoint(agent, 1, at(1, 0));
    expect(index.beginDelete('a1')).toBe(agent);
    expect(index.agents.has('a1')).toBe(false);
    // Compaction still sees the frame as live (it copies it), and moves it.
    expect(index.isLive(checkpointFrame('a1', 1, at(1, 0)), at(1, 0))).toBe(true);
    index.moved(checkpointFrame('a1', 1, at(1, 0)), at(1, 0), at(2, 500));
    expect(index.liveBytes(1)).toBe(0);
    expect(index.liveBytes(2)).toBe(100);
    index.endDelete(agent, true);
    expect(index.liveBytes(2)).toBe(0);
    expect(index.agents.has('a1')).toBe(false);
  });

  it('brings the agent back when its marker failed, unless one of that id was made meanwhile', () => {
    const index = new LogIndex(10);
    const agent = index.agentFor('a1');
    index.putCheckpoint(agent, 1, at(1, 0));
    index.beginDelete('a1');
    index.endDelete(agent, false);
    expect(index.agents.get('a1')).toBe(agent);
    expect(index.liveBytes(1)).toBe(100);

    index.beginDelete('a1');
    const newer = index.agentFor('a1');
    index.putCheckpoint(newer, 1, at(1, 100));
    index.endDelete(agent, false);
    expect(index.agents.get('a1')).toBe(newer);
    expect(index.liveBytes(1)).toBe(100); // the newer one's frame only
  });
});
