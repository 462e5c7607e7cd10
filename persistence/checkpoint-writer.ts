import type { AgentState } from '../actors/agent-machine.js';
import type { SerializedError } from '../actors/serialize.js';
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

  constructor(
    private readonly store: CheckpointStore,
    readonly agentId: string,
    private readonly playbook: { name: string; version: string | undefined },
    private readonly now: () => number,
    after: CheckpointPosition = { seq: 0, revision: undefined },
  ) {
    this.position = after;
  }

  /** Number of the last checkpoint written (0 before the first). */
  get seq(): number {
    return this.position.seq;
  }

  async write(snapshot: PersistedAgentSnapshot, status: AgentState, error?: SerializedError): Promise<WrittenCheckpoint> {
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
    const data = encodeCheckpoint(record);
    const revision = await this.store.save(this.agentId, seq, data, this.position.revision);
    this.position = { seq, revision };
    this.lastSnapshot = snapshot;
    return { seq, bytes: Buffer.byteLength(data) };
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
