import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { nuid, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamReplyError, ReplyMux } from '../messaging/reply-mux.js';
import { CheckpointConflictError, CorruptCheckpointError, ensureError } from '../errors.js';
import { assertCheckpointSize, megabytes, type CheckpointStore, type StoredCheckpoint } from './checkpoint-store.js';
import { SegmentKeeper, type JournalSegment, type SegmentedSave } from './journal-segments.js';

export interface NatsKvCheckpointStoreOptions {
  /** An open connection; the store does not close it. */
  connection: NatsConnection;
  /** KV bucket name; created if missing. Default "playbooks-checkpoints". */
  bucket?: string;
  /** Checkpoints kept per agent: the bucket's history (at most 64). Default 10. */
  keepLastN?: number;
  /** Largest checkpoint accepted, in MiB. Default 10. */
  maxCheckpointSizeMb?: number;
  /** Stream replicas of the bucket and of its object store. Default 1. */
  replicas?: number;
  /**
   * Create the bucket (and set its history to `keepLastN`) if need be. False opens an existing
   * bucket as it is, for tools that only read. Default true.
   */
  create?: boolean;
}

/** Where a checkpoint too large for one NATS message is kept. Part of the stored format. */
interface LargeSnapshotRef {
  objectStore: string;
  name: string;
  bytes: number;
}

/** One stored value of a key: its revision (stream sequence) and bytes. */
interface StoredEntry {
  revision: number;
  value: Uint8Array;
}

const KV_MAX_HISTORY = 64;
const STORE_REQUEST_TIMEOUT_MS = 2_000;
// Room for the message headers next to a value that fills max_payload.
const PAYLOAD_HEADROOM = 16 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Checkpoints in a NATS JetStream key-value bucket: key = agent id, value = the checkpoint
 * record, the bucket's history = the agent's last `keepLastN` checkpoints. Every save is a
 * compare-and-set on the revision the writer last stored (`create` for a new agent, `update`
 * with the expected revision afterwards), so a stale copy of an agent gets a
 * `CheckpointConflictError`. A checkpoint larger than the server's max payload goes to an
 * object store, with a small reference record in the bucket. Journal segments go to a second
 * bucket, `<bucket>-segments` (made when the first is written), keyed `<agentId>.<segment name>` (split into numbered chunks
 * when larger than a message).
 */
export class NatsKvCheckpointStore implements CheckpointStore {
  readonly kind = 'nats';
  readonly keepsSegments: boolean;
  private segmentsBucket: Promise<unknown> | undefined;
  private readonly keeper = new SegmentKeeper(
    async (agentId, segments) => {
      await Promise.all(segments.map((segment) => this.saveSegment(agentId, segment)));
    },
    (agentId, name) => this.loadSegment(agentId, name),
  );
  private readonly pruning = new Set<Promise<unknown>>();
  /** Large checkpoints this process wrote, by agent: deleted once they leave the history. */
  private readonly largeObjects = new Map<string, { seq: number; name: string }[]>();

  private constructor(
    private readonly mux: ReplyMux,
    private readonly objects: ObjectStore,
    private readonly jsm: JetStreamManager,
    readonly bucket: string,
    private readonly keepLastN: number,
    private readonly maxBytes: number,
    private readonly inlineLimit: number,
    private readonly createSegmentsBucket: (() => Promise<unknown>) | undefined,
  ) {
    this.keepsSegments = createSegmentsBucket !== undefined;
  }

  static async open(options: NatsKvCheckpointStoreOptions): Promise<NatsKvCheckpointStore> {
    const nc = options.connection;
    const bucket = options.bucket ?? 'playbooks-checkpoints';
    const keepLastN = Math.min(options.keepLastN ?? 10, KV_MAX_HISTORY);
    const replicas = options.replicas ?? 1;
    // A save that gets no answer (the server is down) fails after this, and is retried:
    // the agent's status says the store is unreachable instead of hanging on a long timeout.
    const js = jetstream(nc, { timeout: STORE_REQUEST_TIMEOUT_MS });
    const jsm = await jetstreamManager(nc, { timeout: STORE_REQUEST_TIMEOUT_MS });
    const create = options.create ?? true;
    // The bucket is made (or checked) through the client; reads and writes then go straight to its stream.
    if (create) await new Kvm(js).create(bucket, { history: keepLastN, replicas });
    else await new Kvm(js).open(bucket);
    if (create) await matchHistory(jsm, bucket, keepLastN);
    const objects = create
      ? await new Objm(js).create(`${bucket}-large`, { replicas })
      : await new Objm(js).open(`${bucket}-large`);
    const inlineLimit = Math.max(64 * 1024, (nc.info?.max_payload ?? 1024 * 1024) - PAYLOAD_HEADROOM);
    return new NatsKvCheckpointStore(
      new ReplyMux(nc, STORE_REQUEST_TIMEOUT_MS),
      objects,
      jsm,
      bucket,
      keepLastN,
      megabytes(options.maxCheckpointSizeMb ?? 10),
      inlineLimit,
      // Made on first use: most agents never need one, and in a cluster each bucket is a stream to elect leaders for.
      create ? () => new Kvm(js).create(`${bucket}-segments`, { history: 1, replicas }) : undefined,
    );
  }

  save(agentId: string, seq: number, data: string, expectedRevision: number | undefined, segments?: SegmentedSave): Promise<number> {
    try {
      assertCheckpointSize(agentId, data, this.maxBytes, segments);
    } catch (error) {
      return Promise.reject(error);
    }
    // Most saves seal no segment and fit in a message: one publish, one promise on top of it.
    if (segments?.newSegments.length || this.mayNeedObject(data)) return this.saveWithParts(agentId, seq, data, expectedRevision, segments);
    return this.publishRecord(agentId, seq, data, expectedRevision);
  }

  /**
   * The KV put as JetStream sees it (a publish on the key's subject), expecting the subject's
   * last sequence to be the writer's last revision (0: a new agent).
   */
  private publishRecord(agentId: string, seq: number, value: string, expectedRevision: number | undefined): Promise<number> {
    return this.mux.publish(this.subject(agentId), value, expectedRevision ?? 0).then(
      (revision) => {
        this.dropLargeObjectsBefore(agentId, seq - this.keepLastN + 1);
        return revision;
      },
      (error: unknown) => {
        throw isWrongLastSequence(error) ? new CheckpointConflictError(agentId, seq) : error;
      },
    );
  }

  private mayNeedObject(data: string): boolean {
    return data.length > this.inlineLimit / 3 && Buffer.byteLength(data) > this.inlineLimit;
  }

  /** A save that stores new segments first, or the snapshot in the object store (too large for a message). */
  private async saveWithParts(
    agentId: string,
    seq: number,
    data: string,
    expectedRevision: number | undefined,
    segments: SegmentedSave | undefined,
  ): Promise<number> {
    if (segments?.newSegments.length) await this.keeper.save(agentId, segments);
    if (!this.mayNeedObject(data)) return this.publishRecord(agentId, seq, data, expectedRevision);
    const large: LargeSnapshotRef = { objectStore: `${this.bucket}-large`, name: `${agentId}/${seq}/${nuid.next()}`, bytes: Buffer.byteLength(data) };
    await this.objects.putBlob({ name: large.name }, encoder.encode(data));
    try {
      const revision = await this.publishRecord(agentId, seq, referenceRecord(data, large), expectedRevision);
      this.largeObjects.set(agentId, [...(this.largeObjects.get(agentId) ?? []), { seq, name: large.name }]);
      return revision;
    } catch (error) {
      this.inBackground(this.objects.delete(large.name));
      throw error;
    }
  }

  async latest(agentId: string): Promise<StoredCheckpoint | undefined> {
    const message = await this.mux.directGet(this.stream, { last_by_subj: this.subject(agentId) });
    const entry = message && entryOf(message);
    return entry && this.toStored(agentId, entry);
  }

  async load(agentId: string, seq: number): Promise<StoredCheckpoint | undefined> {
    for (const entry of await this.entries(agentId)) {
      if (seqOf(entry.value) === seq) return this.toStored(agentId, entry);
    }
    return undefined;
  }

  async history(agentId: string): Promise<number[]> {
    return (await this.entries(agentId)).map((entry) => seqOf(entry.value)).filter((seq) => seq > 0);
  }

  async listAgents(): Promise<string[]> {
    // From the stream's per-subject counts: no consumer to create (consumers are slow to
    // place while a JetStream cluster has lost a node). `delete` removes a key's subject whole.
    const prefix = `$KV.${this.bucket}.`;
    const info = await this.jsm.streams.info(`KV_${this.bucket}`, { subjects_filter: `${prefix}>` });
    return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  }

  async prune(agentId: string, keepLastN: number): Promise<number> {
    const entries = await this.entries(agentId);
    const doomed = entries.slice(0, Math.max(0, entries.length - keepLastN));
    for (const entry of doomed) {
      await this.deleteLargeObject(entry.value);
      await this.jsm.streams.deleteMessage(`KV_${this.bucket}`, entry.revision);
    }
    return doomed.length;
  }

  async delete(agentId: string): Promise<void> {
    for (const entry of await this.entries(agentId)) await this.deleteLargeObject(entry.value);
    // A stream purge by subject leaves no delete marker behind (kv.purge would), so the key
    // disappears from listAgents too.
    await this.jsm.streams.purge(`KV_${this.bucket}`, { filter: `$KV.${this.bucket}.${agentId}` });
    this.keeper.forget(agentId);
    await this.jsm.streams.purge(this.segmentsStream, { filter: `${this.segmentSubject(agentId)}.>` }).catch((error: unknown) => {
      if (!isStreamNotFound(error)) throw error; // no agent has needed segments yet
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.pruning);
    this.mux.close();
  }

  /** The key's stored values, oldest first, read message by message with direct gets (no consumer). */
  private async entries(agentId: string): Promise<StoredEntry[]> {
    const entries: StoredEntry[] = [];
    for (let seq = 1; ; ) {
      const message = await this.mux.directGet(this.stream, { seq, next_by_subj: this.subject(agentId) });
      if (!message) break;
      const entry = entryOf(message);
      if (entry) entries.push(entry);
      else entries.length = 0; // a delete or purge ends the agent's previous life
      seq = Number(message.headers?.get('Nats-Sequence')) + 1;
    }
    return entries;
  }

  /** A segment in one message, or a `#chunks:<n>` head and n chunks `<key>.0`…, when larger. */
  private async saveSegment(agentId: string, segment: JournalSegment): Promise<void> {
    this.segmentsBucket ??= this.createSegmentsBucket!().catch((error: unknown) => {
      this.segmentsBucket = undefined; // tried again by the next save
      throw error;
    });
    await this.segmentsBucket;
    const subject = `${this.segmentSubject(agentId)}.${segment.name}`;
    const bytes = encoder.encode(segment.data);
    if (bytes.length <= this.inlineLimit) {
      await this.mux.publish(subject, bytes);
      return;
    }
    const chunks = Math.ceil(bytes.length / this.inlineLimit);
    await Promise.all(
      Array.from({ length: chunks }, (_, i) => this.mux.publish(`${subject}.${i}`, bytes.subarray(i * this.inlineLimit, (i + 1) * this.inlineLimit))),
    );
    await this.mux.publish(subject, `${CHUNKED}${chunks}`);
  }

  private async loadSegment(agentId: string, name: string): Promise<string | undefined> {
    const subject = `${this.segmentSubject(agentId)}.${name}`;
    const head = await this.mux.directGet(this.segmentsStream, { last_by_subj: subject });
    if (!head) return undefined;
    const text = decoder.decode(head.data);
    if (!text.startsWith(CHUNKED)) return text;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < Number(text.slice(CHUNKED.length)); i++) {
      const chunk = await this.mux.directGet(this.segmentsStream, { last_by_subj: `${subject}.${i}` });
      if (!chunk) return undefined;
      parts.push(chunk.data);
    }
    return decoder.decode(Buffer.concat(parts));
  }

  private segmentSubject(agentId: string): string {
    return `$KV.${this.bucket}-segments.${agentId}`;
  }

  private get segmentsStream(): string {
    return `KV_${this.bucket}-segments`;
  }

  private subject(agentId: string): string {
    return `$KV.${this.bucket}.${agentId}`;
  }

  private get stream(): string {
    return `KV_${this.bucket}`;
  }

  private async toStored(agentId: string, entry: StoredEntry): Promise<StoredCheckpoint> {
    const seq = seqOf(entry.value);
    const ref = largeRefOf(entry.value);
    if (!ref) return this.keeper.splice({ agentId, seq, revision: entry.revision, data: decoder.decode(entry.value) });
    const blob = await this.objects.getBlob(ref.name);
    if (!blob) {
      throw new CorruptCheckpointError(agentId, seq, `its snapshot object "${ref.name}" is missing from object store ${ref.objectStore}`);
    }
    return this.keeper.splice({ agentId, seq, revision: entry.revision, data: decoder.decode(blob) });
  }

  private dropLargeObjectsBefore(agentId: string, oldestKept: number): void {
    const objects = this.largeObjects.get(agentId);
    if (!objects) return;
    const [stale, kept] = [objects.filter((o) => o.seq < oldestKept), objects.filter((o) => o.seq >= oldestKept)];
    for (const object of stale) this.inBackground(this.objects.delete(object.name));
    if (kept.length) this.largeObjects.set(agentId, kept);
    else this.largeObjects.delete(agentId);
  }

  private async deleteLargeObject(value: Uint8Array): Promise<void> {
    const ref = largeRefOf(value);
    if (ref) await this.objects.delete(ref.name).catch(() => undefined);
  }

  // Cleaning up after old checkpoints does not hold up a save.
  private inBackground(work: Promise<unknown>): void {
    const settled = work.catch(() => undefined).finally(() => this.pruning.delete(settled));
    this.pruning.add(settled);
  }
}

/** A bucket made earlier with another history is brought to `keepLastN`. */
async function matchHistory(jsm: JetStreamManager, bucket: string, keepLastN: number): Promise<void> {
  const info = await jsm.streams.info(`KV_${bucket}`);
  if (info.config.max_msgs_per_subject !== keepLastN) {
    await jsm.streams.update(`KV_${bucket}`, { ...info.config, max_msgs_per_subject: keepLastN });
  }
}

/** The record's envelope fields, with the snapshot moved out to the object store. */
function referenceRecord(data: string, large: LargeSnapshotRef): string {
  const head = JSON.parse(data) as Record<string, unknown>;
  const { snapshot: _snapshot, ...envelope } = head;
  return JSON.stringify({ ...envelope, largeSnapshot: large });
}

// Records are written with "seq" among the first fields: read it without parsing the whole value.
function seqOf(value: Uint8Array): number {
  const head = decoder.decode(value.subarray(0, 512));
  const match = /"seq":(\d+)/.exec(head);
  return match ? Number(match[1]) : 0;
}

function largeRefOf(value: Uint8Array): LargeSnapshotRef | undefined {
  if (value.length > 8192) return undefined;
  const text = decoder.decode(value);
  if (!text.includes('"largeSnapshot"')) return undefined;
  try {
    const record = JSON.parse(text) as { largeSnapshot?: LargeSnapshotRef; snapshot?: unknown };
    return record.snapshot === undefined ? record.largeSnapshot : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the head of a segment stored in chunks (a segment's own JSON starts with a quote). */
const CHUNKED = '#chunks:';

const WRONG_LAST_SEQUENCE = 10071;

function isStreamNotFound(error: unknown): boolean {
  return /stream not found/i.test(ensureError(error).message);
}

function isWrongLastSequence(error: unknown): boolean {
  return (error instanceof JetStreamReplyError && error.errCode === WRONG_LAST_SEQUENCE) || /wrong last sequence/i.test(ensureError(error).message);
}

/** A stored KV message as an entry; undefined for a delete or purge marker. */
function entryOf(message: Msg): StoredEntry | undefined {
  const operation = message.headers?.get('KV-Operation');
  if (operation && operation !== 'PUT') return undefined;
  return { revision: Number(message.headers?.get('Nats-Sequence')), value: message.data };
}
