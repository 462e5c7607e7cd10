import { randomBytes } from 'node:crypto';
import { frameExtent, type Frame, type JournalEntry } from '../actors/journal.js';
import type { JournalSegmenter, SealedFrame } from './journal-segments.js';

/**
 * JSON of a checkpoint's snapshot that does not encode again what did not change since the
 * last checkpoint. Finished journal entries and the agent's input are immutable objects (an
 * entry that changes is replaced), so their JSON is cached by identity: a checkpoint encodes
 * the frames on the open path and the new entries, and splices in the cached JSON of the
 * others. With a segmenter, a frame's sealed blocks are not even spliced in: the record names
 * them (journal-segments.ts), so its size stays flat however long the history grows. Without
 * one, the output is exactly `JSON.stringify(snapshot)` (tests check it).
 *
 * Only the known path to the journal is special (snapshot → context → journal, input); a plain
 * machine agent's snapshot, whose context is the user's own, is plain JSON.stringify. The rest
 * of the snapshot goes through the native JSON.stringify too; the writer encodes the envelope.
 * Strings are built by concatenation rather than arrays and `join`: V8 keeps them as ropes
 * until the record is turned into bytes, which measured about twice as fast (bench:history).
 */
const encoded = new WeakMap<object, string>();

// Stand-ins for the journal and the input while the rest of the record goes through the native
// JSON.stringify (much faster than walking it here); they are then replaced by their own JSON.
// The per-process nonce makes a user's string equal to one of them impossible to guess.
const nonce = randomBytes(8).toString('hex');
const JOURNAL_MARK = `\u0000journal:${nonce}`;
const INPUT_MARK = `\u0000input:${nonce}`;
const JOURNAL_MARK_JSON = JSON.stringify(JOURNAL_MARK);
const INPUT_MARK_JSON = JSON.stringify(INPUT_MARK);

/** The JSON of a checkpoint's `snapshot` (exactly JSON.stringify's, without a segmenter). */
export function stringifySnapshot(snapshot: unknown, kind: 'playbook' | 'machine', segmenter?: JournalSegmenter): string {
  const context = (snapshot as { context?: { journal?: unknown; input?: unknown } }).context;
  const journal = context?.journal;
  if (kind === 'machine' || typeof journal !== 'object' || journal === null) return JSON.stringify(snapshot);
  segmenter?.begin();
  if (isSmall(journal as Frame)) return JSON.stringify(snapshot);
  const input = context!.input;
  const cachedInput = typeof input === 'object' && input !== null;
  // Spreading keeps each key where it was, so the output matches JSON.stringify(snapshot).
  const shell = { ...(snapshot as object), context: { ...context!, journal: JOURNAL_MARK, ...(cachedInput ? { input: INPUT_MARK } : {}) } };
  let json = replaceMark(JSON.stringify(shell), JOURNAL_MARK_JSON, stringifyFrame(journal as Frame, segmenter));
  if (cachedInput) json = replaceMark(json, INPUT_MARK_JSON, cached(input));
  return json;
}

/**
 * Up to this many entries in the root frame (and no call open), the native JSON.stringify of the
 * whole snapshot is faster than splicing cached pieces together: the splicing pays for its
 * stand-ins, its concatenations and a cache lookup per entry, and wins only once the entries it
 * does not encode again outweigh that (measured: ~1.6× faster with 0–3 entries, even at ~8).
 * Such a journal has nothing to seal (a block is 64 entries), so the output is the same.
 */
const SMALL_JOURNAL_ENTRIES = 8;

function isSmall(frame: Frame): boolean {
  const entries = frame.entries;
  let count = 0;
  for (const position in entries) {
    if (++count > SMALL_JOURNAL_ENTRIES || entries[position]!.frame) return false;
  }
  return true;
}

function replaceMark(json: string, mark: string, by: string): string {
  const at = json.indexOf(mark);
  return `${json.slice(0, at)}${by}${json.slice(at + mark.length)}`;
}

function stringifyFrame(frame: Frame, segmenter: JournalSegmenter | undefined): string {
  const sealed = segmenter?.sealed(frame, cached);
  let out = '{';
  for (const key in frame) {
    const v = frame[key as keyof Frame];
    if (v === undefined) continue;
    if (key === 'entries' && sealed && sealed.names.length > 0) out += `${out.length > 1 ? ',' : ''}"segments":${JSON.stringify(sealed.names)}`;
    const json = key === 'entries' ? stringifyEntries(frame, sealed, segmenter) : JSON.stringify(v);
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${json}`;
  }
  return `${out}}`;
}

/** The entries not sealed in segments (all of them without a segmenter). */
function stringifyEntries(frame: Frame, sealed: SealedFrame | undefined, segmenter: JournalSegmenter | undefined): string {
  const entries = frame.entries;
  let out = '{';
  const add = (position: number | string, entry: JournalEntry) => {
    // Positions are the runtime's own non-negative integers: nothing in them needs escaping.
    out += `${out.length > 1 ? ',"' : '"'}${position}":${stringifyEntry(entry, segmenter)}`;
  };
  if (!sealed) {
    for (const position in entries) add(position, entries[position]!);
  } else {
    // Walks only what is inline: the positions left out of sealed blocks, then the unsealed tail.
    const addIfRecorded = (position: number) => {
      const entry = entries[position];
      if (entry) add(position, entry);
    };
    sealed.open.forEach(addIfRecorded);
    const extent = frameExtent(frame);
    for (let position = sealed.from; position < extent; position++) addIfRecorded(position);
  }
  return `${out}}`;
}

function stringifyEntry(entry: JournalEntry, segmenter: JournalSegmenter | undefined): string {
  // An entry with an open frame changes as the frame does: only entries without one are cached.
  if (!entry.frame) return cached(entry);
  let out = '{';
  for (const k in entry) {
    const v = entry[k as keyof JournalEntry];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${k === 'frame' ? stringifyFrame(v as Frame, segmenter) : JSON.stringify(v)}`;
  }
  return `${out}}`;
}

function cached(value: object): string {
  let json = encoded.get(value);
  if (json === undefined) {
    json = JSON.stringify(value);
    encoded.set(value, json);
  }
  return json;
}
