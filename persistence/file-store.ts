import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { CheckpointConflictError, ensureError } from '../errors.js';
import { assertCheckpointSize, megabytes, type CheckpointStore, type StoredCheckpoint } from './checkpoint-store.js';
import { SegmentKeeper, type JournalSegment, type SegmentedSave } from './journal-segments.js';

export interface FileCheckpointStoreOptions {
  /** Directory holding one folder per agent. */
  path: string;
  /** Checkpoints kept per agent; older ones are deleted after each save. Default 10. */
  keepLastN?: number;
  /** Largest encoded checkpoint accepted, in MiB. Default 10. */
  maxCheckpointSizeMb?: number;
  /**
   * fsync each checkpoint file and its directory before the save resolves, so a checkpoint
   * survives power loss, not only a process crash. Default true.
   */
  fsync?: boolean;
  /** @internal Agents whose folder the store remembers exists (default 10,000; tests use fewer). */
  knownFoldersMax?: number;
}

const CHECKPOINT_FILE = /^(\d+)\.json$/;
/** Journal segments of an agent: `path/<agentId>/segments/<name>.json`. */
const SEGMENTS_DIR = 'segments';

/**
 * The embedded store: `path/<agentId>/<seq>.json`. Each checkpoint is written to a temporary
 * file, fsynced, then linked to its final name, so readers never see a partial file. `link`
 * fails when the name exists, so each seq is written once: a second copy of an agent racing
 * for the same seq (or lagging behind) gets a `CheckpointConflictError`, never overwrites.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly kind = 'file';
  readonly keepsSegments = true;
  readonly path: string;
  private readonly keepLastN: number;
  private readonly maxBytes: number;
  private readonly fsync: boolean;
  private readonly knownFoldersMax: number;
  private readonly knownDirs = new Set<string>();
  private readonly pruning = new Set<Promise<unknown>>();
  private tempCounter = 0;
  private readonly tempTag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly keeper = new SegmentKeeper(
    (agentId, segments) => this.saveSegments(agentId, segments),
    (agentId, name) => readOrUndefined(join(this.path, agentId, SEGMENTS_DIR, `${name}.json`)),
  );

  constructor(options: FileCheckpointStoreOptions) {
    this.path = resolve(options.path);
    this.keepLastN = options.keepLastN ?? 10;
    this.maxBytes = megabytes(options.maxCheckpointSizeMb ?? 10);
    this.fsync = options.fsync ?? true;
    this.knownFoldersMax = options.knownFoldersMax ?? 10_000;
  }

  async save(agentId: string, seq: number, data: string, expectedRevision: number | undefined, segments?: SegmentedSave): Promise<number> {
    assertCheckpointSize(agentId, data, this.maxBytes, segments);
    const dir = await this.agentDir(agentId);
    if (segments?.newSegments.length) await this.keeper.save(agentId, segments); // most saves seal none
    if (!(await this.followsLatest(agentId, expectedRevision))) throw new CheckpointConflictError(agentId, seq);
    const temp = join(dir, `.${seq}.${this.tempTag}.${this.tempCounter++}.tmp`);
    await writeTemp(temp, data, this.fsync);
    try {
      linkSync(temp, join(dir, `${seq}.json`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CheckpointConflictError(agentId, seq);
      throw error;
    } finally {
      unlinkQuietlySync(temp);
    }
    if (this.fsync) await syncDirectory(dir);
    if (seq > this.keepLastN) this.inBackground(unlinkQuietly(join(dir, `${seq - this.keepLastN}.json`)));
    return seq;
  }

  async latest(agentId: string): Promise<StoredCheckpoint | undefined> {
    const seq = (await this.history(agentId)).at(-1);
    return seq === undefined ? undefined : this.load(agentId, seq);
  }

  async load(agentId: string, seq: number): Promise<StoredCheckpoint | undefined> {
    const data = await readOrUndefined(join(this.path, agentId, `${seq}.json`));
    if (data === undefined) return undefined;
    return this.keeper.splice({ agentId, seq, revision: seq, data });
  }

  /**
   * Segments are written like checkpoints (temporary file, fsync, then the name), all before the
   * record that names them. A name is its content's hash, so writing one again changes nothing.
   */
  private async saveSegments(agentId: string, segments: JournalSegment[]): Promise<void> {
    const agentDir = join(this.path, agentId);
    const dir = join(agentDir, SEGMENTS_DIR);
    const created = await mkdir(dir, { recursive: true }); // set when the segments folder is new
    await Promise.all(
      segments.map(async (segment) => {
        const temp = join(dir, `.${segment.name}.${this.tempTag}.${this.tempCounter++}.tmp`);
        await writeTemp(temp, segment.data, this.fsync);
        await rename(temp, join(dir, `${segment.name}.json`));
      }),
    );
    if (this.fsync) await Promise.all([syncDirectory(dir), ...(created ? [syncDirectory(agentDir)] : [])]);
  }

  async history(agentId: string): Promise<number[]> {
    const names = await readdirOrEmpty(join(this.path, agentId));
    return names
      .map((name) => CHECKPOINT_FILE.exec(name)?.[1])
      .filter((seq): seq is string => seq !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  async listAgents(): Promise<string[]> {
    const entries = await readdir(this.path, { withFileTypes: true }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  }

  async prune(agentId: string, keepLastN: number): Promise<number> {
    const seqs = await this.history(agentId);
    const doomed = seqs.slice(0, Math.max(0, seqs.length - keepLastN));
    await Promise.all(doomed.map((seq) => unlinkQuietly(join(this.path, agentId, `${seq}.json`))));
    return doomed.length;
  }

  async delete(agentId: string): Promise<void> {
    await rm(join(this.path, agentId), { recursive: true, force: true });
    this.knownDirs.delete(agentId);
    this.keeper.forget(agentId);
  }

  async close(): Promise<void> {
    await Promise.all(this.pruning);
  }

  /**
   * The compare half of compare-and-set (the exclusive `link` is the set). A new agent's folder
   * must hold no checkpoint; otherwise the writer's previous checkpoint must still exist: if
   * another writer has moved far enough ahead for pruning to delete it, this writer is stale.
   */
  private async followsLatest(agentId: string, expectedRevision: number | undefined): Promise<boolean> {
    if (expectedRevision === undefined) return (await this.history(agentId)).length === 0;
    return existsSync(join(this.path, agentId, `${expectedRevision}.json`));
  }

  private async agentDir(agentId: string): Promise<string> {
    const dir = join(this.path, agentId);
    if (!this.knownDirs.has(agentId)) {
      await mkdir(dir, { recursive: true });
      if (this.fsync) await syncDirectory(this.path);
      this.knownDirs.add(agentId);
      // The latest agents only: a store outlives many agents. One forgotten costs a mkdir again.
      if (this.knownDirs.size > this.knownFoldersMax) this.knownDirs.delete(this.knownDirs.values().next().value!);
    }
    return dir;
  }

  // Pruning an old checkpoint does not hold up the save; a failed prune is retried by the next one.
  private inBackground(work: Promise<unknown>): void {
    const settled = work.catch(() => undefined).finally(() => this.pruning.delete(settled));
    this.pruning.add(settled);
  }
}

/*
 * A save waits for two fsyncs (the file's, then its folder's): those go to libuv's thread pool.
 * The small steps around them (open, write, link, unlink, close of a local file) are made
 * synchronously: each is a few microseconds, and a round trip through the thread pool cost more
 * than that — nine of them made a save ~60% slower than its two fsyncs alone. A large
 * checkpoint is written asynchronously, so it does not hold up the other agents.
 */
const SYNC_WRITE_MAX_BYTES = 1 << 20;
const fsyncAsync = promisify(fsync);

async function writeTemp(temp: string, data: string, sync: boolean): Promise<void> {
  if (data.length > SYNC_WRITE_MAX_BYTES) return writeLargeTemp(temp, data, sync);
  const fd = openSync(temp, 'wx');
  let written = false;
  try {
    const bytes = Buffer.from(data);
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
    if (sync) await fsyncAsync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) unlinkQuietlySync(temp);
  }
}

async function writeLargeTemp(temp: string, data: string, sync: boolean): Promise<void> {
  const file = await open(temp, 'wx');
  try {
    await file.writeFile(data);
    if (sync) await file.sync();
  } finally {
    await file.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

function unlinkQuietlySync(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone, or the folder was deleted with the agent
  }
}

async function unlinkQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ensureError(error);
  }
}

async function readOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
