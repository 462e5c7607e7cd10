import { FrameKind, type FrameHead } from './log-frames.js';

/** Where a frame sits: its log file, its extent, and that of its data. */
export interface Location {
  file: number;
  offset: number;
  length: number;
  dataOffset: number;
  dataLength: number;
}

export function locationOf(file: number, frame: FrameHead): Location {
  return { file, offset: frame.offset, length: frame.length, dataOffset: frame.dataOffset, dataLength: frame.dataLength };
}

/** One agent's live frames. A deleted agent's object is dropped: a later agent of that id gets a new one. */
export class AgentFrames {
  /** Stored checkpoints, by seq. */
  readonly checkpoints = new Map<number, Location>();
  /** Its journal segments, by name. */
  readonly segments = new Map<string, Location>();
  /**
   * The newest seq the writer accepted, stored or still being written: a save must name it as
   * its expected revision (compare-and-set).
   */
  head: number | undefined;

  newestStored(): number | undefined {
    let newest: number | undefined;
    for (const seq of this.checkpoints.keys()) if (newest === undefined || seq > newest) newest = seq;
    return newest;
  }

  storedSeqs(): number[] {
    return [...this.checkpoints.keys()].sort((a, b) => a - b);
  }
}

/**
 * What the log holds that is still live, in memory: for each agent, where its kept checkpoints
 * and its segments are; for each log file, how many of its bytes are live (what compaction must
 * copy before the file can go).
 */
export class LogIndex {
  readonly agents = new Map<string, AgentFrames>();
  /**
   * Agents whose deletion marker is being written: gone for readers, but their frames stay live
   * (compaction copies them, their file stays) until the marker is durable; a failed marker
   * brings the agent back.
   */
  private readonly deleting = new Map<AgentFrames, string>();
  private readonly live = new Map<number, number>();

  constructor(private readonly keepLastN: number) {}

  /** Replays one frame read from the log, in log order. */
  replay(file: number, frame: FrameHead): void {
    switch (frame.kind) {
      case FrameKind.Checkpoint: {
        const agent = this.agentFor(frame.agentId);
        this.putCheckpoint(agent, frame.seq, locationOf(file, frame));
        if (agent.head === undefined || frame.seq > agent.head) agent.head = frame.seq;
        break;
      }
      case FrameKind.Segment:
        this.putSegment(this.agentFor(frame.agentId), frame.name, locationOf(file, frame));
        break;
      case FrameKind.Delete:
        this.dropAgent(frame.agentId);
        break;
      case FrameKind.Prune: {
        const agent = this.agents.get(frame.agentId);
        if (agent) this.pruneBelow(agent, frame.seq);
        break;
      }
    }
  }

  agentFor(agentId: string): AgentFrames {
    let agent = this.agents.get(agentId);
    if (!agent) this.agents.set(agentId, (agent = new AgentFrames()));
    return agent;
  }

  /** Records a stored checkpoint, and drops the oldest past `keepLastN`. */
  putCheckpoint(agent: AgentFrames, seq: number, at: Location): void {
    const replaced = agent.checkpoints.get(seq);
    if (replaced) this.release(replaced);
    agent.checkpoints.set(seq, at);
    this.hold(at);
    // One over at most (saves come one by one, and so does the replay): the oldest goes.
    if (agent.checkpoints.size > this.keepLastN) this.pruneBelow(agent, Math.min(...agent.checkpoints.keys()) + 1);
  }

  putSegment(agent: AgentFrames, name: string, at: Location): void {
    const replaced = agent.segments.get(name);
    if (replaced) this.release(replaced);
    agent.segments.set(name, at);
    this.hold(at);
  }

  /** Drops the agent's checkpoints below `seq`; returns how many. */
  pruneBelow(agent: AgentFrames, seq: number): number {
    let dropped = 0;
    for (const [stored, at] of agent.checkpoints) {
      if (stored >= seq) continue;
      agent.checkpoints.delete(stored);
      this.release(at);
      dropped++;
    }
    return dropped;
  }

  dropAgent(agentId: string): void {
    const agent = this.agents.get(agentId);
    if (!agent) return;
    this.agents.delete(agentId);
    this.releaseAll(agent);
  }

  /** Whether `agent` is still the one of that id, or one whose deletion is not yet durable. */
  holds(agentId: string, agent: AgentFrames): boolean {
    return this.agents.get(agentId) === agent || this.deleting.has(agent);
  }

  /** Hides the agent while its deletion marker is written; `endDelete` says how that went. */
  beginDelete(agentId: string): AgentFrames | undefined {
    const agent = this.agents.get(agentId);
    if (!agent) return undefined;
    this.agents.delete(agentId);
    this.deleting.set(agent, agentId);
    return agent;
  }

  /**
   * The marker is durable: the agent's frames are dead. Or it failed: the agent is back, as the
   * log still holds it (unless an agent of that id was made meanwhile: the newer one stays).
   */
  endDelete(agent: AgentFrames, markerStored: boolean): void {
    const agentId = this.deleting.get(agent);
    if (agentId === undefined) return;
    this.deleting.delete(agent);
    if (!markerStored && !this.agents.has(agentId)) this.agents.set(agentId, agent);
    else this.releaseAll(agent);
  }

  /** Moves a live frame to where compaction copied it, if it is still live where it was. */
  moved(frame: FrameHead, from: Location, to: Location): void {
    const agent = this.holderOf(frame, from);
    if (!agent) return;
    if (frame.kind === FrameKind.Checkpoint) agent.checkpoints.set(frame.seq, to);
    else agent.segments.set(frame.name, to);
    this.release(from);
    this.hold(to);
  }

  /** Whether the frame at `at` is one the index still points to (never a deletion or prune marker). */
  isLive(frame: FrameHead, at: Location): boolean {
    return this.holderOf(frame, at) !== undefined;
  }

  liveBytes(file: number): number {
    return this.live.get(file) ?? 0;
  }

  totalLiveBytes(): number {
    let total = 0;
    for (const bytes of this.live.values()) total += bytes;
    return total;
  }

  forgetFile(file: number): void {
    this.live.delete(file);
  }

  /** The agent (or agent being deleted) that points to the frame at `at`. */
  private holderOf(frame: FrameHead, at: Location): AgentFrames | undefined {
    const agent = this.agents.get(frame.agentId);
    if (agent && pointsTo(agent, frame, at)) return agent;
    for (const [deleting, agentId] of this.deleting) if (agentId === frame.agentId && pointsTo(deleting, frame, at)) return deleting;
    return undefined;
  }

  private releaseAll(agent: AgentFrames): void {
    for (const at of agent.checkpoints.values()) this.release(at);
    for (const at of agent.segments.values()) this.release(at);
  }

  private hold(at: Location): void {
    this.live.set(at.file, (this.live.get(at.file) ?? 0) + at.length);
  }

  private release(at: Location): void {
    this.live.set(at.file, (this.live.get(at.file) ?? 0) - at.length);
  }
}

function pointsTo(agent: AgentFrames, frame: FrameHead, at: Location): boolean {
  const current =
    frame.kind === FrameKind.Checkpoint ? agent.checkpoints.get(frame.seq) : frame.kind === FrameKind.Segment ? agent.segments.get(frame.name) : undefined;
  return current?.file === at.file && current.offset === at.offset;
}
