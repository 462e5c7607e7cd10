import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { playbook, receive, type Host } from 'durable-playbooks';
import { hostsClosedAfterEach, until } from '../helpers/hosts.js';
import { natsServerForFile } from '../helpers/nats-client.js';

const newHost = hostsClosedAfterEach();
const nats = natsServerForFile();
let namespaceCounter = 0;

/** A host on its own namespace and bucket, so tests do not see each other's agents. */
async function natsHost(playbooks: Parameters<Host['register']>): Promise<{ host: Host; ns: string }> {
  const ns = `inbox${++namespaceCounter}`;
  const host = await newHost({ durability: { storage: 'nats' }, nats: { servers: [nats.server.url], namespace: ns, bucket: `cp-${ns}` } });
  host.register(...playbooks);
  return { host, ns };
}

const Item = z.object({ sku: z.string(), qty: z.number().int().positive() });
const Collect = playbook('Collect', async (count: number) => {
  const items: z.infer<typeof Item>[] = [];
  for (let i = 0; i < count; i++) items.push(await receive('item', { schema: Item }));
  return items;
});

describe('agent inboxes on NATS', () => {
  it('delivers messages any NATS client publishes to playbooks.<ns>.agent.<id>.inbox', async () => {
    const { host, ns } = await natsHost([Collect]);
    const agent = await host.spawn(Collect, { id: 'collector', input: 3 });
    nats.client.publish(`playbooks.${ns}.agent.collector.inbox`, { type: 'item', payload: { sku: 'a', qty: 1 } });
    await nats.client.jsPublish(`playbooks.${ns}.agent.collector.inbox`, { type: 'item', payload: { sku: 'b', qty: 2 } });
    await agent.send('item', { sku: 'c', qty: 3 }); // through the same inbox
    expect(await agent.result()).toEqual([
      { sku: 'a', qty: 1 },
      { sku: 'b', qty: 2 },
      { sku: 'c', qty: 3 },
    ]);
    // Consumed messages are deleted from the stream once their checkpoint is stored.
    await until(async () => (await nats.client.streamMessages(`PLAYBOOKS_${ns}_INBOX`)) === 0, 5_000, 'the inbox stream to empty');
  });

  it('consumes a republished message with the same Nats-Msg-Id once', async () => {
    const { host, ns } = await natsHost([Collect]);
    const agent = await host.spawn(Collect, { id: 'dedup', input: 2 });
    const subject = `playbooks.${ns}.agent.dedup.inbox`;
    const first = await nats.client.jsPublish(subject, { type: 'item', payload: { sku: 'once', qty: 1 } }, 'order-1');
    const again = await nats.client.jsPublish(subject, { type: 'item', payload: { sku: 'once', qty: 1 } }, 'order-1');
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    await nats.client.jsPublish(subject, { type: 'item', payload: { sku: 'second', qty: 2 } }, 'order-2');
    expect(await agent.result()).toEqual([
      { sku: 'once', qty: 1 },
      { sku: 'second', qty: 2 },
    ]);
  });

  it('rejects bad messages with an event naming the problem; the agent waits on', async () => {
    const { host, ns } = await natsHost([Collect]);
    const agent = await host.spawn(Collect, { id: 'picky', input: 1 });
    const events = await nats.client.collect(`playbooks.${ns}.agent.picky.events`);
    const subject = `playbooks.${ns}.agent.picky.inbox`;
    nats.client.publish(subject, 'this is not json');
    nats.client.publish(subject, { payload: { sku: 'no type', qty: 1 } });
    nats.client.publish(subject, { type: 'item', payload: { sku: 'bad qty', qty: -1 } });
    await until(() => events.messages.filter((e) => e.type === 'message.rejected').length === 3, 5_000, 'three rejections');
    const reasons = events.messages.filter((e) => e.type === 'message.rejected').map((e) => e.reason as string);
    expect(reasons[0]).toMatch(/not JSON/);
    expect(reasons[1]).toMatch(/"type"/);
    expect(reasons[2]).toMatch(/does not match the schema of receive\("item"\)/);
    expect(agent.status().state).toBe('waiting');
    nats.client.publish(subject, { type: 'item', payload: { sku: 'good', qty: 1 } });
    expect(await agent.result()).toEqual([{ sku: 'good', qty: 1 }]);
    events.subscription.unsubscribe();
  });

  it('rejects a message to an agent that does not exist, with an event on its events subject', async () => {
    const { ns } = await natsHost([Collect]);
    const events = await nats.client.collect(`playbooks.${ns}.agent.ghost.events`);
    nats.client.publish(`playbooks.${ns}.agent.ghost.inbox`, { type: 'item', payload: {} });
    await until(() => events.messages.length > 0, 5_000, 'a rejection event');
    expect(events.messages[0]).toMatchObject({ type: 'message.rejected', agentId: 'ghost', reason: 'no agent "ghost"' });
    await until(async () => (await nats.client.streamMessages(`PLAYBOOKS_${ns}_INBOX`)) === 0, 5_000, 'the stray message to be dropped');
    events.subscription.unsubscribe();
  });

  it('publishes lifecycle events as JSON on playbooks.<ns>.agent.<id>.events', async () => {
    const { host, ns } = await natsHost([Collect]);
    const events = await nats.client.collect(`playbooks.${ns}.agent.watched.events`);
    const agent = await host.spawn(Collect, { id: 'watched', input: 1 });
    await until(() => events.messages.some((e) => e.type === 'waiting'), 5_000, 'a waiting event');
    await agent.send('item', { sku: 'x', qty: 1 });
    await agent.result();
    await until(() => events.messages.some((e) => e.type === 'completed'), 5_000, 'a completed event');
    const types = events.messages.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['checkpointed', 'spawned', 'waiting', 'completed']));
    expect(events.messages.find((e) => e.type === 'completed')).toMatchObject({
      agentId: 'watched',
      playbook: 'Collect',
      result: [{ sku: 'x', qty: 1 }],
    });
    events.subscription.unsubscribe();
  });
});
