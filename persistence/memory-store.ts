import { CheckpointConflictError } from '../errors.js';
import { assertCheckpointSize, megabytes, type CheckpointStore, type StoredCheckpoint } from './checkpoint-store.js';
import { SegmentKeeper, type SegmentedSave } from './journal-segments.js';

export interface MemoryCheckpointStoreOptions {
  /** Checkpoints kept per agent. Default 10. */
  keepLastN?: number;
  /** Largest encoded checkpoint accepted, in MiB. Default 10. */
  maxCheckpointSizeMb?: number;
}

/** Keeps checkpoints in this process's memory: for unit tests and `enabled`-but-ephemeral runs. */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly kind = 'memory';
  readonly keepsSegments = true;
  private readonly agents = new Map<string, Map<number, string>>();
  private readonly segments = new Map<string, Map<string, string>>();
  private readonly keeper = new SegmentKeeper(
    async (agentId, segments) => {
      const kept = this.segments.get(agentId) ?? new Map<string, string>();
      for (const segment of segments) kept.set(segment.name, segment.data);
      this.segments.set(agentId, kept);
    },
    async (agentId, name) => this.segments.get(agentId)?.get(name),
  );
  private readonly keepLastN: number;
  private readonly maxBytes: number;

  constructor(options: MemoryCheckpointStoreOptions = {}) {
    this.keepLastN = options.keepLastN ?? 10;
    this.maxBytes = megabytes(options.maxCheckpointSizeMb ?? 10);
  }

  async save(agentId: string, seq: number, data: string, expectedRevision: number | undefined, segments?: SegmentedSave): Promise<number> {
    assertCheckpointSize(agentId, data, this.maxBytes, segments);
    await this.keeper.save(agentId, segments);
    const checkpoints = this.agents.get(agentId) ?? new Map<number, string>();
    const latest = latestSeq(checkpoints);
    if ((latest ?? undefined) !== expectedRevision || checkpoints.has(seq)) {
      throw new CheckpointConflictError(agentId, seq);
    }
    checkpoints.set(seq, data);
    this.agents.set(agentId, checkpoints);
    for (const old of checkpoints.keys()) if (old <= seq - this.keepLastN) checkpoints.delete(old);
    return seq;
  }

  async latest(agentId: string): Promise<StoredCheckpoint | undefined> {
    const checkpoints = this.agents.get(agentId);
    const seq = checkpoints && latestSeq(checkpoints);
    return seq === undefined ? undefined : this.load(agentId, seq);
  }

  async load(agentId: string, seq: number): Promise<StoredCheckpoint | undefined> {
    const data = this.agents.get(agentId)?.get(seq);
    if (data === undefined) return undefined;
    return this.keeper.splice({ agentId, seq, revision: seq, data });
  }

  async history(agentId: string): Promise<number[]> {
    return [...(this.agents.get(agentId)?.keys() ?? [])].sort((a, b) => a - b);
  }

  async listAgents(): Promise<string[]> {
    return [...this.agents.keys()];
  }

  async prune(agentId: string, keepLastN: number): Promise<number> {
    const seqs = await this.history(agentId);
    const doomed = seqs.slice(0, Math.max(0, seqs.length - keepLastN));
    for (const seq of doomed) this.agents.get(agentId)?.delete(seq);
    return doomed.length;
  }

  async delete(agentId: string): Promise<void> {
    this.agents.delete(agentId);
    this.segments.delete(agentId);
    this.keeper.forget(agentId);
  }

  /** Replaces a stored checkpoint's bytes: lets tests corrupt a checkpoint. */
  overwrite(agentId: string, seq: number, data: string): void {
    this.agents.get(agentId)?.set(seq, data);
  }

  async close(): Promise<void> {}
}

function latestSeq(checkpoints: Map<number, string>): number | undefined {
  let latest: number | undefined;
  for (const seq of checkpoints.keys()) if (latest === undefined || seq > latest) latest = seq;
  return latest;
}
