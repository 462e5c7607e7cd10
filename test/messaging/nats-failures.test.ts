import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playbook, receive, sleep, step, type AgentRef } from 'durable-playbooks';
import { repoRoot, runTs } from '../helpers/child.js';
import { hostsClosedAfterEach, until } from '../helpers/hosts.js';
import { PlainClient } from '../helpers/nats-client.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';

const newHost = hostsClosedAfterEach();
let server: NatsServer;

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('when things fail', () => {
  it('consumes messages published while the host process is down once it recovers, duplicates once', async () => {
    const ns = 'down1';
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/nats-collector.ts', server.url, ns], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      await until(() => output.includes('waiting'), 20_000, 'the agent to wait for its inbox');
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');

    await using client = await PlainClient.connect(server.url);
    const inbox = `playbooks.${ns}.agent.collector.inbox`;
    await client.jsPublish(inbox, { type: 'item', payload: 'first' }, 'm1');
    await client.jsPublish(inbox, { type: 'item', payload: 'first' }, 'm1'); // a republish
    await client.jsPublish(inbox, { type: 'item', payload: 'second' }, 'm2');
    await client.jsPublish(inbox, { type: 'item', payload: 'third' }, 'm3');

    const recovered = await runTs('test/fixtures/nats-collector.ts', [server.url, ns]);
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(JSON.parse(recovered.stdout.trim().split('\n').at(-1)!)).toEqual(['first', 'second', 'third']);
  });

  it('survives a SIGKILL of nats-server mid-run: every agent finishes, nothing lost', async () => {
    const ns = 'outage';
    const runs = new Map<string, number>();
    const Work = step('Work', async (id: string, i: number) => {
      const key = `${id}/${i}`;
      runs.set(key, (runs.get(key) ?? 0) + 1);
      return i;
    });
    const Steady = playbook('Steady', async (input: { id: string }) => {
      let total = 0;
      for (let i = 0; i < 6; i++) {
        total += await Work(input.id, i);
        await sleep(40);
      }
      const bonus = await receive<number>('bonus');
      return total + bonus;
    });
    const host = await newHost({
      durability: { storage: 'nats' },
      nats: { servers: [server.url], namespace: ns, bucket: `cp-${ns}` },
      playbooks: [Steady],
    });
    const agents: AgentRef[] = [];
    for (let n = 0; n < 20; n++) agents.push(await host.spawn(Steady, { id: `steady-${n}`, input: { id: `steady-${n}` } }));
    // Their messages are stored in the inbox stream before the server dies.
    for (const [n, agent] of agents.entries()) await agent.send('bonus', n);
    await new Promise((resolve) => setTimeout(resolve, 60));

    await server.kill('SIGKILL');
    await until(() => agents.some((a) => a.status().blockedOn !== undefined), 15_000, 'an agent to report that the store is down');
    const blocked = agents.find((a) => a.status().blockedOn)!.status();
    expect(blocked.blockedOn).toMatch(/checkpoint store/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await server.restart();

    const results = await Promise.all(agents.map((a) => a.result()));
    expect(results).toEqual(agents.map((_, n) => 15 + n));
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(runs.size).toBe(20 * 6);
    for (const agent of agents) {
      const history = await host.checkpoints!.listCheckpoints(agent.id);
      expect(history.at(-1)?.status).toBe('completed');
      const seqs = history.map((c) => c.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i)); // no gap: no checkpoint lost
    }
  });
});
