import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Publishes a string payload (with an optional reply subject and header block), fire and
 * forget, as the client's `publish` does. Throws as it does when the connection is closed or
 * draining, or the message exceeds the server's max payload.
 */
export type PublishText = ((subject: string, payload: string, reply?: string, headerBlock?: string) => void) & {
  /** False when the client's internals are not the expected ones and every publish goes through its `publish`. */
  readonly direct: boolean;
};

/** The part of the client's protocol handler a frame goes through (nats.js v3 internals). */
interface ProtocolHandler {
  sendCommand(frame: Uint8Array): void;
  noMorePublishing: boolean;
  info?: { max_payload?: number; headers?: boolean };
  outMsgs: number;
  outBytes: number;
}

/**
 * The hot path's publishes (checkpoints, lifecycle events): each message is encoded as one
 * protocol frame, `PUB`/`HPUB` line, headers, payload and CRLF, laid out after the previous
 * one in the connection's frame arena, and the frames of a turn are handed to the client's
 * outbound queue together, as one buffer (see FrameArena). The client's own `publish` checks the
 * subject with a regular expression, encodes the line with a TextEncoder and queues three
 * buffers per message, which it then copies into one: about a third of a publish's cost.
 * Falls back to `publish` when the client is not the one this was written for, and for every
 * case but the plain one (closed, draining, too large), so the client raises its own errors.
 */
export function textPublisher(nc: NatsConnection): PublishText {
  const hooks = hooksOf(nc);
  const protocol = (nc as unknown as { protocol?: Partial<ProtocolHandler> }).protocol;
  const fallback = (subject: string, payload: string, reply?: string, headerBlock?: string): void =>
    publishThroughClient(nc, subject, payload, reply, headerBlock);
  if (!isProtocolHandler(protocol)) return Object.assign(fallback, { direct: false });
  const frames = arenaOf(nc, protocol);
  const direct = (subject: string, payload: string, reply?: string, headerBlock?: string): void => {
    const headerBytes = headerBlock === undefined ? 0 : Buffer.byteLength(headerBlock);
    const info = protocol.info;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: the exact size is only counted near the limit.
    const maxPayload = info?.max_payload ?? 0;
    const fits = payload.length * 3 + headerBytes <= maxPayload || Buffer.byteLength(payload) + headerBytes <= maxPayload;
    const plain = info !== undefined && fits && (headerBlock === undefined || info.headers === true);
    if (!plain || protocol.noMorePublishing || nc.isClosed()) {
      return fallback(subject, payload, reply, headerBlock);
    }
    for (const hook of hooks) hook();
    const payloadBytes = frames.write(subject, reply, headerBlock, headerBytes, payload);
    protocol.outMsgs++;
    protocol.outBytes += payloadBytes + headerBytes;
  };
  return Object.assign(direct, { direct: true });
}

const ARENA_BYTES = 64 * 1024;

const arenas = new WeakMap<NatsConnection, FrameArena>();

/** One arena per connection, shared by its text publishers: their frames keep their order. */
function arenaOf(nc: NatsConnection, protocol: ProtocolHandler): FrameArena {
  let arena = arenas.get(nc);
  if (!arena) arenas.set(nc, (arena = new FrameArena(protocol)));
  return arena;
}

/**
 * Lays frames out one after another in a buffer that is only ever written forward, and hands
 * what a turn wrote to the client as one view of it, in a microtask: one command for the
 * client's queue instead of one per frame, and nothing for it to copy into one buffer (it copies
 * as soon as it holds two). The payload is encoded once, straight into place, with no pass
 * beforehand to count its bytes (about half a frame's cost went to those). A view handed out is
 * never written again: the client may hold it until the socket takes it.
 *
 * Frames go out in the order they were written, after whatever the client queued itself
 * earlier in the turn. Nothing on this path depends on that order across the two: what follows a
 * checkpoint waits for its acknowledgement, which comes only after the frame went out.
 */
class FrameArena {
  private buffer = Buffer.allocUnsafe(ARENA_BYTES);
  private used = 0;
  /** Where the frames not handed to the client yet begin. */
  private pendingFrom = 0;
  private handOverQueued = false;

  constructor(private readonly protocol: ProtocolHandler) {}

  /** Writes one frame; returns the payload's size in bytes. */
  write(subject: string, reply: string | undefined, headerBlock: string | undefined, headerBytes: number, payload: string): number {
    const to = reply === undefined ? subject : `${subject} ${reply}`;
    const verb = headerBlock === undefined ? `PUB ${to} ` : `HPUB ${to} ${headerBytes} `;
    // The size field is guessed from the UTF-16 length (exact for ASCII); the payload moves if not.
    const guess = String(payload.length + headerBytes).length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the size field at most 10 digits.
    const most = verb.length * 3 + 10 + 2 + headerBytes + payload.length * 3 + 2;
    if (this.used + most > this.buffer.length) {
      this.handOver(); // what this buffer holds goes first
      this.buffer = Buffer.allocUnsafe(Math.max(ARENA_BYTES, most));
      this.used = 0;
      this.pendingFrom = 0;
    }
    const buffer = this.buffer;
    const sizeAt = this.used + buffer.write(verb, this.used);
    const guessedBodyAt = sizeAt + guess + 2;
    const payloadAt = guessedBodyAt + headerBytes;
    const payloadBytes = buffer.write(payload, payloadAt);
    const size = `${headerBytes + payloadBytes}\r\n`;
    const bodyAt = sizeAt + size.length;
    if (bodyAt !== guessedBodyAt) buffer.copyWithin(bodyAt + headerBytes, payloadAt, payloadAt + payloadBytes);
    buffer.write(size, sizeAt);
    if (headerBlock !== undefined) buffer.write(headerBlock, bodyAt);
    let end = bodyAt + headerBytes + payloadBytes;
    buffer[end++] = 13; // \r
    buffer[end++] = 10; // \n
    this.used = end;
    if (!this.handOverQueued) {
      this.handOverQueued = true;
      queueMicrotask(this.handOver);
    }
    return payloadBytes;
  }

  /** Gives the client the frames written since the last hand-over. */
  private readonly handOver = (): void => {
    this.handOverQueued = false;
    if (this.used === this.pendingFrom) return;
    this.protocol.sendCommand(this.buffer.subarray(this.pendingFrom, this.used));
    this.pendingFrom = this.used;
  };
}

const frameHooks = new WeakMap<NatsConnection, (() => void)[]>();

function hooksOf(nc: NatsConnection): (() => void)[] {
  let hooks = frameHooks.get(nc);
  if (!hooks) frameHooks.set(nc, (hooks = []));
  return hooks;
}

/**
 * Runs `hook` right before each frame the connection's text publishers send, so what waits to
 * be published (lifecycle events) goes out in the same socket write instead of one of its own.
 */
export function beforeEachFrame(nc: NatsConnection, hook: () => void): () => void {
  const hooks = hooksOf(nc);
  hooks.push(hook);
  return () => {
    const at = hooks.indexOf(hook);
    if (at >= 0) hooks.splice(at, 1);
  };
}

function isProtocolHandler(protocol: Partial<ProtocolHandler> | undefined): protocol is ProtocolHandler {
  return (
    typeof protocol?.sendCommand === 'function' &&
    typeof protocol.noMorePublishing === 'boolean' &&
    typeof protocol.outMsgs === 'number' &&
    typeof protocol.outBytes === 'number'
  );
}

/** A publish through the client's own `publish` (Buffer.from encodes UTF-8 faster than its TextEncoder). */
export function publishThroughClient(nc: NatsConnection, subject: string, payload: string | Uint8Array, reply?: string, headerBlock?: string): void {
  const options: { reply?: string; headers?: never } = {};
  if (reply !== undefined) options.reply = reply;
  // The client only calls `encode()` on a publish's headers.
  if (headerBlock !== undefined) options.headers = { encode: () => Buffer.from(headerBlock) } as never;
  nc.publish(subject, typeof payload === 'string' ? Buffer.from(payload) : payload, options);
}
