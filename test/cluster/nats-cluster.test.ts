import { describe, expect, it } from 'vitest';
import { playbook, receive, sleep, step, type AgentRef } from 'durable-playbooks';
import { hostsClosedAfterEach } from '../helpers/hosts.js';
import { PlainClient } from '../helpers/nats-client.js';
import { startNatsCluster } from '../helpers/nats-cluster.js';

const newHost = hostsClosedAfterEach();

describe('a three-node NATS cluster, bucket and inbox stream with 3 replicas', () => {
  it('SIGKILL one NATS node mid-run: no checkpoint or message lost', async () => {
    await using cluster = await startNatsCluster(3);
    const runs = new Map<string, number>();
    const Work = step('Work', async (id: string, i: number) => {
      runs.set(`${id}/${i}`, (runs.get(`${id}/${i}`) ?? 0) + 1);
      return i;
    });
    const Replicated = playbook('Replicated', async (input: { id: string }) => {
      let total = 0;
      for (let i = 0; i < 8; i++) {
        total += await Work(input.id, i);
        await sleep(50);
      }
      const bonus = await receive<number>('bonus');
      return total + bonus;
    });
    const host = await newHost({
      durability: { storage: 'nats' },
      nats: { servers: cluster.urls, namespace: 'replicated', bucket: 'cp-replicated', replicas: 3 },
      playbooks: [Replicated],
    });
    const agents: AgentRef[] = [];
    for (let n = 0; n < 30; n++) agents.push(await host.spawn(Replicated, { id: `r-${n}`, input: { id: `r-${n}` } }));
    await using client = await PlainClient.connect(cluster.urls.join(','));
    // Half the messages before the node dies, half after.
    for (let n = 0; n < 15; n++) await client.jsPublish(`playbooks.replicated.agent.r-${n}.inbox`, { type: 'bonus', payload: n }, `bonus-${n}`);
    await new Promise((resolve) => setTimeout(resolve, 150));

    await cluster.nodes[1]!.kill('SIGKILL');
    for (let n = 15; n < 30; n++) {
      // As a careful client does while the cluster elects new leaders: retry with the same
      // Nats-Msg-Id, which the stream deduplicates.
      // Electing leaders can take a while on a loaded 2-core machine: retry for up to 45 s.
      for (const deadline = Date.now() + 45_000; ; ) {
        try {
          await client.jsPublish(`playbooks.replicated.agent.r-${n}.inbox`, { type: 'bonus', payload: n }, `bonus-${n}`);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    }

    const results = await Promise.all(agents.map((agent) => agent.result()));
    expect(results).toEqual(agents.map((_, n) => 28 + n));
    expect(runs.size).toBe(30 * 8);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    // Reads right after a node died may time out while the cluster settles: read again.
    const historyOf = async (agentId: string) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await host.checkpoints!.listCheckpoints(agentId);
        } catch (error) {
          if (attempt === 10) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    };
    for (const agent of agents) {
      const history = await historyOf(agent.id);
      const seqs = history.map((c) => c.seq);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i)); // no checkpoint lost
      expect(history.at(-1)?.status).toBe('completed');
    }
  }, 120_000);
});
