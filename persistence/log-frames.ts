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
 * Reads the frames of `bytes` (a whole log file) in order; stops at the first frame that is cut
 * short or fails its CRC, and says where.
 */
export function scanFrames(bytes: Buffer, onFrame: (frame: FrameHead) => void): ScanEnd {
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < FRAME_HEADER) return { complete: false, offset, reason: 'a frame header cut short' };
    const bodyLength = bytes.readUInt32LE(offset);
    if (bodyLength === 0 && bytes.readUInt32LE(offset + 4) === 0) return { complete: true, offset };
    const end = offset + FRAME_HEADER + bodyLength;
    if (bodyLength < BODY_FIXED || end > bytes.length) return { complete: false, offset, reason: `a frame of ${bodyLength} bytes cut short` };
    const body = bytes.subarray(offset + FRAME_HEADER, end);
    if (crc32(body) !== bytes.readUInt32LE(offset + 4)) return { complete: false, offset, reason: 'a frame whose CRC does not match' };
    const kind = body.readUInt8(0) as FrameKind;
    const seq = body.readUInt32LE(1);
    const idBytes = body.readUInt16LE(5);
    const agentId = body.toString('utf8', 7, 7 + idBytes);
    const nameAt = 7 + idBytes;
    const nameBytes = body.readUInt16LE(nameAt);
    const name = body.toString('utf8', nameAt + 2, nameAt + 2 + nameBytes);
    const dataStart = nameAt + 2 + nameBytes;
    if (dataStart > body.length || kind < FrameKind.Checkpoint || kind > FrameKind.Prune) {
      return { complete: false, offset, reason: `a frame of unknown kind ${kind}` };
    }
    const dataOffset = offset + FRAME_HEADER + dataStart;
    onFrame({ kind, agentId, seq, name, offset, length: end - offset, dataOffset, dataLength: end - dataOffset });
    offset = end;
  }
  return { complete: true, offset };
}

/** Where the data starts in an encoded frame. */
export function dataStart(frame: Buffer): number {
  const idBytes = frame.readUInt16LE(FRAME_HEADER + 5);
  return FRAME_HEADER + BODY_FIXED + idBytes + frame.readUInt16LE(FRAME_HEADER + 7 + idBytes);
}
