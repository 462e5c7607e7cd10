import { describe, expect, it, vi } from 'vitest';
import { playbook, receive, step, type Host } from 'durable-playbooks';
import { hostsClosedAfterEach, until } from '../helpers/hosts.js';
import { natsServerForFile, PlainClient } from '../helpers/nats-client.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { allPages } from '../../cli/control-command.js';

const newHost = hostsClosedAfterEach();
const nats = natsServerForFile();
let counter = 0;

const Greet = step('Greet', async (name: string) => `hello ${name}`);
const Greeter = playbook('Greeter', async (input: { name: string }) => {
  const greeting = await Greet(input.name);
  const reply = await receive<{ text: string }>('reply');
  return { greeting, reply: reply.text };
});

async function hostOn(ns: string, hostId?: string): Promise<Host> {
  return newHost({
    durability: { storage: 'nats' },
    nats: { servers: [nats.server.url], namespace: ns, bucket: `cp-${ns}` },
    playbooks: [Greeter],
    ...(hostId ? { hostId } : {}),
  });
}

describe('control API over NATS', () => {
  it('drives an agent with only a plain NATS client: spawn, inbox, status, list', async () => {
    const ns = `ctl${++counter}`;
    await hostOn(ns);
    const control = (verb: string, body: object | string) => nats.client.request(`playbooks.${ns}.control.${verb}`, body);

    const spawned = await control('spawn', { playbook: 'Greeter', agentId: 'g1', input: { name: 'ada' } });
    expect(spawned).toEqual({ ok: true, agentId: 'g1', state: expect.stringMatching(/running|waiting/) });
    await until(async () => (await control('status', { agentId: 'g1' })).state === 'waiting', 5_000, 'g1 to wait');
    await nats.client.jsPublish(`playbooks.${ns}.agent.g1.inbox`, { type: 'reply', payload: { text: 'hi' } });
    await until(async () => (await control('status', { agentId: 'g1' })).state === 'completed', 5_000, 'g1 to complete');
    const status = await control('status', { agentId: 'g1' });
    expect(status).toMatchObject({ ok: true, agentId: 'g1', state: 'completed', playbook: 'Greeter', result: { greeting: 'hello ada', reply: 'hi' } });

    const listed = await control('list', {});
    expect(listed).toMatchObject({ ok: true, agents: [{ agentId: 'g1', state: 'completed', playbook: 'Greeter' }] });
  });

  it('stops and resumes an agent', async () => {
    const ns = `ctl${++counter}`;
    const host = await hostOn(ns);
    const control = (verb: string, body: object) => nats.client.request(`playbooks.${ns}.control.${verb}`, body);
    await control('spawn', { playbook: 'Greeter', agentId: 'g2', input: { name: 'bob' } });
    await until(() => host.get('g2')?.status().state === 'waiting', 5_000, 'g2 to wait');
    expect(await control('stop', { agentId: 'g2' })).toEqual({ ok: true, agentId: 'g2', state: 'stopped' });
    expect((await control('status', { agentId: 'g2' })).state).toBe('stopped');
    const resumed = await control('resume', { agentId: 'g2' });
    expect(resumed).toEqual({ ok: true, agentId: 'g2', state: 'waiting' }); // back where it was: in its receive
    await nats.client.jsPublish(`playbooks.${ns}.agent.g2.inbox`, { type: 'reply', payload: { text: 'back' } });
    expect(await host.get('g2')!.result()).toEqual({ greeting: 'hello bob', reply: 'back' });
  });

  it('retries a failed agent from its last good checkpoint, and recovers one from an older checkpoint', async () => {
    const ns = `ctl${++counter}`;
    const host = await hostOn(ns);
    let calls = 0;
    const Fragile = playbook('Fragile', async () => {
      const greeting = await Greet('fay');
      await step('Wobbly', async () => {
        if (++calls === 1) throw new Error('wobbled');
      }, { retry: { maxAttempts: 1 } })();
      return greeting;
    });
    host.register(Fragile);
    const control = (verb: string, body: object) => nats.client.request(`playbooks.${ns}.control.${verb}`, body);
    const agent = await host.spawn(Fragile, { id: 'fragile', restart: 'temporary' });
    await expect(agent.result()).rejects.toThrow('wobbled');
    expect(await control('retry', { agentId: 'fragile' })).toMatchObject({ ok: true, agentId: 'fragile', fromSeq: 2 });
    expect(await host.get('fragile')!.result()).toBe('hello fay');
    expect(await control('retry', { agentId: 'fragile' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });

    await host.spawn(Greeter, { id: 'g3', input: { name: 'gus' } });
    await until(() => host.get('g3')?.status().state === 'waiting', 5_000, 'g3 to wait');
    expect(await control('recover', { agentId: 'g3', fromSeq: 2 })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } }); // running
    await control('stop', { agentId: 'g3' });
    expect(await control('recover', { agentId: 'g3', fromSeq: 2 })).toMatchObject({ ok: true, fromSeq: 2 });
    expect(await control('recover', { agentId: 'g3' })).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
  });

  it('answers malformed requests with a clear error and changes nothing', async () => {
    const ns = `ctl${++counter}`;
    const host = await hostOn(ns);
    const raw = (verb: string, body: object | string) => nats.client.request(`playbooks.${ns}.control.${verb}`, body);
    const cases: [string, object | string, string, RegExp][] = [
      ['spawn', '{not json', 'VALIDATION', /spawn request is not JSON/],
      ['spawn', { agentId: 'x' }, 'VALIDATION', /invalid spawn request: "playbook"/],
      ['spawn', { playbook: 'Greeter', agent_id: 'x' }, 'VALIDATION', /unrecognized key.*agent_id/i],
      ['spawn', { playbook: 'NoSuchPlaybook' }, 'UNKNOWN_PLAYBOOK', /no playbook named "NoSuchPlaybook"/],
      ['spawn', { playbook: 'Greeter', agentId: 'bad id!' }, 'VALIDATION', /agent id "bad id!" is invalid/],
      ['status', {}, 'VALIDATION', /invalid status request: "agentId"/],
      ['status', { agentId: 'nobody' }, 'AGENT_NOT_FOUND', /no agent "nobody"/],
      ['stop', { agentId: 'nobody' }, 'AGENT_NOT_FOUND', /no agent "nobody"/],
      ['resume', { agentId: 'nobody' }, 'NOT_RECOVERABLE', /has no checkpoint/],
      ['explode', {}, 'VALIDATION', /unknown control verb "explode"/],
    ];
    for (const [verb, body, code, message] of cases) {
      const reply = await raw(verb, body);
      expect(reply, `${verb} ${JSON.stringify(body)}`).toMatchObject({ ok: false, error: { code } });
      expect(reply.error.message).toMatch(message);
    }
    expect(host.list()).toEqual([]);
    expect((await raw('list', {})).agents).toEqual([]);
  });
});

describe('two hosts, one agent', () => {
  it('spawning the same id on two hosts runs it exactly once', async () => {
    const ns = `ctl${++counter}`;
    const [a, b] = [await hostOn(ns, 'host-a'), await hostOn(ns, 'host-b')];
    let greetings = 0;
    const Once = playbook('Once', async () => {
      await step('CountedGreet', async () => ++greetings)();
      return receive<string>('go');
    });
    a.register(Once);
    b.register(Once);
    const results = await Promise.allSettled([a.spawn(Once, { id: 'solo' }), b.spawn(Once, { id: 'solo' })]);
    const running = [a, b].filter((h) => h.isRunning('solo'));
    expect(running).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected');
    expect(loser && (loser.reason as { code: string }).code).toBe('AGENT_EXISTS');
    await until(() => running[0]!.get('solo')!.status().state === 'waiting', 5_000, 'solo to wait');
    expect(greetings).toBe(1);
  });

  it('recovering the same agent on two hosts resumes it on exactly one', async () => {
    const ns = `ctl${++counter}`;
    const first = await hostOn(ns, 'first');
    await first.spawn(Greeter, { id: 'orphan', input: { name: 'eve' } });
    await until(async () => (await first.checkpoints!.getLatestCheckpoint('orphan'))?.status === 'waiting', 5_000, 'orphan to wait');
    await first.close();
    const [a, b] = [await hostOn(ns, 'a'), await hostOn(ns, 'b')];
    const [ra, rb] = await Promise.all([a.recover(), b.recover()]);
    expect(ra.resumed.length + rb.resumed.length).toBe(1);
    const [skipped] = [...ra.skipped, ...rb.skipped];
    expect(skipped?.agentId).toBe('orphan');
    expect(skipped?.reason).toMatch(/another host resumed it first|it runs on host "(a|b)"/);
    const owner = ra.resumed.length ? a : b;
    await nats.client.jsPublish(`playbooks.${ns}.agent.orphan.inbox`, { type: 'reply', payload: { text: 'found' } });
    expect(await owner.get('orphan')!.result()).toEqual({ greeting: 'hello eve', reply: 'found' });
  });
});

describe('list, page by page', () => {
  const Quick = playbook('Quick', async (n: number) => n);

  it('pages through the agents in id order: limit, after, next, with or without a state', async () => {
    const ns = `ctl${++counter}`;
    const host = await hostOn(ns);
    host.register(Quick);
    const control = (verb: string, body: object) => nats.client.request(`playbooks.${ns}.control.${verb}`, body);
    const ids = Array.from({ length: 25 }, (_, i) => `q${String(i).padStart(2, '0')}`);
    for (const id of ids) await (await host.spawn(Quick, { id, input: 1 })).result();
    await host.spawn(Greeter, { id: 'q07w', input: { name: 'wes' } }); // one that waits, among them
    await until(() => host.get('q07w')?.status().state === 'waiting', 5_000, 'q07w to wait');

    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const page = await control('list', { limit: 10, ...(after === undefined ? {} : { after }) });
      expect(page.ok).toBe(true);
      pages.push(page.agents.map((a: { agentId: string }) => a.agentId));
      after = page.next;
    } while (after !== undefined);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 6]);
    expect(pages.flat()).toEqual([...ids.slice(0, 8), 'q07w', ...ids.slice(8)]);
    // What `playbooks ls` does: every page, as one list.
    const all = await allPages((body) => control('list', body), { limit: 10 }, 'agents');
    expect(all!.agents).toEqual(pages.flat().map((agentId) => expect.objectContaining({ agentId })));

    const waiting = await control('list', { state: 'waiting', limit: 1 });
    expect(waiting.agents).toEqual([expect.objectContaining({ agentId: 'q07w', state: 'waiting', playbook: 'Greeter' })]);
    expect(waiting.next).toBe('q07w'); // agents after it were not looked at yet
    expect(await control('list', { state: 'waiting', after: 'q07w' })).toEqual({ ok: true, agents: [] });
    expect((await control('list', { state: 'completed', after: 'q20' })).agents.map((a: { agentId: string }) => a.agentId)).toEqual(['q21', 'q22', 'q23', 'q24']);

    for (const bad of [{ limit: 0 }, { limit: 5_001 }, { limit: 2.5 }, { limit: '10' }, { after: '' }]) {
      const reply = await control('list', bad);
      expect(reply, JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      expect(reply.error.message).toMatch(/invalid list request: "(limit|after)"/);
    }
  });

  it("reads the store's keys once for a listing, not once per page; a first page lists afresh", async () => {
    const ns = `ctl${++counter}`;
    const host = await hostOn(ns, 'runs-them');
    host.register(Quick);
    const lister = await hostOn(ns, 'lists-them'); // remembers none of them: it reads the store
    const control = (verb: string, body: object) => nats.client.request(`playbooks.${ns}.host.lists-them.control.${verb}`, body);
    const ids = Array.from({ length: 26 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    for (const id of ids) await (await host.spawn(Quick, { id, input: 1 })).result();
    const keyListings = vi.spyOn(lister.store!, 'listAgents');

    const first = await control('list', { limit: 10 });
    await host.store!.delete('k15'); // gone between two pages: left out, not listed as failed
    const rest = await allPages((body) => control('list', body), { limit: 10, after: first.next }, 'agents');
    const listed = [...first.agents, ...(rest!.agents as { agentId: string }[])].map((a: { agentId: string }) => a.agentId);
    expect(listed).toEqual(ids.filter((id) => id !== 'k15'));
    expect(keyListings).toHaveBeenCalledTimes(1);

    await (await host.spawn(Quick, { id: 'k99', input: 1 })).result();
    const afresh = await control('list', { limit: 100 });
    expect(afresh.agents.map((a: { agentId: string }) => a.agentId)).toContain('k99');
    expect(keyListings).toHaveBeenCalledTimes(2);
  });

  it('a page filtered by state looks at 2,000 agents at most: it may come back empty, with a next', async () => {
    const ns = `ctl${++counter}`;
    const host = await hostOn(ns);
    host.register(Quick);
    const control = (verb: string, body: object) => nats.client.request(`playbooks.${ns}.control.${verb}`, body);
    for (let n = 0; n < 2_100; n += 300) {
      const batch = await Promise.all(Array.from({ length: 300 }, (_, i) => host.spawn(Quick, { id: `done-${String(n + i).padStart(4, '0')}`, input: n + i })));
      await Promise.all(batch.map((agent) => agent.result()));
    }
    await host.spawn(Greeter, { id: 'waits-last', input: { name: 'wil' } });
    await until(() => host.get('waits-last')?.status().state === 'waiting', 5_000, 'waits-last to wait');

    const first = await control('list', { state: 'waiting' });
    expect(first).toEqual({ ok: true, agents: [], next: 'done-1999' });
    const second = await control('list', { state: 'waiting', after: first.next });
    expect(second).toEqual({ ok: true, agents: [expect.objectContaining({ agentId: 'waits-last', state: 'waiting' })] });
    expect((await allPages((body) => control('list', body), { state: 'waiting' }, 'agents'))!.agents).toEqual(second.agents);
  }, 60_000);

  it('answers a reply too large for the server with an error that says what to do, and keeps serving', async () => {
    await using server = await startNatsServer({ maxPayload: 8 * 1024 });
    await using client = await PlainClient.connect(server.url);
    const ns = `ctl${++counter}`;
    const host = await newHost({
      durability: { storage: 'nats' },
      nats: { servers: [server.url], namespace: ns, bucket: `cp-${ns}` },
      playbooks: [Quick],
    });
    try {
      for (let i = 0; i < 150; i++) await (await host.spawn(Quick, { id: `big-list-agent-${i}`, input: i })).result();
      const tooLarge = await client.request(`playbooks.${ns}.control.list`, {});
      expect(tooLarge).toMatchObject({ ok: false, error: { code: 'REPLY_TOO_LARGE' } });
      expect(tooLarge.error.message).toMatch(/exceeds the server's max payload \(8192 bytes\).*"limit"/);
      const page = await client.request(`playbooks.${ns}.control.list`, { limit: 20 });
      expect(page.agents).toHaveLength(20);
      expect(await client.request(`playbooks.${ns}.control.status`, { agentId: 'big-list-agent-7' })).toMatchObject({ ok: true, state: 'completed', result: 7 });
    } finally {
      await host.close(); // before its server goes
    }
  });
});
