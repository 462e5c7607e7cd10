import { CheckpointTooLargeError } from '../errors.js';
import type { SegmentedSave } from './journal-segments.js';

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
  /** The encoded checkpoint record (JSON), with its journal segments spliced back. */
  data: string;
  /** The record as the store holds it, when it names journal segments (then it differs from `data`). */
  storedData?: string;
}

/**
 * Where checkpoints live. One small interface so the engine does not care which store it
 * writes to. Every save is a compare-and-set: a writer that is not the latest one for the
 * agent (another host, a zombie) gets a `CheckpointConflictError` and never overwrites a
 * newer checkpoint.
 */
export interface CheckpointStore {
  /** A short name for logs and status: "file", "log", "memory", "nats". */
  readonly kind: string;
  /**
   * Whether the store keeps journal segments (persistence/journal-segments.ts): then writers
   * pass `segments` to `save`, and `latest` and `load` return records with them spliced back.
   */
  readonly keepsSegments?: boolean;
  /**
   * Stores checkpoint `seq`. `expectedRevision` is the revision this writer last stored, or
   * `undefined` when the agent must not exist yet. Resolves to the new revision. With
   * `segments`, the new segments are stored before the record that names them, and the size
   * limit applies to the record and the segments it names together.
   */
  save(agentId: string, seq: number, data: string, expectedRevision: number | undefined, segments?: SegmentedSave): Promise<number>;
  /** The newest checkpoint of the agent (segments spliced back), or `undefined` when it has none. */
  latest(agentId: string): Promise<StoredCheckpoint | undefined>;
  /** One checkpoint (segments spliced back), or `undefined` when it is not (or no longer) kept. */
  load(agentId: string, seq: number): Promise<StoredCheckpoint | undefined>;
  /** The kept checkpoint numbers of the agent, oldest first. */
  history(agentId: string): Promise<number[]>;
  /** Every agent id with at least one checkpoint. */
  listAgents(): Promise<string[]>;
  /** Deletes all but the newest `keepLastN` checkpoints; resolves to how many were deleted. */
  prune(agentId: string, keepLastN: number): Promise<number>;
  /** Deletes every checkpoint of the agent, and its journal segments. */
  delete(agentId: string): Promise<void>;
  /** Waits for background work (pruning) and releases resources. */
  close(): Promise<void>;
}

export function megabytes(mb: number): number {
  return Math.floor(mb * 1024 * 1024);
}

/** How far past the limit a record that only adds an agent's failure may go. */
const FAILURE_RECORD_ALLOWANCE = 4096;

/**
 * Fails loudly, never skips: a checkpoint above the limit is an error for the agent. The size
 * is the record's plus that of the journal segments it names.
 */
export function assertCheckpointSize(agentId: string, data: string, maxBytes: number, segments?: SegmentedSave): void {
  const limit = maxBytes + (segments?.recordsFailure ? FAILURE_RECORD_ALLOWANCE : 0);
  const segmentBytes = segments?.referencedBytes ?? 0;
  // data.length ≤ bytes ≤ 3 × data.length for UTF-16 → UTF-8, so most checks avoid a full count.
  if (data.length * 3 + segmentBytes <= limit) return;
  const bytes = Buffer.byteLength(data) + segmentBytes;
  if (bytes > limit) throw new CheckpointTooLargeError(agentId, bytes, maxBytes);
}
