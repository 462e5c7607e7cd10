import { frameExtent, type Frame, type JournalEntry } from '../actors/journal.js';
import type { JournalSegmenter } from './journal-segments.js';

/**
 * JSON of a checkpoint record that does not encode again what did not change since the last
 * checkpoint. Finished journal entries and the agent's input are immutable objects (an entry
 * that changes is replaced), so their JSON is cached by identity: a checkpoint encodes its
 * envelope, the frames on the open path and the new entries, and splices in the cached JSON
 * of the others. With a segmenter, a frame's sealed blocks are not even spliced in: the record
 * names them (journal-segments.ts), so its size stays flat however long the history grows.
 * Without one, the output is exactly `JSON.stringify(record)` (tests check it).
 *
 * Only the known path to the journal is special (record → snapshot → context → journal, input);
 * a plain machine agent's record, whose context is the user's own, is plain JSON.stringify.
 * Strings are built by concatenation rather than arrays and `join`: V8 keeps them as ropes
 * until the record is turned into bytes, which measured about twice as fast (bench:history).
 */
const encoded = new WeakMap<object, string>();

type Special = (key: string, value: unknown) => string | undefined;

// The segmenter of the record being encoded (encoding is synchronous: one record at a time).
let segmenter: JournalSegmenter | undefined;

export function stringifyCheckpoint(record: { kind?: string }, recordSegmenter?: JournalSegmenter): string {
  if (record.kind === 'machine') return JSON.stringify(record);
  recordSegmenter?.begin();
  segmenter = recordSegmenter;
  try {
    return stringifyObject(record, inRecord);
  } finally {
    segmenter = undefined;
  }
}

const inRecord: Special = (key, value) => (key === 'snapshot' ? stringifyObject(value, inSnapshot) : undefined);
const inSnapshot: Special = (key, value) => (key === 'context' ? stringifyObject(value, inContext) : undefined);
const inContext: Special = (key, value) => {
  if (key === 'journal') return stringifyFrame(value as Frame, segmenter);
  if (key === 'input' && typeof value === 'object' && value !== null) return cached(value);
  return undefined;
};

/** Like JSON.stringify of a plain object, with `special` encoding some of its fields. */
function stringifyObject(value: unknown, special: Special): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value) ?? 'null';
  let out = '{';
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${special(key, v) ?? JSON.stringify(v)}`;
  }
  return `${out}}`;
}

function stringifyFrame(frame: Frame, segmenter: JournalSegmenter | undefined): string {
  const sealed = segmenter?.sealed(frame, cached);
  let out = '{';
  for (const key in frame) {
    const v = frame[key as keyof Frame];
    if (v === undefined) continue;
    if (key === 'entries' && sealed && sealed.names.length > 0) out += `${out.length > 1 ? ',' : ''}"segments":${JSON.stringify(sealed.names)}`;
    const json = key === 'entries' ? stringifyEntries(frame, sealed?.from, segmenter) : JSON.stringify(v);
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${json}`;
  }
  return `${out}}`;
}

/** The entries from position `from` on (all of them without a segmenter). */
function stringifyEntries(frame: Frame, from: number | undefined, segmenter: JournalSegmenter | undefined): string {
  const entries = frame.entries;
  let out = '{';
  if (from === undefined) {
    // Positions are the runtime's own non-negative integers: nothing in them needs escaping.
    for (const position in entries) out += `${out.length > 1 ? ',"' : '"'}${position}":${stringifyEntry(entries[position]!, segmenter)}`;
  } else {
    // Walks only the unsealed tail, not the whole frame.
    const extent = frameExtent(frame);
    for (let position = from; position < extent; position++) {
      const entry = entries[position];
      if (entry) out += `${out.length > 1 ? ',"' : '"'}${position}":${stringifyEntry(entry, segmenter)}`;
    }
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
