import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { PlaybooksError } from '../errors.js';
import { publishThroughClient, textPublisher, type PublishText } from './frame-writer.js';

/** A JetStream API error in a reply (`{ "error": { "code", "err_code", "description" } }`). */
export class JetStreamReplyError extends PlaybooksError {
  override readonly name = 'JetStreamReplyError';
  constructor(
    readonly status: number,
    readonly errCode: number,
    description: string,
  ) {
    super('JETSTREAM', description);
  }
}

interface Pending {
  /** With a JetStream publish, the stored sequence its ack carries; else the reply itself. */
  resolve: ((msg: Msg) => void) | ((seq: number) => void);
  reject: (error: Error) => void;
  deadline: number;
  subject: string;
  /** A JetStream publish: the reply is its ack, read here (one promise per publish, not two). */
  isPublish: boolean;
}

const decoder = new TextDecoder();

/**
 * Request/reply for the hot path: every checkpoint is a JetStream publish that waits for its
 * ack. One subscription on a private inbox serves every request, replies are matched by
 * token, and timeouts are swept a few times per timeout period — so a request allocates a
 * token and a promise, and no error object unless it fails. (The client's own `request`
 * builds an error, with its stack trace, for every request it makes; that was an eighth of
 * the CPU of a checkpoint.)
 */
export class ReplyMux {
  private readonly prefix = createInbox();
  private readonly pending = new Map<string, Pending>();
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;

  private readonly publishText: PublishText;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.publishText = textPublisher(nc);
    this.subscription = nc.subscribe(`${this.prefix}.*`, {
      callback: (error, msg) => {
        if (!error) this.reply(msg);
      },
    });
    this.sweeper = setInterval(() => this.expire(), Math.max(20, Math.min(250, timeoutMs / 4)));
    this.sweeper.unref();
  }

  /** Sends `data` to `subject` and resolves with the reply (a 503 "no responders" rejects). */
  request(subject: string, data: Uint8Array | string): Promise<Msg> {
    return new Promise((resolve, reject) => this.send(subject, data, undefined, false, resolve, reject));
  }

  /**
   * A JetStream publish that waits for the stream's ack; with `expectedLastSubjectSeq` it is a
   * compare-and-set (0: the subject must be empty). Resolves to the stored sequence.
   */
  publish(subject: string, data: Uint8Array | string, expectedLastSubjectSeq?: number): Promise<number> {
    const headerBlock = expectedLastSubjectSeq === undefined ? undefined : `NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: ${expectedLastSubjectSeq}\r\n\r\n`;
    return new Promise((resolve, reject) => this.send(subject, data, headerBlock, true, resolve, reject));
  }

  private send(
    subject: string,
    data: Uint8Array | string,
    headerBlock: string | undefined,
    isPublish: boolean,
    resolve: Pending['resolve'],
    reject: Pending['reject'],
  ): void {
    const token = (this.next++).toString(36);
    const pending: Pending = { resolve, reject, deadline: performance.now() + this.timeoutMs, subject, isPublish };
    this.pending.set(token, pending);
    try {
      const reply = `${this.prefix}.${token}`;
      if (typeof data === 'string') this.publishText(subject, data, reply, headerBlock);
      else publishThroughClient(this.nc, subject, data, reply, headerBlock);
    } catch (error) {
      this.pending.delete(token);
      pending.reject(error as Error);
    }
  }

  /**
   * A JetStream direct get (`{ seq, next_by_subj }` or `{ last_by_subj }`) on `stream`:
   * the stored message, or undefined when there is none.
   */
  async directGet(stream: string, query: { seq?: number; next_by_subj?: string; last_by_subj?: string }): Promise<Msg | undefined> {
    const reply = await this.request(`$JS.API.DIRECT.GET.${stream}`, JSON.stringify(query));
    const status = reply.headers?.code ?? 0;
    if (status === 404) return undefined;
    if (status >= 400) throw new JetStreamReplyError(status, 0, reply.headers?.description || `direct get on ${stream} failed`);
    return reply;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    for (const [token, pending] of this.pending) {
      this.pending.delete(token);
      pending.reject(new Error(`request to ${pending.subject} cancelled: the connection is closing`));
    }
  }

  private reply(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length + 1);
    const pending = this.pending.get(token);
    if (!pending) return; // it timed out already
    this.pending.delete(token);
    if (msg.headers?.code === 503) pending.reject(new Error(`no responders for ${pending.subject} (is JetStream enabled, and the stream there?)`));
    else if (!pending.isPublish) (pending.resolve as (msg: Msg) => void)(msg);
    else {
      let seq: number;
      try {
        seq = publishAck(pending.subject, msg);
      } catch (error) {
        pending.reject(error as Error);
        return;
      }
      (pending.resolve as (seq: number) => void)(seq);
    }
  }

  private expire(): void {
    const now = performance.now();
    for (const [token, pending] of this.pending) {
      if (pending.deadline > now) continue;
      this.pending.delete(token);
      pending.reject(new Error(`request to ${pending.subject} timed out after ${this.timeoutMs} ms`));
    }
  }
}

/** The stored sequence from a JetStream publish ack, or the error the ack carries. */
function publishAck(subject: string, reply: Msg): number {
  const ack = parseJson(reply) as { seq?: number; error?: { code: number; err_code: number; description: string } };
  if (ack.error) throw new JetStreamReplyError(ack.error.code, ack.error.err_code, ack.error.description);
  if (typeof ack.seq !== 'number') throw new Error(`unexpected JetStream ack from ${subject}: ${decoder.decode(reply.data)}`);
  return ack.seq;
}

function parseJson(msg: Msg): unknown {
  try {
    return JSON.parse(decoder.decode(msg.data));
  } catch {
    return {};
  }
}
