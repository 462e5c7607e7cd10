import type { AgentState } from '../actors/agent-machine.js';
import type { SerializedError } from '../actors/serialize.js';
import { CheckpointConflictError } from '../errors.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { CHECKPOINT_FORMAT, encodeCheckpoint, type CheckpointRecord, type PersistedAgentSnapshot } from './envelope.js';

/** The last checkpoint a writer stored (or found), which its next save must follow. */
export interface CheckpointPosition {
  seq: number;
  /** `undefined` when the agent has no checkpoint yet. */
  revision: number | undefined;
}

export interface WrittenCheckpoint {
  seq: number;
  bytes: number;
}

/** Writes one agent's checkpoints in order: numbers them, encodes them, compare-and-sets them. */
export class CheckpointWriter {
  private position: CheckpointPosition;
  private lastSnapshot: PersistedAgentSnapshot | undefined;
  /** The last save whose outcome is unknown (it failed without a conflict). */
  private unconfirmed: { seq: number; data: string } | undefined;
  /** Inbox cursor of the last checkpoint written. */
  inboxCursor = 0;

  constructor(
    private readonly store: CheckpointStore,
    readonly agentId: string,
    private readonly playbook: { name: string; version: string | undefined },
    private readonly now: () => number,
    private readonly owner: string | undefined,
    after: CheckpointPosition = { seq: 0, revision: undefined },
  ) {
    this.position = after;
  }

  /** Number of the last checkpoint written (0 before the first). */
  get seq(): number {
    return this.position.seq;
  }

  async write(
    snapshot: PersistedAgentSnapshot,
    status: AgentState,
    error?: SerializedError,
    inboxCursor = this.inboxCursor,
  ): Promise<WrittenCheckpoint> {
    const seq = this.position.seq + 1;
    const record: CheckpointRecord = {
      format: CHECKPOINT_FORMAT,
      agentId: this.agentId,
      seq,
      playbook: this.playbook.name,
      savedAt: new Date(this.now()).toISOString(),
      status,
      snapshot,
    };
    if (this.playbook.version !== undefined) record.playbookVersion = this.playbook.version;
    if (error) record.error = error;
    if (inboxCursor > 0) record.inboxCursor = inboxCursor;
    if (this.owner !== undefined) record.owner = this.owner;
    const data = encodeCheckpoint(record);
    let revision: number;
    try {
      revision = await this.store.save(this.agentId, seq, data, this.position.revision);
    } catch (error) {
      if (error instanceof CheckpointConflictError && (await this.earlierAttemptLanded(seq))) {
        return this.write(snapshot, status, record.error, inboxCursor);
      }
      if (!(error instanceof CheckpointConflictError)) this.unconfirmed = { seq, data };
      throw error;
    }
    this.unconfirmed = undefined;
    this.position = { seq, revision };
    this.lastSnapshot = snapshot;
    this.inboxCursor = inboxCursor;
    return { seq, bytes: Buffer.byteLength(data) };
  }

  /**
   * A save that failed without an answer (the connection dropped) may still have been stored.
   * If the store's latest checkpoint is exactly that attempt, it counts as written: the writer
   * moves past it instead of taking its own write for a rival's.
   */
  private async earlierAttemptLanded(seq: number): Promise<boolean> {
    const attempt = this.unconfirmed;
    this.unconfirmed = undefined;
    if (attempt?.seq !== seq) return false;
    const latest = await this.store.latest(this.agentId);
    if (latest?.seq !== seq || latest.data !== attempt.data) return false;
    this.position = { seq, revision: latest.revision };
    return true;
  }

  /**
   * Records that the agent failed, next to its last stored snapshot: used when the current
   * state itself cannot be stored (it is too large).
   */
  async writeFailure(error: SerializedError): Promise<WrittenCheckpoint | undefined> {
    if (!this.lastSnapshot) return undefined;
    return this.write(this.lastSnapshot, 'failed', error);
  }
}
