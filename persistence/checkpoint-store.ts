import { CheckpointTooLargeError } from '../errors.js';

/** A checkpoint as a store holds it: the encoded record and where it sits in the agent's history. */
export interface StoredCheckpoint {
  agentId: string;
  /** Checkpoint number: 1 for the first, up by one per checkpoint. */
  seq: number;
  /**
   * The store's version of the agent's entry after this write, passed back as
   * `expectedRevision` on the next save (equal to `seq` in the file and memory stores).
   */
  revision: number;
  /** The encoded checkpoint record (JSON). */
  data: string;
}

/**
 * Where checkpoints live. One small interface so the engine does not care which store it
 * writes to. Every save is a compare-and-set: a writer that is not the latest one for the
 * agent (another host, a zombie) gets a `CheckpointConflictError` and never overwrites a
 * newer checkpoint.
 */
export interface CheckpointStore {
  /** A short name for logs and status: "file", "memory", "nats". */
  readonly kind: string;
  /**
   * Stores checkpoint `seq`. `expectedRevision` is the revision this writer last stored, or
   * `undefined` when the agent must not exist yet. Resolves to the new revision.
   */
  save(agentId: string, seq: number, data: string, expectedRevision: number | undefined): Promise<number>;
  /** The newest checkpoint of the agent, or `undefined` when it has none. */
  latest(agentId: string): Promise<StoredCheckpoint | undefined>;
  /** One checkpoint, or `undefined` when it is not (or no longer) kept. */
  load(agentId: string, seq: number): Promise<StoredCheckpoint | undefined>;
  /** The kept checkpoint numbers of the agent, oldest first. */
  history(agentId: string): Promise<number[]>;
  /** Every agent id with at least one checkpoint. */
  listAgents(): Promise<string[]>;
  /** Deletes all but the newest `keepLastN` checkpoints; resolves to how many were deleted. */
  prune(agentId: string, keepLastN: number): Promise<number>;
  /** Deletes every checkpoint of the agent. */
  delete(agentId: string): Promise<void>;
  /** Waits for background work (pruning) and releases resources. */
  close(): Promise<void>;
}

export function megabytes(mb: number): number {
  return Math.floor(mb * 1024 * 1024);
}

/** Fails loudly, never skips: a checkpoint above the limit is an error for the agent. */
export function assertCheckpointSize(agentId: string, data: string, maxBytes: number): void {
  // data.length ≤ bytes ≤ 3 × data.length for UTF-16 → UTF-8, so most checks avoid a full count.
  if (data.length * 3 <= maxBytes) return;
  const bytes = Buffer.byteLength(data);
  if (bytes > maxBytes) throw new CheckpointTooLargeError(agentId, bytes, maxBytes);
}
