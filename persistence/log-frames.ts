import { crc32 } from 'node:zlib';

/**
 * The log store's on-disk format: a log file is a sequence of frames, appended, never changed.
 *
 *   frame: [u32 body length][u32 CRC-32 of the body][body]              (little-endian)
 *   body:  [u8 kind][u32 seq][u16 id length][agent id][u16 name length][name][data]
 *
 * Strings are UTF-8. `data` runs to the end of the body. A frame whose length runs past the end
 * of the file, or whose CRC does not match, is where a write was cut short (a crash mid-append)
 * or the file was damaged: scanning stops there. A header of zeros is where the frames end and
 * the space the writer allocated ahead (zeros) begins.
 */
export const FrameKind = {
  /** A checkpoint record: `seq`, `data` = the record. */
  Checkpoint: 1,
  /** A journal segment: `name`, `data` = its JSON. */
  Segment: 2,
  /** The agent was deleted: its earlier frames are dead. */
  Delete: 3,
  /** The agent's checkpoints below `seq` were pruned. */
  Prune: 4,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

const FRAME_HEADER = 8;
const BODY_FIXED = 1 + 4 + 2 + 2;
const MAX_U16 = 0xffff;

export interface FrameFields {
  kind: FrameKind;
  agentId: string;
  seq: number;
  name: string;
  data: string;
}

export function encodeFrame({ kind, agentId, seq, name, data }: FrameFields): Buffer {
  const idBytes = Buffer.byteLength(agentId);
  const nameBytes = Buffer.byteLength(name);
  if (idBytes > MAX_U16 || nameBytes > MAX_U16) throw new RangeError(`agent id or segment name longer than ${MAX_U16} bytes: ${agentId.slice(0, 80)}…`);
  const bodyLength = BODY_FIXED + idBytes + nameBytes + Buffer.byteLength(data);
  const frame = Buffer.allocUnsafe(FRAME_HEADER + bodyLength);
  frame.writeUInt32LE(bodyLength, 0);
  let at = FRAME_HEADER;
  at = frame.writeUInt8(kind, at);
  at = frame.writeUInt32LE(seq, at);
  at = frame.writeUInt16LE(idBytes, at);
  at += frame.write(agentId, at, 'utf8');
  at = frame.writeUInt16LE(nameBytes, at);
  at += frame.write(name, at, 'utf8');
  frame.write(data, at, 'utf8');
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER)), 4);
  return frame;
}

/** A frame read back: its fields but the data, which stays in the file until asked for. */
export interface FrameHead {
  kind: FrameKind;
  agentId: string;
  seq: number;
  name: string;
  /** Where the frame starts in its file, and its whole length. */
  offset: number;
  length: number;
  /** Where its data starts in the file, and its length in bytes. */
  dataOffset: number;
  dataLength: number;
}

/** Where the frames of a file end (`offset`), and whether they end cleanly. */
export type ScanEnd = { complete: true; offset: number } | { complete: false; offset: number; reason: string };

/**
 * Reads the frames of `bytes` (a whole log file) in order, from `from`; stops at the first frame
 * that is cut short or fails its CRC, or at a header of zeros, and says where.
 */
export function scanFrames(bytes: Buffer, onFrame: (frame: FrameHead) => void, from = 0): ScanEnd {
  let offset = from;
  while (offset < bytes.length) {
    const frame = readFrame(bytes, offset);
    if (typeof frame === 'string') return frame === ZEROS ? { complete: true, offset } : { complete: false, offset, reason: frame };
    onFrame(frame);
    offset += frame.length;
  }
  return { complete: true, offset };
}

/** Damage found in a file by `scanReadable`: where, what, and where reading went on (if it did). */
export interface Damage {
  offset: number;
  reason: string;
  resumedAt: number | undefined;
}

/**
 * Reads every frame of a file that is no longer written to (all its frames were fsynced before
 * the log moved on), past damage too: after a frame that fails its checks, or zeros where frames
 * should be (a lost page), reading goes on at the next offset where a whole frame checks out
 * (length, kind, a text agent id, CRC), so one bad frame costs that frame only. Frame bodies are text (JSON,
 * agent ids), so a frame header cannot be mistaken inside one; elsewhere a false match needs a
 * 32-bit CRC to match by chance.
 */
export function scanReadable(bytes: Buffer, onFrame: (frame: FrameHead) => void, onDamage: (damage: Damage) => void): void {
  let end = scanFrames(bytes, onFrame);
  while (end.offset < bytes.length) {
    const resumedAt = nextFrameAt(bytes, end.complete ? end.offset : end.offset + 1);
    // Zeros to the end of the file are the space allocated ahead, never written: not damage.
    if (end.complete && resumedAt === undefined) return;
    onDamage({ offset: end.offset, reason: end.complete ? 'zeros where frames should be' : end.reason, resumedAt });
    if (resumedAt === undefined) return;
    end = scanFrames(bytes, onFrame, resumedAt);
  }
}

/** What a warning says of damage `scanReadable` found. */
export function describeDamage(damage: Damage, fileBytes: number): string {
  const at = `${damage.reason} at byte ${damage.offset} of ${fileBytes}`;
  return damage.resumedAt === undefined
    ? `${at}; no whole frame after it: the rest of this file could not be read`
    : `${at}; ${damage.resumedAt - damage.offset} bytes skipped, read on from byte ${damage.resumedAt}`;
}

/** The first offset at or after `from` where a whole frame checks out. */
export function nextFrameAt(bytes: Buffer, from: number): number | undefined {
  for (let offset = from; offset + FRAME_HEADER + BODY_FIXED <= bytes.length; offset++) {
    if (looksLikeFrame(bytes, offset) && typeof readFrame(bytes, offset) !== 'string') return offset;
  }
  return undefined;
}

/** Longest agent id or segment name a frame is looked for with, past damage (agent ids are ≤ 128 characters). */
const RESYNC_MAX_NAME_BYTES = 1024;

/**
 * Cheap checks before a CRC over the body: a length inside the file, a known kind, and an
 * agent id (and name) of text. Most offsets fail the first (inside JSON text, four bytes read
 * as a length far past the file's end); in binary garbage the text check keeps the CRCs rare.
 */
function looksLikeFrame(bytes: Buffer, offset: number): boolean {
  const length = bytes.readUInt32LE(offset);
  const body = offset + FRAME_HEADER;
  if (length < BODY_FIXED || body + length > bytes.length) return false;
  const kind = bytes[body]!;
  if (kind < FrameKind.Checkpoint || kind > FrameKind.Prune) return false;
  const idBytes = bytes.readUInt16LE(body + 5);
  if (idBytes === 0 || idBytes > RESYNC_MAX_NAME_BYTES || 9 + idBytes > length) return false;
  for (let at = body + 7; at < body + 7 + idBytes; at++) if (bytes[at]! < 0x20 || bytes[at] === 0x7f) return false;
  return bytes.readUInt16LE(body + 7 + idBytes) <= RESYNC_MAX_NAME_BYTES;
}

const ZEROS = 'zeros';

/** The frame at `offset`, or why there is none: `ZEROS` where frames end, else what is wrong. */
function readFrame(bytes: Buffer, offset: number): FrameHead | string {
  if (bytes.length - offset < FRAME_HEADER) return 'a frame header cut short';
  const bodyLength = bytes.readUInt32LE(offset);
  if (bodyLength === 0 && bytes.readUInt32LE(offset + 4) === 0) return ZEROS;
  const end = offset + FRAME_HEADER + bodyLength;
  if (bodyLength < BODY_FIXED || end > bytes.length) return `a frame of ${bodyLength} bytes cut short`;
  const body = bytes.subarray(offset + FRAME_HEADER, end);
  if (crc32(body) !== bytes.readUInt32LE(offset + 4)) return 'a frame whose CRC does not match';
  const kind = body.readUInt8(0) as FrameKind;
  const seq = body.readUInt32LE(1);
  const idBytes = body.readUInt16LE(5);
  const nameAt = 7 + idBytes;
  if (nameAt + 2 > body.length) return 'a frame whose agent id runs past its end';
  const agentId = body.toString('utf8', 7, nameAt);
  const nameBytes = body.readUInt16LE(nameAt);
  const dataStart = nameAt + 2 + nameBytes;
  if (dataStart > body.length || kind < FrameKind.Checkpoint || kind > FrameKind.Prune) return `a frame of unknown kind ${kind}`;
  const name = body.toString('utf8', nameAt + 2, dataStart);
  const dataOffset = offset + FRAME_HEADER + dataStart;
  return { kind, agentId, seq, name, offset, length: end - offset, dataOffset, dataLength: end - dataOffset };
}

/** Where the data starts in an encoded frame. */
export function dataStart(frame: Buffer): number {
  const idBytes = frame.readUInt16LE(FRAME_HEADER + 5);
  return FRAME_HEADER + BODY_FIXED + idBytes + frame.readUInt16LE(FRAME_HEADER + 7 + idBytes);
}
