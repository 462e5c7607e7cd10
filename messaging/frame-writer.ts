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
 * protocol frame, `PUB`/`HPUB` line, headers, payload and CRLF, in one buffer, and handed to
 * the client's outbound queue, which sends it with the rest of the turn's writes. The client's
 * own `publish` checks the subject with a regular expression, encodes the line with a
 * TextEncoder and queues three buffers per message: about a third of a publish's cost.
 * Falls back to `publish` when the client is not the one this was written for, and for every
 * case but the plain one (closed, draining, too large), so the client raises its own errors.
 */
export function textPublisher(nc: NatsConnection): PublishText {
  const hooks = hooksOf(nc);
  const protocol = (nc as unknown as { protocol?: Partial<ProtocolHandler> }).protocol;
  const fallback = (subject: string, payload: string, reply?: string, headerBlock?: string): void =>
    publishThroughClient(nc, subject, payload, reply, headerBlock);
  if (!isProtocolHandler(protocol)) return Object.assign(fallback, { direct: false });
  const direct = (subject: string, payload: string, reply?: string, headerBlock?: string): void => {
    const payloadBytes = Buffer.byteLength(payload);
    const headerBytes = headerBlock === undefined ? 0 : Buffer.byteLength(headerBlock);
    const info = protocol.info;
    const plain = info !== undefined && payloadBytes + headerBytes <= (info.max_payload ?? 0) && (headerBlock === undefined || info.headers === true);
    if (!plain || protocol.noMorePublishing || nc.isClosed()) {
      return fallback(subject, payload, reply, headerBlock);
    }
    for (const hook of hooks) hook();
    const to = reply === undefined ? subject : `${subject} ${reply}`;
    const line = headerBlock === undefined ? `PUB ${to} ${payloadBytes}\r\n` : `HPUB ${to} ${headerBytes} ${headerBytes + payloadBytes}\r\n${headerBlock}`;
    // Written part by part: a concatenated string would copy the payload once more.
    const lineBytes = Buffer.byteLength(line);
    const frame = Buffer.allocUnsafe(lineBytes + payloadBytes + 2);
    frame.write(line, 0);
    frame.write(payload, lineBytes);
    frame[lineBytes + payloadBytes] = 13; // \r
    frame[lineBytes + payloadBytes + 1] = 10; // \n
    protocol.outMsgs++;
    protocol.outBytes += payloadBytes + headerBytes;
    protocol.sendCommand(frame);
  };
  return Object.assign(direct, { direct: true });
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
