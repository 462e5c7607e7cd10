import type { Frame, JournalEntry } from '../actors/journal.js';

/**
 * JSON of a checkpoint record that does not encode again what did not change since the last
 * checkpoint. Journal entries and the agent's input are immutable objects (the journal is
 * updated by copying the path to what changed), so their JSON is cached by identity: a
 * checkpoint encodes its envelope, the frames on the open path and the new entries, and
 * splices in the cached JSON of the others. A checkpoint is still a whole snapshot, so its
 * size (and the cost of the splice) grows with the journal; a long loop keeps it short with
 * `continueAsNew`. The output is exactly `JSON.stringify(record)` (tests check it).
 *
 * Strings are built by concatenation rather than arrays and `join`: V8 keeps them as ropes
 * until the record is turned into bytes, which measured about twice as fast (bench:history).
 */
const encoded = new WeakMap<object, string>();

export function stringifyCheckpoint(record: object): string {
  return stringifyValue(record, undefined);
}

function stringifyValue(value: unknown, key: string | undefined): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (key === 'journal' || key === 'frame') return stringifyFrame(value as Frame);
  if (key === 'input') return cached(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  let out = '{';
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (v === undefined || typeof v === 'function') continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${stringifyValue(v, k)}`;
  }
  return `${out}}`;
}

function stringifyFrame(frame: Frame): string {
  let out = '{';
  for (const k in frame) {
    const v = frame[k as keyof Frame];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${k === 'entries' ? stringifyEntries(v as Frame['entries']) : JSON.stringify(v)}`;
  }
  return `${out}}`;
}

function stringifyEntries(entries: Frame['entries']): string {
  let out = '{';
  // Positions are the runtime's own non-negative integers: nothing in them needs escaping.
  for (const position in entries) out += `${out.length > 1 ? ',"' : '"'}${position}":${stringifyEntry(entries[position]!)}`;
  return `${out}}`;
}

function stringifyEntry(entry: JournalEntry): string {
  // An entry with an open frame changes as the frame does: only entries without one are cached.
  if (!entry.frame) return cached(entry);
  let out = '{';
  for (const k in entry) {
    const v = entry[k as keyof JournalEntry];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${k === 'frame' ? stringifyFrame(v as Frame) : JSON.stringify(v)}`;
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
