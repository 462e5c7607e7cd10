import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { beforeEachFrame, textPublisher } from '../../messaging/frame-writer.js';
import { startNatsServer } from '../helpers/nats-server.js';

const decoder = new TextDecoder();

/** Runs `test` with a connection to a nats-server of its own; both are closed after. */
async function withConnection(test: (nc: NatsConnection) => Promise<void>): Promise<void> {
  await using server = await startNatsServer();
  const nc = await connect({ servers: server.url });
  try {
    await test(nc);
  } finally {
    await nc.close();
  }
}

describe('text publisher (one protocol frame per message)', () => {
  it('delivers what the client would: payload, reply subject, headers, UTF-8 lengths, and counts it', async () => {
    await withConnection(async (nc) => {
      const received: Msg[] = [];
      const subscription = nc.subscribe('frames.>', { callback: (_error, msg) => void received.push(msg) });
      const publish = textPublisher(nc);
      expect(publish.direct).toBe(true); // the client's internals are the ones it was written for
      const before = nc.stats().outMsgs;

      publish('frames.plain', '{"type":"checkpointed","seq":1}');
      publish('frames.reply', 'with a reply', 'frames-inbox.42');
      publish('frames.utf8', 'durable ✓ — ünïcödé 🎉', undefined, 'NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: 7\r\n\r\n');
      publish('frames.empty', '');
      await nc.flush();
      await new Promise((resolve) => setTimeout(resolve, 50));
      subscription.unsubscribe();

      expect(received.map((m) => [m.subject, decoder.decode(m.data), m.reply ?? ''])).toEqual([
        ['frames.plain', '{"type":"checkpointed","seq":1}', ''],
        ['frames.reply', 'with a reply', 'frames-inbox.42'],
        ['frames.utf8', 'durable ✓ — ünïcödé 🎉', ''],
        ['frames.empty', '', ''],
      ]);
      expect(received[2]!.headers?.get('Nats-Expected-Last-Subject-Sequence')).toBe('7');
      expect(nc.stats().outMsgs - before).toBe(4);
    });
  });

  it('sizes frames whose UTF-8 length has more digits than their text length, and keeps frames intact across buffers', async () => {
    await withConnection(async (nc) => {
      const received: string[] = [];
      const subscription = nc.subscribe('sized.>', { callback: (_error, msg) => void received.push(decoder.decode(msg.data)) });
      const publish = textPublisher(nc);
      // 9 characters, 27 bytes: the size field needs 2 digits, not the 1 its length suggests.
      const sent = ['ü✓ü✓ü✓ü✓ü'.slice(0, 9), '€€€€€€€€€'];
      // Then more than one 64 KiB buffer's worth, each frame different, to cross into the next.
      for (let i = 0; i < 300; i++) sent.push(`${i}:${'abcdefghij'.repeat(30 + (i % 7))}${i % 3 === 0 ? ' ✓' : ''}`);
      for (const [i, text] of sent.entries()) publish(`sized.${i}`, text, undefined, i % 2 ? 'NATS/1.0\r\nX-Frame: yes\r\n\r\n' : undefined);
      await nc.flush();
      await new Promise((resolve) => setTimeout(resolve, 100));
      subscription.unsubscribe();
      expect(received).toEqual(sent);
    });
  });

  it("hands a turn's frames to the client as one command, in the order written, from every publisher of the connection", async () => {
    await withConnection(async (nc) => {
      const received: string[] = [];
      const subscription = nc.subscribe('turn.>', { callback: (_error, msg) => void received.push(msg.subject) });
      await nc.flush();
      // The client's internals, as the frame writer uses them: count what reaches its queue.
      const protocol = (nc as unknown as { protocol: { sendCommand: (...args: unknown[]) => void } }).protocol;
      const commands: unknown[][] = [];
      const sendCommand = protocol.sendCommand.bind(protocol);
      protocol.sendCommand = (...args: unknown[]) => {
        commands.push(args);
        sendCommand(...args);
      };
      const checkpoints = textPublisher(nc);
      const events = textPublisher(nc);
      const written: string[] = [];
      for (let i = 0; i < 6; i++) {
        const subject = `turn.${i % 2 ? 'event' : 'checkpoint'}.${i}`;
        (i % 2 ? events : checkpoints)(subject, `{"n":${i}}`);
        written.push(subject);
      }
      expect(commands).toHaveLength(0); // not yet: at the end of the turn
      await Promise.resolve();
      expect(commands).toHaveLength(1);
      await nc.flush();
      await new Promise((resolve) => setTimeout(resolve, 50));
      subscription.unsubscribe();
      expect(received).toEqual(written);
    });
  });

  it('raises the client errors: a payload over the max, a closed connection', async () => {
    await using server = await startNatsServer();
    const nc = await connect({ servers: server.url });
    const publish = textPublisher(nc);
    const maxPayload = nc.info!.max_payload;
    expect(() => publish('frames.big', 'x'.repeat(maxPayload + 1))).toThrow(/max_payload/);
    await nc.close();
    expect(() => publish('frames.closed', 'late')).toThrow(/closed/i);
  });

  it('runs the hooks of the connection before each frame, so what waits joins it (and stops when asked)', async () => {
    await withConnection(async (nc) => {
      const received: string[] = [];
      const subscription = nc.subscribe('hooked.>', { callback: (_error, msg) => void received.push(msg.subject) });
      const publish = textPublisher(nc);
      const waiting = ['hooked.event-1', 'hooked.event-2'];
      const stop = beforeEachFrame(nc, () => {
        for (const subject of waiting.splice(0)) publish(subject, '{}'); // re-enters the hook: nothing left
    });
    publish('hooked.checkpoint-1', '{}');
    stop();
    waiting.push('hooked.event-3');
    publish('hooked.checkpoint-2', '{}');
    await nc.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    subscription.unsubscribe();
    expect(received).toEqual(['hooked.event-1', 'hooked.event-2', 'hooked.checkpoint-1', 'hooked.checkpoint-2']);
    expect(waiting).toEqual(['hooked.event-3']);
    });
  });
});
