import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { startNatsServer, type NatsServer } from './nats-server.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A plain NATS client, as a program in another language would use: raw subjects and JSON,
 * nothing from durable-playbooks.
 */
export class PlainClient implements AsyncDisposable {
  private constructor(readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<PlainClient> {
    return new PlainClient(await connect({ servers: url }));
  }

  /** Core publish to an agent's inbox. */
  publish(subject: string, body: string | object): void {
    this.nc.publish(subject, encoder.encode(typeof body === 'string' ? body : JSON.stringify(body)));
  }

  /** JetStream publish (stored before it resolves), optionally with a Nats-Msg-Id. */
  async jsPublish(subject: string, body: string | object, msgId?: string): Promise<{ seq: number; duplicate: boolean }> {
    const ack = await jetstream(this.nc).publish(subject, encoder.encode(typeof body === 'string' ? body : JSON.stringify(body)), msgId ? { msgID: msgId } : {});
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  async request(subject: string, body: string | object): Promise<Record<string, any>> {
    const reply = await this.nc.request(subject, encoder.encode(typeof body === 'string' ? body : JSON.stringify(body)), { timeout: 10_000 });
    return JSON.parse(decoder.decode(reply.data)) as Record<string, any>;
  }

  /** Collects JSON messages published on `subject` (subscribed once this resolves). */
  async collect(subject: string): Promise<{ messages: Record<string, any>[]; subscription: Subscription }> {
    const messages: Record<string, any>[] = [];
    const subscription = this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (!error) messages.push(JSON.parse(decoder.decode(msg.data)) as Record<string, any>);
      },
    });
    await this.nc.flush();
    return { messages, subscription };
  }

  async streamMessages(stream: string): Promise<number> {
    return (await (await jetstreamManager(this.nc)).streams.info(stream)).state.messages;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.nc.close();
  }
}

/**
 * One private nats-server and a plain client for a whole test file: started before its tests,
 * stopped after. Read `server` and `client` inside tests (they are set once the file starts).
 */
export function natsServerForFile(): { server: NatsServer; client: PlainClient } {
  const shared = {} as { server: NatsServer; client: PlainClient };
  beforeAll(async () => {
    shared.server = await startNatsServer();
    shared.client = await PlainClient.connect(shared.server.url);
  });
  afterAll(async () => {
    await shared.client?.[Symbol.asyncDispose]();
    await shared.server?.stop();
  });
  return shared;
}
