import { closeSync, ftruncateSync, openSync, readFileSync, readSync, unlinkSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckpointConflictError, CorruptCheckpointError, ensureError } from '../errors.js';
import { assertCheckpointSize, megabytes, type CheckpointStore, type StoredCheckpoint } from './checkpoint-store.js';
import { SegmentKeeper, type JournalSegment, type SegmentedSave } from './journal-segments.js';
import { dataStart, describeDamage, encodeFrame, FrameKind, nextFrameAt, scanFrames, scanReadable, type FrameFields } from './log-frames.js';
import { LogIndex, locationOf, type AgentFrames, type Location } from './log-index.js';
import { acquireLogLock } from './log-lock.js';
import { LogWriter, syncFolder, writeDurably, type AppendFile } from './log-writer.js';

export interface LogCheckpointStoreOptions {
  /** Directory holding the log files (`<10 digits>.log`) and the writer's `LOCK`. */
  path: string;
  /** Checkpoints kept per agent. Default 10. */
  keepLastN?: number;
  /** Largest checkpoint accepted (with the journal segments it names), in MiB. Default 10. */
  maxCheckpointSizeMb?: number;
  /** `fdatasync` each batch of appends before the saves in it resolve. Default true. */
  fsync?: boolean;
  /** Open to read only (tools): no lock, no writes; what the log held when it was opened. */
  readOnly?: boolean;
  /** Told of damage found in the log (and what was done about it), and of failed compactions. */
  warn?: (message: string) => void;
  /** @internal Size past which a log file is left for a new one. Default 64 MiB; tests use less. */
  fileBytes?: number;
  /** @internal Fsyncs slower than this on average stay off the event loop (see LogWriter). Default 1 ms. */
  onLoopFsyncMaxMs?: number;
}

const LOG_FILE = /^(\d{10})\.log$/;
const fileName = (id: number) => `${String(id).padStart(10, '0')}.log`;
const DEFAULT_FILE_BYTES = 64 * 1024 * 1024;
const nothing = (): void => undefined;

/**
 * The embedded store built for speed at full durability: every checkpoint is appended to one
 * log, and the appends of all agents share their fsyncs (group commit, persistence/log-writer.ts):
 * one `fdatasync` per batch where the file store pays two fsyncs per checkpoint. Which frames
 * are live is kept in memory (persistence/log-index.ts), rebuilt by reading the log at open; so
 * one process writes a folder at a time (`LOCK`). Log files roll over at 64 MiB; the oldest is
 * compacted (its live frames copied to the newest file, then deleted) once the log holds more
 * than twice its live bytes. Oldest first, so a deletion or prune marker never outlives the
 * frames it hides.
 */
export class LogCheckpointStore implements CheckpointStore {
  readonly kind = 'log';
  readonly keepsSegments = true;
  private readonly files = new Map<number, AppendFile>();
  private writer: LogWriter | undefined;
  private releaseLock: (() => void) | undefined;
  private compaction: Promise<void> | undefined;
  private closed = false;
  private readonly keeper = new SegmentKeeper(
    (agentId, segments) => this.appendSegments(agentId, segments),
    async (agentId, name) => {
      const at = this.index.agents.get(agentId)?.segments.get(name);
      return at && this.read(agentId, undefined, at);
    },
  );

  private constructor(
    readonly path: string,
    private readonly index: LogIndex,
    private readonly maxBytes: number,
    private readonly writing: { fileBytes: number; fsync: boolean; onLoopFsyncMaxMs: number | undefined },
    private readonly warn: (message: string) => void,
  ) {}

  static async open(options: LogCheckpointStoreOptions): Promise<LogCheckpointStore> {
    const path = resolve(options.path);
    const readOnly = options.readOnly ?? false;
    const store = new LogCheckpointStore(
      path,
      new LogIndex(options.keepLastN ?? 10),
      megabytes(options.maxCheckpointSizeMb ?? 10),
      { fileBytes: options.fileBytes ?? DEFAULT_FILE_BYTES, fsync: options.fsync ?? true, onLoopFsyncMaxMs: options.onLoopFsyncMaxMs },
      options.warn ?? (() => undefined),
    );
    if (!readOnly) await mkdir(path, { recursive: true });
    const release = readOnly ? undefined : acquireLogLock(path);
    try {
      await store.readLog(readOnly);
      if (!readOnly) {
        store.writer = await store.startWriter();
        store.releaseLock = release;
      }
    } catch (error) {
      store.closeFiles();
      release?.();
      throw error;
    }
    return store;
  }

  async save(agentId: string, seq: number, data: string, expectedRevision: number | undefined, segments?: SegmentedSave): Promise<number> {
    assertCheckpointSize(agentId, data, this.maxBytes, segments);
    const writer = this.writable();
    // New segments are appended before the record naming them, in the same batch (both appends
    // happen in this turn; a batch starts on a later one): stored together or not at all, and a
    // torn batch is read up to its first bad frame, so the record is never read without them.
    const segmentsStored = segments?.newSegments.length ? this.keeper.save(agentId, segments) : undefined;
    if (this.index.agents.get(agentId)?.head !== expectedRevision) {
      segmentsStored?.catch(() => undefined); // stored or not, no record names them yet
      throw new CheckpointConflictError(agentId, seq);
    }
    const agent = this.index.agentFor(agentId);
    agent.head = seq;
    try {
      const recordStored = this.append(writer, agent, { kind: FrameKind.Checkpoint, agentId, seq, name: '', data }, (at) =>
        this.index.putCheckpoint(agent, seq, at),
      );
      await (segmentsStored ? Promise.all([segmentsStored, recordStored]) : recordStored);
    } catch (error) {
      if (agent.head === seq) agent.head = agent.newestStored();
      throw error;
    }
    return seq;
  }

  /** @internal Batches appended, frames in them, fsyncs made on the event loop (tests check group commit by these). */
  get appendStats(): { batches: number; frames: number; fsyncsOnLoop: number } {
    return this.writer?.stats ?? { batches: 0, frames: 0, fsyncsOnLoop: 0 };
  }

  async latest(agentId: string): Promise<StoredCheckpoint | undefined> {
    const seq = this.index.agents.get(agentId)?.newestStored();
    return seq === undefined ? undefined : this.load(agentId, seq);
  }

  async load(agentId: string, seq: number): Promise<StoredCheckpoint | undefined> {
    const at = this.index.agents.get(agentId)?.checkpoints.get(seq);
    if (!at) return undefined;
    return this.keeper.splice({ agentId, seq, revision: seq, data: this.read(agentId, seq, at) });
  }

  async history(agentId: string): Promise<number[]> {
    return this.index.agents.get(agentId)?.storedSeqs() ?? [];
  }

  async listAgents(): Promise<string[]> {
    return [...this.index.agents].filter(([, agent]) => agent.checkpoints.size > 0).map(([agentId]) => agentId);
  }

  async prune(agentId: string, keepLastN: number): Promise<number> {
    const writer = this.writable();
    const agent = this.index.agents.get(agentId);
    const seqs = agent?.storedSeqs() ?? [];
    if (!agent || seqs.length <= keepLastN) return 0;
    const below = keepLastN > 0 ? seqs[seqs.length - keepLastN]! : seqs.at(-1)! + 1;
    const dropped = this.index.pruneBelow(agent, below);
    await this.append(writer, agent, { kind: FrameKind.Prune, agentId, seq: below, name: '', data: '' });
    return dropped;
  }

  /** Gone for readers at once; if the deletion marker cannot be stored, the agent is back (and the error thrown). */
  async delete(agentId: string): Promise<void> {
    const writer = this.writable();
    this.keeper.forget(agentId);
    const agent = this.index.beginDelete(agentId);
    if (!agent) return;
    let stored = false;
    try {
      await this.append(writer, agent, { kind: FrameKind.Delete, agentId, seq: 0, name: '', data: '' });
      stored = true;
    } finally {
      this.index.endDelete(agent, stored);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compaction;
    await this.writer?.drained();
    this.writer?.trimCurrent();
    this.closeFiles();
    this.releaseLock?.();
  }

  /** Appends a frame of `agent`'s; `stored` runs once it is durable, unless the agent was deleted meanwhile. */
  private append(writer: LogWriter, agent: AgentFrames, fields: FrameFields, stored?: (at: Location) => void): Promise<void> {
    const frame = encodeFrame(fields);
    return writer.append(frame, (file, offset) => {
      if (!this.index.holds(fields.agentId, agent)) return; // deleted (and maybe made anew) since
      const data = offset + dataStart(frame);
      stored?.({ file, offset, length: frame.length, dataOffset: data, dataLength: offset + frame.length - data });
    });
  }

  /** Appends segment frames now (synchronously, before `save` appends the record naming them). */
  private async appendSegments(agentId: string, segments: JournalSegment[]): Promise<void> {
    const writer = this.writable();
    const agent = this.index.agentFor(agentId);
    await Promise.all(
      segments.map((segment) =>
        this.append(writer, agent, { kind: FrameKind.Segment, agentId, seq: 0, name: segment.name, data: segment.data }, (at) =>
          this.index.putSegment(agent, segment.name, at),
        ),
      ),
    );
  }

  private read(agentId: string, seq: number | undefined, at: Location): string {
    const file = this.files.get(at.file);
    if (!file) throw new CorruptCheckpointError(agentId, seq, `log file ${fileName(at.file)} is gone`);
    const bytes = Buffer.allocUnsafe(at.dataLength);
    for (let got = 0; got < bytes.length; ) {
      const read = readSync(file.fd, bytes, got, bytes.length - got, at.dataOffset + got);
      if (read === 0) throw new CorruptCheckpointError(agentId, seq, `log file ${fileName(at.file)} ends before its frame does`);
      got += read;
    }
    return bytes.toString('utf8');
  }

  private writable(): LogWriter {
    if (this.closed) throw new Error(`the log store at ${this.path} is closed`);
    if (!this.writer) throw new Error(`the log store at ${this.path} was opened to read only`);
    return this.writer;
  }

  /**
   * Replays every log file, oldest first. The newest file's frames end where a crash may have
   * cut an append short (never acknowledged): the reading stops at the first frame that does
   * not check out, and the rest is cut off — set aside first, in `<file>.damaged-at-<byte>`, if
   * whole frames follow (damage in the middle of the file, not a torn end), so nothing that may
   * have been acknowledged is destroyed. Older files were fsynced whole before the log moved
   * on: damage there costs the frames it hit only, and reading goes on after it. All of it is
   * reported.
   */
  private async readLog(readOnly: boolean): Promise<void> {
    const ids = (await readdir(this.path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }))
      .map((name) => LOG_FILE.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const [i, id] of ids.entries()) {
      const name = join(this.path, fileName(id));
      const fd = openSync(name, readOnly ? 'r' : 'r+');
      const file: AppendFile = { id, fd, size: 0, allocated: 0 };
      this.files.set(id, file);
      const bytes = readFileSync(fd);
      file.size = bytes.length;
      if (i === ids.length - 1) await this.readNewest(file, name, bytes, readOnly);
      else scanReadable(bytes, (frame) => this.index.replay(id, frame), (damage) => this.warn(`log store: ${name}: ${describeDamage(damage, bytes.length)}`));
    }
  }

  /** The newest file: its frames up to the first that does not check out; the rest is cut off, after being set aside if whole frames follow. */
  private async readNewest(file: AppendFile, name: string, bytes: Buffer, readOnly: boolean): Promise<void> {
    const end = scanFrames(bytes, (frame) => this.index.replay(file.id, frame));
    if (end.offset === bytes.length) return;
    const wholeFramesAfter = nextFrameAt(bytes, end.complete ? end.offset : end.offset + 1);
    const damaged = !end.complete || wholeFramesAfter !== undefined; // else: the zeros allocated ahead
    const what = `${end.complete ? 'zeros where frames should be' : end.reason} at byte ${end.offset} of ${bytes.length}`;
    if (readOnly) {
      if (damaged) this.warn(`log store: ${name}: ${what}; read up to there`);
      return;
    }
    let setAside = '';
    if (wholeFramesAfter !== undefined) {
      const aside = `${name}.damaged-at-${end.offset}`;
      await writeDurably(aside, bytes.subarray(end.offset), this.writing.fsync);
      setAside = `; whole frames follow it (from byte ${wholeFramesAfter}): damage, not only a torn end — the bytes from there on were set aside in ${aside}, unread`;
    }
    ftruncateSync(file.fd, end.offset);
    file.size = end.offset;
    if (damaged) this.warn(`log store: ${name}: ${what}: cut off (the end of an append a crash interrupted is never acknowledged)${setAside}`);
  }

  private async startWriter(): Promise<LogWriter> {
    return new LogWriter(await this.createFile(), {
      ...this.writing,
      newFile: () => this.createFile(),
      afterBatch: () => this.compactIfWorthIt(),
    });
  }

  /** A new file after every other (one whose creation failed half-way included). */
  private async createFile(): Promise<AppendFile> {
    const id = Math.max(0, ...this.files.keys()) + 1;
    const file: AppendFile = { id, fd: openSync(join(this.path, fileName(id)), 'wx+'), size: 0, allocated: 0 };
    this.files.set(id, file);
    if (this.writing.fsync) await syncFolder(this.path);
    return file;
  }

  /** Compacts the oldest file once the log is more than twice its live bytes (plus a file's worth). */
  private compactIfWorthIt(): void {
    if (this.compaction || this.closed || !this.writer) return;
    const oldest = Math.min(...this.files.keys());
    if (oldest === this.writer.currentFile) return;
    let total = 0;
    for (const file of this.files.values()) total += file.size;
    if (total <= 2 * this.index.totalLiveBytes() + this.writing.fileBytes) return;
    this.compaction = this.compact(oldest)
      .catch((error: unknown) => this.warn(`log store: compacting ${fileName(oldest)} failed (tried again later): ${ensureError(error).message}`))
      .finally(() => (this.compaction = undefined));
  }

  /** Copies the oldest file's live frames to the end of the log, then deletes it. */
  private async compact(id: number): Promise<void> {
    const file = this.files.get(id)!;
    const writer = this.writer!;
    if (this.index.liveBytes(id) > 0) {
      // Read off the event loop (up to a whole file); only this compaction deletes the file.
      const bytes = (await readFile(join(this.path, fileName(id)))).subarray(0, file.size);
      const copies: Promise<void>[] = [];
      // Synchronous from the liveness check to the append, so no save or delete comes between.
      // Damage was reported when the store opened; what reading skipped then is skipped again.
      scanReadable(bytes, (frame) => {
        const from = locationOf(id, frame);
        if (!this.index.isLive(frame, from)) return;
        const copy = Buffer.from(bytes.subarray(frame.offset, frame.offset + frame.length));
        copies.push(
          writer.append(copy, (to, offset) => {
            const data = offset + frame.dataOffset - frame.offset;
            this.index.moved(frame, from, { file: to, offset, length: frame.length, dataOffset: data, dataLength: frame.dataLength });
          }),
        );
      }, nothing);
      await Promise.all(copies);
    }
    if (this.index.liveBytes(id) > 0) return; // a copy failed: the file stays, for the next try
    this.files.delete(id);
    this.index.forgetFile(id);
    closeSync(file.fd);
    unlinkSync(join(this.path, fileName(id)));
    if (this.writing.fsync) await syncFolder(this.path);
  }

  private closeFiles(): void {
    for (const file of this.files.values()) closeSync(file.fd);
    this.files.clear();
  }
}
