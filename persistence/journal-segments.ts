import { createHash } from 'node:crypto';
import { frameExtent, type Frame, type JournalEntry } from '../actors/journal.js';
import { CorruptCheckpointError, ensureError } from '../errors.js';
import type { StoredCheckpoint } from './checkpoint-store.js';

/**
 * Journal segments: how a checkpoint's cost stays flat as an agent's history grows.
 *
 * A frame's entries are cut into blocks of `SEGMENT_ENTRIES` positions. Once every entry of a
 * block is final (done, with no open child frame) the block is *sealed* (see `sealed` for blocks
 * with a long-lived open call): its JSON is stored
 * once, apart, under a name derived from its content, and the checkpoints that follow carry
 * only that name, in the frame's `segments` list, instead of the block's entries:
 *
 *   {"playbook":"Loop","segments":["<name of 0–63>","<name of 64–127>"],"entries":{"128":…,"129":…}}
 *
 * So a checkpoint holds at most two blocks' worth of entries per frame plus a short list of
 * names, whatever the length of the history. Blocks are fixed by position and named by content, so sealing the
 * same entries again (after a restart) gives the same name, and a fork that changed them gives
 * another. Stores splice the segments back when they load a checkpoint: readers see the whole
 * record (the `CheckpointRecord` format is unchanged for them).
 */
export const SEGMENT_ENTRIES = 64;

/** One sealed block: its name and its JSON (the entries' members, without the braces). */
export interface JournalSegment {
  name: string;
  data: string;
}

/** What a save carries besides the record: segments to store first, and the bytes the record refers to. */
export interface SegmentedSave {
  newSegments: JournalSegment[];
  /** Bytes of all the segments the record names (for the checkpoint size limit). */
  referencedBytes: number;
  /**
   * The record adds only the agent's failure to the last one stored (which fit): it may pass the
   * size limit by a few KiB, so that a failure is never lost to the limit that caused it.
   */
  recordsFailure?: boolean;
}

/** What a frame's encoding needs: its segment names, and which of its positions are still inline. */
export interface SealedFrame {
  names: string[];
  /** Positions from here on are inline. */
  from: number;
  /** Positions below `from` left out of their block (they were still open when it was sealed): inline too. */
  open: number[];
}

const NOTHING_SEALED: SealedFrame = { names: [], from: 0, open: [] };

interface FrameSegments extends SealedFrame {
  bytes: number;
}

/**
 * One agent's segment state, kept by its checkpoint writer. Frames are updated in place, so
 * each frame's sealed prefix is remembered by the frame's identity.
 */
export class JournalSegmenter {
  /** Made when a frame first reaches a block's length: most agents never need it. */
  private frames: WeakMap<Frame, FrameSegments> | undefined;
  /** Sealed segments no stored checkpoint has carried yet: sent with every save until one lands. */
  private unsaved: JournalSegment[] = [];
  private referenced = 0;

  /** Starts encoding one record. */
  begin(): void {
    this.referenced = 0;
  }

  /**
   * Seals what can be sealed in `frame`. A block is sealed once all its entries are final, or,
   * failing that, once a whole further block has been recorded after it: the calls still open
   * in it are long-lived (a `receive` raced against a loop, say), so they stay inline and the
   * rest of the block is sealed without them.
   */
  sealed(frame: Frame, entryJson: (entry: JournalEntry) => string): SealedFrame {
    const extent = frameExtent(frame);
    let state = this.frames?.get(frame);
    if (!state) {
      if (extent < SEGMENT_ENTRIES) return NOTHING_SEALED; // most frames: nothing to remember
      state = { from: 0, names: [], open: [], bytes: 0 };
      (this.frames ??= new WeakMap()).set(frame, state);
    }
    while (state.from + SEGMENT_ENTRIES <= extent) {
      const block = sealBlock(frame, state.from, entryJson, state.from + 2 * SEGMENT_ENTRIES <= extent);
      if (!block) break;
      if (block.data) {
        const segment = { name: segmentName(block.data), data: block.data };
        this.unsaved.push(segment);
        state.names.push(segment.name);
        state.bytes += Buffer.byteLength(block.data);
      }
      state.open.push(...block.open);
      state.from += SEGMENT_ENTRIES;
    }
    this.referenced += state.bytes;
    return state;
  }

  /** What the record being saved needs stored with it; `undefined` when it names no segment. */
  pending(): SegmentedSave | undefined {
    if (this.referenced === 0 && this.unsaved.length === 0) return undefined;
    return { newSegments: this.unsaved, referencedBytes: this.referenced };
  }

  /** A save carrying `save` landed: its segments are stored. */
  stored(save: SegmentedSave): void {
    if (save.newSegments.length > 0) this.unsaved = this.unsaved.filter((segment) => !save.newSegments.includes(segment));
  }
}

/**
 * The members of the block's final entries, and the positions left out (not recorded yet, still
 * waiting, or an open child call) — `undefined` if some are left out and `leaveOpen` is false.
 */
function sealBlock(
  frame: Frame,
  from: number,
  entryJson: (entry: JournalEntry) => string,
  leaveOpen: boolean,
): { data: string; open: number[] } | undefined {
  let data = '';
  const open: number[] = [];
  for (let position = from; position < from + SEGMENT_ENTRIES; position++) {
    const entry = frame.entries[position];
    if (entry?.done && !entry.frame) data += `${data ? ',' : ''}"${position}":${entryJson(entry)}`;
    else if (leaveOpen) open.push(position);
    else return undefined;
  }
  return { data, open };
}

function segmentName(data: string): string {
  return createHash('sha256').update(data).digest('base64url').slice(0, 32);
}

/** Names that are valid segment names (the stores use them in keys and file names). */
export const SEGMENT_NAME = /^[A-Za-z0-9_-]{32}$/;

/** Agents whose stored segments a store remembers (least recently used out). */
export const KNOWN_AGENTS_MAX = 10_000;

/** Characters of recently read segments a store keeps (about 8 MiB at most). */
const RECENT_SEGMENTS_CHARS = 4 * 1024 * 1024;

/**
 * A store's segments, as its save and load paths use them: stores the segments a save carries
 * unless they are known to be stored already (this store saved them, or read a checkpoint that
 * names them), so an agent resumed after a restart or a failover does not write its whole
 * history again with its first checkpoint; splices them back into the checkpoints it reads.
 */
export class SegmentKeeper {
  private readonly known = new Map<string, Set<string>>();
  /**
   * Segments read lately, by agent and name. A segment never changes (its name is its content's
   * hash), so reading an agent's history (every kept checkpoint names the same segments) or
   * resuming it again costs one read per segment. Least recently used out past the budget.
   */
  private readonly recent = new Map<string, string>();
  private recentBytes = 0;

  constructor(
    private readonly put: (agentId: string, segments: JournalSegment[]) => Promise<void>,
    private readonly get: (agentId: string, name: string) => Promise<string | undefined>,
  ) {}

  async save(agentId: string, save: SegmentedSave | undefined): Promise<void> {
    if (!save?.newSegments.length) return;
    const known = this.known.get(agentId);
    const unknown = known ? save.newSegments.filter((segment) => !known.has(segment.name)) : save.newSegments;
    if (unknown.length > 0) await this.put(agentId, unknown);
    this.remember(agentId, unknown.map((segment) => segment.name));
  }

  async splice(stored: StoredCheckpoint): Promise<StoredCheckpoint> {
    const names: string[] = [];
    const whole = await withSegments(stored, (name) => {
      names.push(name);
      return this.read(stored.agentId, name);
    });
    this.remember(stored.agentId, names);
    return whole;
  }

  forget(agentId: string): void {
    this.known.delete(agentId);
    for (const key of this.recent.keys()) if (key.startsWith(`${agentId}/`)) this.drop(key);
  }

  private async read(agentId: string, name: string): Promise<string | undefined> {
    const key = `${agentId}/${name}`;
    const cached = this.recent.get(key);
    if (cached !== undefined) {
      this.recent.delete(key); // most recently used: to the end
      this.recent.set(key, cached);
      return cached;
    }
    const data = await this.get(agentId, name);
    if (data === undefined || data.length > RECENT_SEGMENTS_CHARS / 4) return data;
    this.recent.set(key, data);
    this.recentBytes += data.length;
    for (const oldest of this.recent.keys()) {
      if (this.recentBytes <= RECENT_SEGMENTS_CHARS) break;
      this.drop(oldest);
    }
    return data;
  }

  private drop(key: string): void {
    this.recentBytes -= this.recent.get(key)?.length ?? 0;
    this.recent.delete(key);
  }

  private remember(agentId: string, names: string[]): void {
    if (names.length === 0) return;
    const known = this.known.get(agentId) ?? new Set<string>();
    for (const name of names) known.add(name);
    this.known.delete(agentId); // most recently used: to the end
    this.known.set(agentId, known);
    // A store outlives many agents: it remembers the latest ones only. Forgetting costs at most
    // writing a segment again (same name, same content) if that agent saves once more.
    if (this.known.size > KNOWN_AGENTS_MAX) this.known.delete(this.known.keys().next().value!);
  }
}

/**
 * A stored checkpoint with its journal segments spliced back into its frames: `data` becomes the
 * whole record, `storedData` keeps what the store holds. Records without segments are returned as they are.
 */
export async function withSegments(
  stored: StoredCheckpoint,
  load: (name: string) => Promise<string | undefined>,
): Promise<StoredCheckpoint> {
  const data = await spliceSegments(stored.agentId, stored.seq, stored.data, load);
  return data === stored.data ? stored : { ...stored, data, storedData: stored.data };
}

async function spliceSegments(
  agentId: string,
  seq: number,
  data: string,
  load: (name: string) => Promise<string | undefined>,
): Promise<string> {
  if (!data.includes('"segments":[')) return data;
  let record: { snapshot?: { context?: { journal?: unknown } } };
  try {
    record = JSON.parse(data) as typeof record;
  } catch {
    return data; // not JSON: the decoder reports it
  }
  const root = record.snapshot?.context?.journal;
  if (!isStoredFrame(root)) return data;
  const frames: StoredFrame[] = [];
  collectFrames(root, frames);
  if (!frames.some((frame) => frame.segments !== undefined)) return data;
  for (const frame of frames) {
    if (frame.segments === undefined) continue;
    if (!Array.isArray(frame.segments)) throw new CorruptCheckpointError(agentId, seq, 'its journal "segments" is not a list');
    const members: string[] = [];
    for (const name of frame.segments) {
      if (typeof name !== 'string' || !SEGMENT_NAME.test(name)) {
        throw new CorruptCheckpointError(agentId, seq, `its journal names an invalid segment ${JSON.stringify(name)}`);
      }
      const segment = await load(name);
      if (segment === undefined) throw new CorruptCheckpointError(agentId, seq, `its journal segment "${name}" is missing from the store`);
      members.push(segment);
    }
    let sealed: Record<string, unknown>;
    try {
      sealed = JSON.parse(`{${members.join(',')}}`) as Record<string, unknown>;
    } catch (error) {
      throw new CorruptCheckpointError(agentId, seq, `a journal segment is not valid JSON (${ensureError(error).message})`, { cause: error });
    }
    const inline = frame.entries;
    delete frame.segments;
    // Integer keys enumerate in ascending order, so the merged entries read as they were written.
    frame.entries = { ...sealed, ...(typeof inline === 'object' && inline !== null ? inline : {}) } as StoredFrame['entries'];
  }
  return JSON.stringify(record);
}

interface StoredFrame {
  playbook?: unknown;
  segments?: unknown[];
  entries?: Record<string, { frame?: unknown }>;
}

function isStoredFrame(value: unknown): value is StoredFrame {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collectFrames(frame: StoredFrame, into: StoredFrame[]): void {
  into.push(frame);
  for (const entry of Object.values(frame.entries ?? {})) {
    if (isStoredFrame(entry) && isStoredFrame(entry.frame)) collectFrames(entry.frame, into);
  }
}
