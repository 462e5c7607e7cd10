import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { errors, type NatsConnection } from '@nats-io/transport-node';
import { inboxStreamName, subjects } from '../messaging/subjects.js';
import type { Settings } from './config.js';
import { CliError, ExitCode } from './errors.js';
import { connectToNats } from './nats.js';

/*
 * A client of the NATS wire contract (README: "NATS: the wire contract"): control requests on
 * playbooks.<ns>.control.<verb> and JetStream publishes to agents' inboxes. It uses only
 * subjects and JSON, as any other NATS client would.
 */

export type ControlReply = { ok: true; [field: string]: unknown } | { ok: false; error: { code: string; message: string } };

const REQUEST_TIMEOUT_MS = 10_000;
/** Each live host asked again after a timeout. */
const RETRY_TIMEOUT_MS = 3_000;
/** Verbs that change nothing: safe to ask again of another host after a timeout. */
const READ_ONLY_VERBS = new Set(['status', 'list', 'ping']);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ControlClient implements AsyncDisposable {
  private constructor(
    private readonly nc: NatsConnection,
    readonly namespace: string,
  ) {}

  static async open(settings: Settings): Promise<ControlClient> {
    return new ControlClient(await connectToNats(settings, { forHost: false }), settings.config.nats.namespace);
  }

  /**
   * Sends a control request and returns the reply as is (ok:false replies included). The hosts
   * of a namespace serve requests in a queue group, where a paused host (SIGSTOP, a frozen VM)
   * still takes its share and never answers: a request that only reads (status, list, ping)
   * and times out is asked again of each host heard alive meanwhile, on its own subject.
   */
  async request(verb: string, body: Record<string, unknown>): Promise<ControlReply> {
    const payload = encoder.encode(JSON.stringify(body));
    const alive = READ_ONLY_VERBS.has(verb) ? this.hostsHeardAlive() : undefined; // only a read is asked again
    let data: Uint8Array;
    try {
      data = (await this.nc.request(subjects.control(this.namespace, verb), payload, { timeout: REQUEST_TIMEOUT_MS })).data;
    } catch (error) {
      if (error instanceof errors.RequestError && error.isNoResponders()) throw this.noHost();
      if (!isTimeout(error)) throw error;
      const answered = alive && (await this.askEach(alive.hosts, verb, payload));
      if (!answered) throw this.timedOut(verb);
      data = answered;
    } finally {
      alive?.stop();
    }
    try {
      return JSON.parse(decoder.decode(data)) as ControlReply;
    } catch {
      throw new CliError('BAD_REPLY', `the reply to ${verb} is not JSON: ${decoder.decode(data).slice(0, 200)}`, ExitCode.Failed);
    }
  }

  /**
   * Publishes `{ type, payload }` to an agent's inbox through JetStream and waits for the
   * stream's ack (the message is stored). `msgId` lets the stream drop a resend.
   */
  async sendToInbox(agentId: string, type: string, payload: unknown, msgId?: string): Promise<{ seq: number; duplicate: boolean; stream: string }> {
    const body = JSON.stringify(payload === undefined ? { type } : { type, payload });
    const options = msgId === undefined ? {} : { msgID: msgId };
    try {
      const ack = await jetstream(this.nc, { timeout: REQUEST_TIMEOUT_MS }).publish(subjects.inbox(this.namespace, agentId), encoder.encode(body), options);
      return { seq: ack.seq, duplicate: ack.duplicate, stream: ack.stream };
    } catch (error) {
      throw await this.explainPublishFailure(error);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.nc.close();
  }

  /** Listens to the namespace's heartbeats: the hosts heard from are alive (a paused host is silent). */
  private hostsHeardAlive(): { hosts: Set<string>; stop: () => void } {
    const hosts = new Set<string>();
    const subscription = this.nc.subscribe(subjects.heartbeat(this.namespace), {
      callback: (error, msg) => {
        if (error) return;
        try {
          const { hostId } = JSON.parse(decoder.decode(msg.data)) as { hostId?: unknown };
          if (typeof hostId === 'string') hosts.add(hostId);
        } catch {
          // not a heartbeat: ignored
        }
      },
    });
    return { hosts, stop: () => subscription.unsubscribe() };
  }

  /** Asks each host in turn on its own subject; the first reply, or undefined if none answers. */
  private async askEach(hosts: Set<string>, verb: string, payload: Uint8Array): Promise<Uint8Array | undefined> {
    for (const hostId of hosts) {
      try {
        return (await this.nc.request(subjects.hostControl(this.namespace, hostId, verb), payload, { timeout: RETRY_TIMEOUT_MS })).data;
      } catch {
        // that one did not answer either: the next
      }
    }
    return undefined;
  }

  private timedOut(verb: string): CliError {
    const hint = READ_ONLY_VERBS.has(verb)
      ? 'the hosts may be overloaded or stuck: look at their logs'
      : `the hosts may be overloaded, stuck or paused (a paused host still takes its share of requests): look at their logs, or ask a live host on its own subject, playbooks.${this.namespace}.host.<hostId>.control.${verb}`;
    return new CliError('TIMEOUT', `no host of namespace "${this.namespace}" replied to ${verb} within ${REQUEST_TIMEOUT_MS / 1000} s`, ExitCode.Failed, hint);
  }

  private noHost(): CliError {
    return new CliError('NO_HOST', `no host is serving namespace ${this.namespace}`, ExitCode.Failed, `start one ("playbooks dev"), or check --namespace and --nats`);
  }

  /** A publish nobody stored: usually no host ever created the namespace's inbox stream. */
  private async explainPublishFailure(error: unknown): Promise<unknown> {
    const stream = inboxStreamName(this.namespace);
    try {
      await (await jetstreamManager(this.nc)).streams.info(stream);
    } catch (infoError) {
      const name = (infoError as Error).name;
      if (name === 'StreamNotFoundError') {
        return new CliError('NO_INBOX_STREAM', `no inbox stream ${stream}: no host has started in namespace "${this.namespace}"`, ExitCode.Failed, 'start a host ("playbooks dev") first, or check --namespace');
      }
      if (name === 'JetStreamNotEnabled' || name === 'JetStreamNotEnabledError') {
        return new CliError('NO_JETSTREAM', 'JetStream is not enabled on this NATS server', ExitCode.Failed, 'start nats-server with -js');
      }
    }
    return error;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof errors.TimeoutError || (error instanceof errors.RequestError && error.cause instanceof errors.TimeoutError);
}
