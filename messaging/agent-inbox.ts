import { z } from 'zod';
import { ensureError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ALWAYS_OPEN, type ActGate } from '../actors/act-gate.js';

/** One agent's inbox on the message transport (a JetStream stream on NATS). */
export interface InboxChannel {
  /** The next message on the agent's inbox after stream sequence `afterSeq`, or null at the end. */
  next(afterSeq: number): Promise<RawInboxMessage | null>;
  /** These messages are in a stored checkpoint: the transport may delete them. */
  acknowledge(seqs: number[]): void;
  /** Publishes a message to this agent's inbox; resolves once the transport stored it. */
  publish(type: string, payload: unknown, msgId?: string): Promise<void>;
}

export interface RawInboxMessage {
  /** Stream sequence. */
  seq: number;
  data: Uint8Array;
  /** The `Nats-Msg-Id` header, if any. */
  msgId?: string;
}

export interface InboxMessageBody {
  type: string;
  payload: unknown;
  msgId?: string;
}

/** What the agent does with what its inbox yields. */
export interface InboxSink {
  readonly logger: Logger;
  isHalted: boolean;
  accept(message: InboxMessageBody): void;
  reject(reason: string, messageType: string | undefined): void;
}

/** The wire format of an inbox message: `{ "type": "...", "payload": ... }`. */
const inboxMessageSchema = z.object({
  type: z.string().min(1, 'a message needs a non-empty "type"'),
  payload: z.unknown().optional(),
});

export function parseInboxMessage(data: Uint8Array): { ok: true; type: string; payload: unknown } | { ok: false; reason: string; type?: string } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch (error) {
    return { ok: false, reason: `message is not JSON: ${ensureError(error).message}` };
  }
  const parsed = inboxMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `"${issue.path.join('.')}": ` : '';
    return { ok: false, reason: `message must be {"type": string, "payload"?: any}: ${where}${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, type: parsed.data.type, payload: parsed.data.payload };
}

// After a wake-up finds nothing (the notification can arrive before the stream has stored
// the message), look again after these delays.
const RECHECK_DELAYS_MS = [20, 200, 1_000];

/**
 * Takes an agent's messages from the transport into its journal's inbox, in order, by cursor:
 * the stream sequence of the last message taken is part of the checkpoint, so a message is
 * taken once, and is acknowledged (deleted from the stream) only after a checkpoint holding
 * it is stored. No consumer per agent is needed on the server.
 */
export class AgentInbox {
  private cursor: number;
  private taken: number[] = [];
  /** Cursors of the last `keepLastN` stored checkpoints, oldest first. */
  private readonly storedCursors: number[] = [];
  private pulling: Promise<number> | undefined;
  private pullAgain = false;

  constructor(
    readonly channel: InboxChannel,
    cursor: number,
    private readonly sink: InboxSink,
    private readonly gate: ActGate = ALWAYS_OPEN,
    /** Checkpoints the store keeps per agent (`keep_last_n`). */
    private readonly keepLastN = 10,
  ) {
    this.cursor = cursor;
  }

  /** Stream sequence of the last message taken into the agent. */
  get position(): number {
    return this.cursor;
  }

  /** A message may be waiting: take everything new, and look again shortly if nothing was there yet. */
  wake(): void {
    void this.pull().then(async (found) => {
      for (const delayMs of RECHECK_DELAYS_MS) {
        if (found > 0 || this.sink.isHalted) return;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        found = await this.pull();
      }
    });
  }

  /** Takes every message after the cursor; resolves to how many it found. */
  pull(): Promise<number> {
    if (this.pulling) {
      this.pullAgain = true;
      return this.pulling;
    }
    this.pulling = this.drain().finally(() => (this.pulling = undefined));
    return this.pulling;
  }

  /**
   * A checkpoint with `cursor` is stored. A supervisor may restart the agent from any of its
   * kept checkpoints, which reads the inbox again from that checkpoint's cursor; so a message
   * is deleted from the stream only once even the oldest kept checkpoint is past it.
   */
  stored(cursor: number): void {
    this.storedCursors.push(cursor);
    if (this.storedCursors.length > this.keepLastN) this.storedCursors.shift();
    if (this.storedCursors.length < this.keepLastN) return;
    this.acknowledgeUpTo(this.storedCursors[0]!);
  }

  /** The agent finished: every message it took may go. */
  finished(): void {
    this.acknowledgeUpTo(this.cursor);
  }

  private acknowledgeUpTo(cursor: number): void {
    const done = this.taken.filter((seq) => seq <= cursor);
    if (done.length === 0) return;
    this.taken = this.taken.filter((seq) => seq > cursor);
    this.channel.acknowledge(done);
  }

  private async drain(): Promise<number> {
    let found = 0;
    try {
      do {
        this.pullAgain = false;
        for (;;) {
          if (!this.gate.isValid) await this.gate.whenValid();
          if (this.sink.isHalted) return found;
          const raw = await this.channel.next(this.cursor);
          if (!raw || raw.seq <= this.cursor || this.sink.isHalted) break;
          this.cursor = raw.seq;
          this.taken.push(raw.seq);
          found++;
          const parsed = parseInboxMessage(raw.data);
          if (parsed.ok) {
            this.sink.accept({ type: parsed.type, payload: parsed.payload, ...(raw.msgId ? { msgId: raw.msgId } : {}) });
          } else {
            this.sink.reject(parsed.reason, parsed.type);
          }
        }
      } while (this.pullAgain);
    } catch (error) {
      // The transport is unreachable: the next wake-up (or reconnect) pulls again.
      this.sink.logger.warn({ err: ensureError(error) }, 'could not read the inbox; will retry');
    }
    return found;
  }
}
