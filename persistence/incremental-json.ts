import type { Frame, JournalEntry } from '../actors/journal.js';

/**
 * JSON of a checkpoint record that does not encode again what did not change since the last
 * checkpoint. Journal entries and the agent's input are immutable objects (the journal is
 * updated by copying the path to what changed), so their JSON is cached by identity: a
 * checkpoint encodes its envelope, the frames on the open path and the new entries only —
 * what it costs no longer grows with the agent's history. The output is exactly
 * `JSON.stringify(record)` (tests check it).
 */
const encoded = new WeakMap<object, string>();

export function stringifyCheckpoint(record: object): string {
  return stringifyValue(record, undefined);
}

function stringifyValue(value: unknown, key: string | undefined): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const cached = encoded.get(value);
  if (cached !== undefined) return cached;
  if (Array.isArray(value)) return JSON.stringify(value);
  if (key === 'journal' || key === 'frame') return stringifyFrame(value as Frame);
  if (key === 'input') return remember(value, JSON.stringify(value));
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined || typeof v === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${stringifyValue(v, k)}`);
  }
  return `{${parts.join(',')}}`;
}

function stringifyFrame(frame: Frame): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(frame)) {
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${k === 'entries' ? stringifyEntries(v as Frame['entries']) : JSON.stringify(v)}`);
  }
  return `{${parts.join(',')}}`;
}

function stringifyEntries(entries: Frame['entries']): string {
  const parts: string[] = [];
  for (const [position, entry] of Object.entries(entries)) parts.push(`${JSON.stringify(position)}:${stringifyEntry(entry)}`);
  return `{${parts.join(',')}}`;
}

function stringifyEntry(entry: JournalEntry): string {
  const cached = encoded.get(entry);
  if (cached !== undefined) return cached;
  // An entry with an open frame changes as the frame does: only entries without one are cached.
  if (!entry.frame) return remember(entry, JSON.stringify(entry));
  const parts: string[] = [];
  for (const [k, v] of Object.entries(entry)) {
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${k === 'frame' ? stringifyFrame(v as Frame) : JSON.stringify(v)}`);
  }
  return `{${parts.join(',')}}`;
}

function remember(value: object, json: string): string {
  encoded.set(value, json);
  return json;
}
