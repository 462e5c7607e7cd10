import { ensureError } from '../errors.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { decodeCheckpoint, type CheckpointRecord } from './envelope.js';
import { recordCallStack } from './record-views.js';

/** One line of an agent's checkpoint history. */
export interface CheckpointSummary {
  seq: number;
  savedAt?: string;
  status?: CheckpointRecord['status'];
  playbook?: string;
  bytes: number;
  callStack?: string[];
  /** Why the checkpoint cannot be decoded, when it cannot. */
  corrupt?: string;
}

/** Reads and maintains agents' checkpoints in a store. */
export class CheckpointManager {
  constructor(readonly store: CheckpointStore) {}

  /** Every agent with checkpoints in the store. */
  listAgents(): Promise<string[]> {
    return this.store.listAgents();
  }

  /** The newest checkpoint, decoded; throws `CorruptCheckpointError` when it cannot be decoded. */
  async getLatestCheckpoint(agentId: string): Promise<CheckpointRecord | undefined> {
    const stored = await this.store.latest(agentId);
    return stored && decodeCheckpoint(stored);
  }

  /** One checkpoint, decoded, or `undefined` when it is not kept. */
  async loadCheckpoint(agentId: string, seq: number): Promise<CheckpointRecord | undefined> {
    const stored = await this.store.load(agentId, seq);
    return stored && decodeCheckpoint(stored);
  }

  /** The kept checkpoints, oldest first; corrupt ones are listed with the reason. */
  async listCheckpoints(agentId: string): Promise<CheckpointSummary[]> {
    const summaries: CheckpointSummary[] = [];
    for (const seq of await this.store.history(agentId)) {
      const stored = await this.store.load(agentId, seq);
      if (!stored) continue;
      const bytes = Buffer.byteLength(stored.data);
      try {
        const record = decodeCheckpoint(stored);
        summaries.push({
          seq,
          savedAt: record.savedAt,
          status: record.status,
          playbook: record.playbook,
          bytes,
          callStack: recordCallStack(record),
        });
      } catch (error) {
        summaries.push({ seq, bytes, corrupt: ensureError(error).message });
      }
    }
    return summaries;
  }

  /** Deletes all but the newest `keepLastN` checkpoints; resolves to how many were deleted. */
  cleanupOldCheckpoints(agentId: string, keepLastN: number): Promise<number> {
    return this.store.prune(agentId, keepLastN);
  }
}
