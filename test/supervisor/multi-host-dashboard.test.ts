import { describe, expect, it } from 'vitest';
import { playbook, receive, type Host } from 'durable-playbooks';
import { natsServerForFile, PlainClient } from '../helpers/nats-client.js';
import { hostsClosedAfterEach, until } from '../helpers/hosts.js';
import { startNatsServer } from '../helpers/nats-server.js';

const newHost = hostsClosedAfterEach();
const shared = natsServerForFile();

const Idle = playbook('Idle', async () => receive('never'));

async function hostNamed(hostId: string): Promise<{ host: Host; url: string }> {
  const host = await newHost({
    hostId,
    durability: { storage: 'nats' },
    nats: { servers: [shared.server.url], namespace: 'fleet', bucket: 'cp-fleet' },
    dashboard: { port: 0 },
    playbooks: [Idle],
  });
  const services = await host.start({ heartbeatIntervalMs: 100 });
  return { host, url: services.dashboard!.url };
}

describe('several hosts in one namespace', () => {
  it("each host's dashboard shows every host and their agents (heartbeats over NATS)", async () => {
    const a = await hostNamed('host-a');
    const b = await hostNamed('host-b');
    await a.host.spawn(Idle, { id: 'on-a' });
    await b.host.spawn(Idle, { id: 'on-b' });
    const overview = async (url: string) => (await (await fetch(new URL('/api/overview', url))).json()) as { hosts: { hostId: string; self: boolean; agents: number }[] };
    await until(async () => (await overview(a.url)).hosts.length === 2 && (await overview(a.url)).hosts[1]?.agents === 1, 5_000, 'host-a to hear host-b');
    expect((await overview(a.url)).hosts.map((h) => [h.hostId, h.self, h.agents])).toEqual([
      ['host-a', true, 1],
      ['host-b', false, 1],
    ]);
    const agents = (await (await fetch(new URL('/api/agents', a.url))).json()) as { agents: { agentId: string; host: string }[] };
    expect(agents.agents.map((x) => [x.agentId, x.host]).sort()).toEqual([
      ['on-a', 'host-a'],
      ['on-b', 'host-b'],
    ]);
    await until(async () => (await overview(b.url)).hosts.some((h) => h.hostId === 'host-a'), 5_000, 'host-b to hear host-a');
  });
});

describe('heartbeats on a server with a small max payload', () => {
  it('list as many agents as fit, and keep the count exact: the host is not taken for gone', async () => {
    await using nats = await startNatsServer({ maxPayload: 16 * 1024 });
    await using client = await PlainClient.connect(nats.url);
    const host = await newHost({
      hostId: 'host-many',
      durability: { storage: 'nats' },
      nats: { servers: [nats.url], namespace: 'small', bucket: 'cp-small' },
      dashboard: { enabled: false },
      playbooks: [Idle],
    });
    try {
      await Promise.all(Array.from({ length: 300 }, (_, n) => host.spawn(Idle, { id: `idle-agent-number-${n}` })));
      const { messages } = await client.collect('playbooks.small.hosts.heartbeat');
      await host.start({ heartbeatIntervalMs: 100 });
      await until(() => messages.length > 0, 5_000, 'a heartbeat');
      const [beat] = messages;
      expect(beat).toMatchObject({ hostId: 'host-many', agentCount: 300 });
      expect(beat!.agents.length).toBeGreaterThan(0);
      expect(beat!.agents.length).toBeLessThan(300); // 300 do not fit in 16 KiB
    } finally {
      await host.close(); // before its server goes
    }
  });
});

describe('readiness with NATS', () => {
  it('/readyz reports NATS and the store down while the server is away, and ready when it is back', async () => {
    await using nats = await startNatsServer();
    const host = await newHost({
      durability: { storage: 'nats' },
      nats: { servers: [nats.url], namespace: 'ready', bucket: 'cp-ready' },
      dashboard: { port: 0 },
    });
    const url = (await host.start()).dashboard!.url;
    const ready = async () => {
      const response = await fetch(new URL('/readyz', url));
      return { status: response.status, body: (await response.json()) as { checks: Record<string, { ok: boolean }> } };
    };
    expect((await ready()).status).toBe(200);
    await nats.kill('SIGKILL');
    await until(async () => (await ready()).status === 503, 10_000, '/readyz to fail');
    expect((await ready()).body.checks.nats?.ok).toBe(false);
    await nats.restart();
    await until(async () => (await ready()).status === 200, 15_000, '/readyz to recover');
  });
});
