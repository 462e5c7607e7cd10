import type { AgentState } from '../actors/agent-machine.js';
import type { SerializedError } from '../actors/serialize.js';
import { isoTime } from '../actors/clock.js';
import { CheckpointConflictError } from '../errors.js';
import type { CheckpointStore, StoredCheckpoint } from './checkpoint-store.js';
import {
  CHECKPOINT_FORMAT,
  type CheckpointRecord,
  type PersistedAgentSnapshot,
  type PersistedMachineSnapshot,
} from './envelope.js';
import { stringifySnapshot } from './incremental-json.js';
import { JournalSegmenter, type SegmentedSave } from './journal-segments.js';

/** The JSON of a writer's record before its seq, between seq and savedAt, and before its snapshot. */
function envelopeParts(agentId: string, options: CheckpointWriterOptions): { head: string; middle: string; tail: string } {
  const { kind, playbook, owner, supervision } = options;
  const json = (value: unknown) => JSON.stringify(value);
  return {
    head: `{"format":${CHECKPOINT_FORMAT}${kind === 'machine' ? ',"kind":"machine"' : ''},"agentId":${json(agentId)},"seq":`,
    middle: `,"playbook":${json(playbook.name)}${playbook.version === undefined ? '' : `,"playbookVersion":${json(playbook.version)}`},"savedAt":"`,
    tail: `${owner === undefined ? '' : `,"owner":${json(owner)}`}${supervision === undefined ? '' : `,"supervision":${json(supervision)}`},"snapshot":`,
  };
}

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

export interface CheckpointWriterOptions {
  store: CheckpointStore;
  agentId: string;
  /** "machine" for a plain XState machine agent. Default "playbook". */
  kind?: 'playbook' | 'machine';
  /** The playbook's name and version (a machine's id). */
  playbook: { name: string; version: string | undefined };
  /** Id of the host writing, recorded as the checkpoint's owner. */
  owner: string | undefined;
  now: () => number;
  /** The agent's newest stored checkpoint, which the first write must follow. Default: none. */
  after?: CheckpointPosition;
  /** Recorded in each checkpoint, so a recovery puts the agent back under its supervisor. */
  supervision?: CheckpointRecord['supervision'];
}

/** Writes one agent's checkpoints in order: numbers them, encodes them, compare-and-sets them. */
export class CheckpointWriter {
  private position: CheckpointPosition;
  /** The last checkpoint stored, as stored (a failure is recorded next to it). */
  private lastStored: { data: string; referencedBytes: number } | undefined;
  /** The record's JSON around its changing fields (made on the first write). */
  private envelope: { head: string; middle: string; tail: string } | undefined;
  /** Splits a long journal into segments, when the store keeps them. */
  private readonly segmenter: JournalSegmenter | undefined;
  /** Saves of the next checkpoint whose outcome is unknown (each failed without a conflict). */
  private unconfirmed: { seq: number; data: string }[] = [];
  private inFlight: Promise<number> | undefined;
  /** Inbox cursor of the last checkpoint written. */
  inboxCursor = 0;

  readonly agentId: string;
  private readonly store: CheckpointStore;
  private readonly options: CheckpointWriterOptions;

  constructor(options: CheckpointWriterOptions) {
    this.options = options;
    this.store = options.store;
    this.agentId = options.agentId;
    this.position = options.after ?? { seq: 0, revision: undefined };
    this.segmenter = options.store.keepsSegments && options.kind !== 'machine' ? new JournalSegmenter() : undefined;
  }

  /** Number of the last checkpoint written (0 before the first). */
  get seq(): number {
    return this.position.seq;
  }

  /** Stores the agent's state as its next checkpoint (one promise on top of the store's save). */
  write(
    snapshot: PersistedAgentSnapshot | PersistedMachineSnapshot,
    status: AgentState,
    error?: SerializedError,
    inboxCursor = this.inboxCursor,
  ): Promise<WrittenCheckpoint> {
    // The record's JSON, field by field in the order of CheckpointRecord (tests check it equals
    // JSON.stringify of the record): the fields that never change for this writer are encoded once.
    // Encoded once, now: the journal is updated in place, so encoding the snapshot again after
    // an await could mix a newer journal with this snapshot's inbox.
    const { head, middle, tail } = (this.envelope ??= envelopeParts(this.agentId, this.options));
    let afterSeq = `${middle}${isoTime(this.options.now())}","status":"${status}"`;
    if (error) afterSeq += `,"error":${JSON.stringify(error)}`;
    if (inboxCursor > 0) afterSeq += `,"inboxCursor":${inboxCursor}`;
    let segments: SegmentedSave | undefined;
    try {
      afterSeq += `${tail}${stringifySnapshot(snapshot, this.options.kind ?? 'playbook', this.segmenter)}}`;
      segments = this.segmenter?.pending();
    } catch (thrown) {
      return Promise.reject(thrown);
    }
    const saveNext = (): Promise<WrittenCheckpoint> => {
      const seq = this.position.seq + 1;
      return this.save(seq, `${head}${seq}${afterSeq}`, segments, inboxCursor, saveNext);
    };
    return saveNext();
  }

  /** Saves checkpoint `seq`; if an earlier attempt at it turns out stored, `saveNext` writes the next one. */
  private save<T extends WrittenCheckpoint | undefined>(
    seq: number,
    data: string,
    segments: SegmentedSave | undefined,
    inboxCursor: number,
    saveNext: () => Promise<T>,
  ): Promise<WrittenCheckpoint | T> {
    let saving: Promise<number>;
    try {
      saving = this.store.save(this.agentId, seq, data, this.position.revision, segments);
    } catch (thrown) {
      saving = Promise.reject(thrown); // a store whose save throws at once fails the write the same way
    }
    this.inFlight = saving;
    return saving.then(
      (revision) => {
        this.unconfirmed = [];
        this.position = { seq, revision };
        if (segments) this.segmenter?.stored(segments);
        this.lastStored = { data, referencedBytes: segments?.referencedBytes ?? 0 };
        this.inboxCursor = inboxCursor;
        return { seq, bytes: Buffer.byteLength(data) };
      },
      async (error: unknown) => {
        if (error instanceof CheckpointConflictError && (await this.earlierAttemptLanded(seq))) return saveNext();
        if (!(error instanceof CheckpointConflictError)) this.unconfirmed.push({ seq, data });
        throw error;
      },
    );
  }

  /**
   * Whether the store's latest checkpoint of the agent is still one this writer wrote: its
   * last confirmed write, or a write whose answer was lost but that did land.
   */
  async stillLatest(): Promise<boolean> {
    await this.inFlight?.catch(() => undefined);
    if (this.position.revision === undefined) return true;
    const latest = await this.store.latest(this.agentId);
    if (latest?.revision === this.position.revision) return true;
    return latest !== undefined && this.adoptLandedAttempt(latest);
  }

  /**
   * A save that failed without an answer (the connection dropped) may still have been stored.
   * If the store's latest checkpoint is one of those attempts, it counts as written: the writer
   * moves past it instead of taking its own write for a rival's.
   */
  private async earlierAttemptLanded(seq: number): Promise<boolean> {
    if (!this.unconfirmed.some((attempt) => attempt.seq === seq)) return false;
    const latest = await this.store.latest(this.agentId);
    return latest !== undefined && this.adoptLandedAttempt(latest);
  }

  private adoptLandedAttempt(latest: StoredCheckpoint): boolean {
    const stored = latest.storedData ?? latest.data;
    const landed = this.unconfirmed.some((attempt) => attempt.seq === latest.seq && attempt.data === stored);
    if (!landed) return false;
    this.position = { seq: latest.seq, revision: latest.revision };
    this.unconfirmed = [];
    return true;
  }

  /**
   * Records that the agent failed, next to its last stored snapshot: used when the current
   * state itself cannot be stored (it is too large).
   */
  async writeFailure(error: SerializedError): Promise<WrittenCheckpoint | undefined> {
    const last = this.lastStored;
    if (!last) return undefined;
    const seq = this.position.seq + 1;
    const record = JSON.parse(last.data) as CheckpointRecord;
    const failed = { ...record, seq, savedAt: new Date(this.options.now()).toISOString(), status: 'failed', error };
    const segments = { newSegments: [], referencedBytes: last.referencedBytes, recordsFailure: true };
    return this.save(seq, JSON.stringify(failed), segments, this.inboxCursor, () => this.writeFailure(error));
  }
}
