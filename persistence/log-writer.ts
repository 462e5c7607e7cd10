import { closeSync, fdatasync, fdatasyncSync, fsync, ftruncateSync, openSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const fdatasyncAsync = promisify(fdatasync);
const fsyncAsync = promisify(fsync);
const writeAsync = promisify(write);

/** A log file the writer appends to. */
export interface AppendFile {
  id: number;
  fd: number;
  /** Where its frames end. */
  size: number;
  /** How far it is already filled with zeros (allocated ahead), from `size` on. */
  allocated: number;
}

interface Pending {
  frame: Buffer;
  /** Called once the frame is durable, with where it landed, before the append resolves. */
  stored: (file: number, offset: number) => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Batches bigger than this are written off the event loop. */
const SYNC_WRITE_MAX_BYTES = 1 << 20;
/**
 * The file is filled with zeros this far ahead of its frames. Overwriting blocks the file
 * already has makes `fdatasync` flush only data, where an append must also commit the file's
 * new size to the filesystem's journal: ~35% less per fsync on ext4 here. The zeros are
 * written with the batch that needs them, and made durable by its fsync.
 */
const ALLOCATE_AHEAD_BYTES = 1 << 20;
const ZEROS = Buffer.alloc(ALLOCATE_AHEAD_BYTES);
/**
 * A batch of one frame is fsynced on the event loop while fsyncs take less than this (on
 * average): see `sync`.
 */
const ON_LOOP_FSYNC_MAX_MS = 1;
const ON_LOOP_BATCHES = 16;

/**
 * Appends frames with group commit: frames appended while a batch is being written and
 * fsynced wait, together, for the next batch — one write and one `fdatasync` for all of them.
 * So one agent at a time pays one fsync per checkpoint, and 200 agents at once share one.
 * A frame's promise resolves once it is durable (or written, without fsync).
 */
export class LogWriter {
  private queue: Pending[] = [];
  private writing = false;
  private scheduled = false;
  /** The current file failed a batch and could not be cut back to its last stored frame: the next batch starts a new one. */
  private broken = false;
  private idle: (() => void)[] = [];
  /** Moving average of recent fsyncs' durations; unknown (so off the loop) at first. */
  private fsyncMs = Number.POSITIVE_INFINITY;
  /** Single-frame batches left to fsync on the loop before the writer looks again whether it is alone. */
  private onLoopCredit = 0;
  /** @internal Batches written, frames in them, fsyncs on the event loop: what tests check group commit by. */
  readonly stats = { batches: 0, frames: 0, fsyncsOnLoop: 0 };

  constructor(
    private current: AppendFile,
    private readonly options: {
      fsync: boolean;
      /** A file past this size is left for a new one. */
      fileBytes: number;
      /** Makes the next file (created, durable in the folder). */
      newFile: () => Promise<AppendFile>;
      /** After each batch, stored or not. */
      afterBatch: () => void;
      /** Fsyncs slower than this on average stay off the event loop. Default 1 ms; tests set 0 or more. */
      onLoopFsyncMaxMs?: number | undefined;
    },
  ) {}

  get currentFile(): number {
    return this.current.id;
  }

  append(frame: Buffer, stored: Pending['stored']): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ frame, stored, resolve, reject });
      this.schedule(this.queue.length === 1 && !this.writing ? 'soon' : 'next turn');
    });
  }

  /** Resolves once every frame appended so far is settled. */
  drained(): Promise<void> {
    if (!this.writing && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Gives back the zeros allocated past the last frame (the store closes the file). */
  trimCurrent(): void {
    trimQuietly(this.current);
  }

  // After a batch, the next starts on the next turn of the event loop: the agents resumed by the
  // batch have queued their next checkpoints by then. A frame appended to an idle writer is
  // written once the code running now (which may append more) is done: one agent alone waits
  // no longer than that.
  private schedule(when: 'soon' | 'next turn'): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    const start = () => {
      this.scheduled = false;
      void this.writeBatch();
    };
    if (when === 'soon') queueMicrotask(start);
    else setImmediate(start);
  }

  private async writeBatch(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.writing = true;
    try {
      if (this.broken || this.current.size >= this.options.fileBytes) {
        const previous = this.current;
        this.current = await this.options.newFile();
        this.broken = false;
        trimQuietly(previous);
      }
      const file = this.current;
      const start = file.size;
      const bytes = batch.length === 1 ? batch[0]!.frame : Buffer.concat(batch.map((p) => p.frame));
      const end = start + bytes.length;
      if (end > file.allocated && end < this.options.fileBytes) await allocateAhead(file, end, this.options.fileBytes);
      await writeAll(file.fd, bytes, start);
      if (this.options.fsync) await this.sync(file.fd, batch.length);
      file.size += bytes.length;
      this.stats.batches++;
      this.stats.frames += batch.length;
      let offset = start;
      for (const pending of batch) {
        pending.stored(file.id, offset);
        offset += pending.frame.length;
        pending.resolve();
      }
    } catch (error) {
      // What the failed batch left after the last stored frame goes (never acknowledged); the
      // file goes on from there, as a full disk that frees up needs no new file.
      this.broken = !trimQuietly(this.current);
      if (!this.broken) this.current.allocated = this.current.size;
      for (const pending of batch) pending.reject(error);
    } finally {
      this.writing = false;
      if (this.queue.length) this.schedule('next turn');
      else for (const resolve of this.idle.splice(0)) resolve();
      this.options.afterBatch();
    }
  }

  /**
   * `fdatasync` off the event loop costs two thread wake-ups on top of the flush (a pool thread
   * to start it, the loop to hear it is done): ~50 µs, a third of a fast disk's flush. While
   * one agent checkpoints alone, the loop has nothing else to do during the flush, so it waits
   * for it itself. "Alone" is what the last fsync off the loop saw: a batch of one frame, and
   * no frame appended while it ran. Then the next `ON_LOOP_BATCHES` single-frame batches
   * fsync on the loop, and the one after looks again. Several agents at work (their frames
   * arrive during the flush) and slow disks (a moving average over 1 ms) keep the loop free.
   */
  private async sync(fd: number, frames: number): Promise<void> {
    const started = performance.now();
    if (frames === 1 && this.onLoopCredit > 0 && this.fsyncMs < (this.options.onLoopFsyncMaxMs ?? ON_LOOP_FSYNC_MAX_MS)) {
      this.onLoopCredit--;
      this.stats.fsyncsOnLoop++;
      fdatasyncSync(fd);
    } else {
      await fdatasyncAsync(fd);
      this.onLoopCredit = frames === 1 && this.queue.length === 0 ? ON_LOOP_BATCHES : 0;
    }
    const took = performance.now() - started;
    this.fsyncMs = Number.isFinite(this.fsyncMs) ? 0.8 * this.fsyncMs + 0.2 * took : took;
  }
}

/**
 * Cuts a file the writer leaves at the end of its last stored frame: the zeros allocated ahead
 * go, and so does whatever a failed batch may have left (never acknowledged). A failure here
 * costs disk space only: reading stops at zeros, or at the first frame cut short.
 */
function trimQuietly(file: AppendFile): boolean {
  try {
    ftruncateSync(file.fd, file.size);
    return true;
  } catch {
    return false; // the disk that failed the batch may fail this too
  }
}

/** Zeros after `end`, up to 1 MiB and the file's size limit. Best effort: a disk short of room for them still takes the frames. */
async function allocateAhead(file: AppendFile, end: number, fileBytes: number): Promise<void> {
  const ahead = Math.min(ALLOCATE_AHEAD_BYTES, fileBytes - end);
  try {
    await writeAll(file.fd, ZEROS.subarray(0, ahead), end);
    file.allocated = end + ahead;
  } catch {
    file.allocated = end;
  }
}

async function writeAll(fd: number, bytes: Buffer, position: number): Promise<void> {
  if (bytes.length > SYNC_WRITE_MAX_BYTES) {
    for (let at = 0; at < bytes.length; ) at += (await writeAsync(fd, bytes, at, bytes.length - at, position + at)).bytesWritten;
    return;
  }
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at, position + at);
}

/** fsync of a folder, so a file created or removed in it stays so. */
export async function syncFolder(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a whole new file and, with `fsync`, makes it and its name durable. */
export async function writeDurably(path: string, bytes: Buffer, fsync: boolean): Promise<void> {
  const fd = openSync(path, 'w');
  try {
    await writeAll(fd, bytes, 0);
    if (fsync) await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
  if (fsync) await syncFolder(dirname(path));
}
