import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/hosts.js';
import { startHostProcess, type HostProcess } from '../helpers/host-process.js';
import { PlainClient } from '../helpers/nats-client.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { tempDir } from '../helpers/temp-dir.js';

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

interface Effect {
  host: string;
  key: string;
  at: number;
}

async function effects(log: string): Promise<Effect[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [host, key, at] = line.split(' ');
      return { host: host!, key: key!, at: Number(at) };
    });
}

type Agents = { agentId: string; state: string; host?: string }[];

describe('several hosts share the agents', () => {
  it('SIGKILL one of three hosts running 300 agents: the others finish them, checkpointed steps ran once', async () => {
    await using dir = await tempDir();
    const log = join(dir.path, 'effects.log');
    const ns = 'fleet';
    const hosts: HostProcess[] = [];
    try {
      for (const id of ['a', 'b', 'c']) hosts.push(await startHostProcess({ urls: server.url, namespace: ns, hostId: `host-${id}`, effectsLog: log, leaseSeconds: 2 }));
      await using client = await PlainClient.connect(server.url);
      const control = (verb: string, body: object) => client.request(`playbooks.${ns}.control.${verb}`, body);
      await new Promise((resolve) => setTimeout(resolve, 800)); // heartbeats: placement sees every host

      const count = 300;
      for (let n = 0; n < count; n++) {
        const reply = await control('spawn', { playbook: 'Worker', agentId: `w-${n}`, input: { n, rounds: 20, pauseMs: 200 } });
        expect(reply.ok, JSON.stringify(reply)).toBe(true);
      }
      const placed = ((await control('list', {})).agents as Agents).filter((a) => a.state !== 'completed');
      const perHost = (id: string) => placed.filter((a) => a.host === id).length;
      expect(perHost('host-a') + perHost('host-b') + perHost('host-c')).toBe(placed.length);
      expect(Math.min(perHost('host-a'), perHost('host-b'), perHost('host-c'))).toBeGreaterThan(30); // least-loaded placement spreads them

      const killedAt = Date.now();
      hosts[1]!.kill('SIGKILL');
      await hosts[1]!.exited;
      // Its unfinished agents, as their checkpoints say right after the kill.
      const victims = ((await control('list', {})).agents as Agents)
        .filter((a) => a.host === 'host-b' && a.state !== 'completed')
        .map((a) => a.agentId);
      expect(victims.length).toBeGreaterThan(30);

      let takeoverMs: number | undefined;
      await until(async () => {
        const agents = (await control('list', {})).agents as Agents;
        if (takeoverMs === undefined && victims.every((id) => agents.find((a) => a.agentId === id)?.host !== 'host-b')) {
          takeoverMs = Date.now() - killedAt;
        }
        return agents.length === count && agents.every((a) => a.state === 'completed');
      }, 90_000, 'every agent to complete');
      // The figure the issue asks for: how long the other hosts took to take the dead one's agents over.
      console.log(`failover: ${victims.length} agents of the SIGKILLed host taken over ${takeoverMs} ms after the kill (lease 2 s)`);
      expect(takeoverMs).toBeDefined();

      for (let n = 0; n < count; n++) {
        expect((await control('status', { agentId: `w-${n}` })).result).toBe(20 * n + 190);
      }
      // Every checkpointed step ran once; a step that ran twice was in flight on the killed host.
      const byKey = new Map<string, Effect[]>();
      for (const effect of await effects(log)) byKey.set(effect.key, [...(byKey.get(effect.key) ?? []), effect]);
      expect(byKey.size).toBe(count * 20);
      const twice = [...byKey.values()].filter((runs) => runs.length > 1);
      for (const runs of twice) {
        expect(runs).toHaveLength(2);
        expect(runs[0]!.host).toBe('host-b');
        expect(runs[0]!.at).toBeLessThanOrEqual(killedAt);
      }
      expect(twice.length).toBeLessThanOrEqual(victims.length);
      const survivors = hosts.filter((_, i) => i !== 1);
      expect(survivors.flatMap((h) => h.events('restarted')).sort()).toEqual([...victims].sort());
    } finally {
      for (const host of hosts) host.kill('SIGKILL');
    }
  }, 180_000);

  it('a host paused (SIGSTOP) until its agents move does not act or write for them when it wakes', async () => {
    await using dir = await tempDir();
    const log = join(dir.path, 'effects.log');
    const ns = 'paused';
    const hosts: HostProcess[] = [];
    try {
      for (const id of ['a', 'b']) hosts.push(await startHostProcess({ urls: server.url, namespace: ns, hostId: `host-${id}`, effectsLog: log, leaseSeconds: 1 }));
      const [a, b] = hosts as [HostProcess, HostProcess];
      await using client = await PlainClient.connect(server.url);
      const agentIds = Array.from({ length: 20 }, (_, n) => `p-${n}`);
      for (const [n, agentId] of agentIds.entries()) {
        // Straight to host-a (a request forwarded to a host is served there).
        const reply = await client.request(`playbooks.${ns}.host.host-a.control.spawn`, { playbook: 'Worker', agentId, input: { n, rounds: 40, pauseMs: 100 } });
        expect(reply.ok, JSON.stringify(reply)).toBe(true);
      }
      await until(async () => (await effects(log)).length > 40, 20_000, 'the agents to make progress');

      a.kill('SIGSTOP');
      // Asked of host-b: a paused host in the queue group would leave some requests unanswered.
      const status = (agentId: string) => client.request(`playbooks.${ns}.host.host-b.control.status`, { agentId });
      await until(async () => (await Promise.all(agentIds.map(status))).every((s) => s.host === 'host-b'), 30_000, 'host-b to take every agent over');
      const continuedAt = Date.now();
      a.kill('SIGCONT');

      await until(() => a.events('fenced').length === agentIds.length, 20_000, 'host-a to notice and drop every agent').catch((error: Error) => {
        const missing = agentIds.filter((id) => !a.events('fenced').includes(id));
        throw new Error(`${error.message}; ${a.events('fenced').length} fenced events (one per agent expected), not fenced: ${missing.join(', ')}`);
      });
      await until(async () => (await Promise.all(agentIds.map(status))).every((s) => s.state === 'completed'), 60_000, 'every agent to complete on host-b');
      const late = (await effects(log)).filter((e) => e.host === 'host-a' && e.at >= continuedAt);
      expect(late).toEqual([]); // host-a started no step for them after it woke
      expect(b.events('restarted').sort()).toEqual([...agentIds].sort());

      // No checkpoint written by host-a after host-b's takeover.
      const { Kvm } = await import('@nats-io/kv');
      const kv = await new Kvm(client.nc).open(`cp-${ns}`);
      for (const agentId of agentIds) {
        const owners: string[] = [];
        for await (const entry of await kv.history({ key: agentId })) owners.push(entry.json<{ owner: string }>().owner);
        const firstB = owners.indexOf('host-b');
        expect(firstB, agentId).toBeGreaterThan(-1);
        expect(owners.slice(firstB).every((owner) => owner === 'host-b'), `${agentId}: ${owners.join(',')}`).toBe(true);
      }
    } finally {
      for (const host of hosts) {
        host.kill('SIGCONT');
        host.kill('SIGKILL');
      }
    }
  }, 180_000);
});
