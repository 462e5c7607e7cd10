import { describe, expect, it } from 'vitest';
import { playbook, receive, sleep, step, TerminalError, type AgentRef } from 'durable-playbooks';
import { hostsClosedAfterEach } from '../helpers/hosts.js';
import { tempDir } from '../helpers/temp-dir.js';

const newHost = hostsClosedAfterEach();

/** Spawns `total` agents 500 at a time, each batch run to its end (success or not), then lets them retire. */
async function runInBatches(total: number, spawn: (n: number) => Promise<AgentRef>): Promise<void> {
  for (let n = 0; n < total; n += 500) {
    const batch = await Promise.all(Array.from({ length: Math.min(500, total - n) }, (_, i) => spawn(n + i)));
    await Promise.all(batch.map((agent) => agent.result().catch(() => undefined)));
  }
  await new Promise((resolve) => setTimeout(resolve, 20)); // finished agents are retired in a later turn
}

describe('many agents on one host', () => {
  it('runs 1,000 agents concurrently without interference', async () => {
    await using dir = await tempDir();
    const Square = step('Square', async (n: number) => n * n);
    const Label = step('Label', async (id: string, value: number) => `${id}:${value}`);
    const Worker = playbook('Worker', async (input: { id: string; n: number }) => {
      const squared = await Square(input.n);
      await sleep(5 + (input.n % 7));
      const bonus = await receive<number>('bonus');
      return Label(input.id, squared + bonus);
    });
    const host = await newHost({ durability: { storagePath: dir.path } });
    const count = 1_000;
    const agents = await Promise.all(
      Array.from({ length: count }, (_, n) => host.spawn(Worker, { id: `worker-${n}`, input: { id: `worker-${n}`, n } })),
    );
    expect(host.list()).toHaveLength(count);
    await Promise.all(agents.map((agent, n) => agent.send('bonus', n)));
    const results = await Promise.all(agents.map((agent) => agent.result()));
    expect(results).toEqual(Array.from({ length: count }, (_, n) => `worker-${n}:${n * n + n}`));
    expect(host.list().every((s) => s.state === 'completed')).toBe(true);
    const stored = await Promise.all(agents.map((a) => host.checkpoints!.getLatestCheckpoint(a.id)));
    expect(stored.every((record, n) => record?.status === 'completed' && record.agentId === `worker-${n}`)).toBe(true);
  });
});

describe('a host that runs agents for a long time', () => {
  it('keeps a bounded record of finished agents: their handles and dashboard data go with them', async () => {
    const Quick = playbook('Quick', async (n: number) => n + 1);
    const host = await newHost({ durability: { storage: 'memory' } });
    await host.start({ dashboard: false }); // its services keep per-agent data for the dashboard
    const kept = 10_000; // FINISHED_KEPT in supervisor/agent-table.ts
    const total = 17_000; // past the point where the host's per-agent maps are swept (see observability.ts)
    for (let n = 0; n < total; n += 500) {
      const batch = await Promise.all(Array.from({ length: 500 }, (_, i) => host.spawn(Quick, { id: `quick-${n + i}`, input: n + i })));
      await Promise.all(batch.map((agent) => agent.result()));
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // finished agents are retired in a later turn

    expect(host.list()).toHaveLength(kept);
    expect(host.get('quick-0')).toBeUndefined(); // the oldest left memory; the store still has it
    expect((await host.checkpoints!.getLatestCheckpoint('quick-0'))?.status).toBe('completed');
    expect(await host.get(`quick-${total - 1}`)!.result()).toBe(total);
    // What the host holds per agent, looked at from inside (no API exposes these counts).
    const internals = host as unknown as {
      table: { refs: Map<string, unknown> };
      services: { observability: { lastCheckpointAt: Map<string, number> } };
    };
    expect(internals.table.refs.size).toBeLessThanOrEqual(kept);
    expect(internals.services.observability.lastCheckpointAt.size).toBeLessThan(total - kept / 2);
    expect(internals.services.observability.lastCheckpointAt.has('quick-0')).toBe(false);
  }, 60_000);

  it("drops a long-finished failed agent from its supervisor's record too", async () => {
    const Failing = playbook('Failing', async (n: number) => {
      throw new TerminalError(`agent ${n} gives up`);
    });
    const host = await newHost({ durability: { storage: 'memory' } });
    const kept = 10_000; // FINISHED_KEPT in supervisor/agent-table.ts
    const total = kept + 500;
    await runInBatches(total, (n) => host.spawn(Failing, { id: `failing-${n}`, input: n, restart: 'temporary' }));

    const children = host.supervisors().children.map((child) => child.id);
    expect(children.length).toBeLessThanOrEqual(kept);
    expect(children).not.toContain('failing-0');
    expect(children).toContain(`failing-${total - 1}`);
    expect(host.get('failing-0')).toBeUndefined();
  }, 60_000);

  it('keeps a bounded record of quarantined agents: older ones are reported from the store', async () => {
    // Each agent's first step returns more than a checkpoint may hold: the agent is quarantined.
    const Oversized = playbook('Oversized', async (n: number) => step('Huge', async () => `${n}:${'x'.repeat(16 * 1024)}`)());
    const host = await newHost({ durability: { storage: 'memory', maxCheckpointSizeMb: 0.01 } });
    const kept = 10_000; // QUARANTINED_KEPT in supervisor/agent-table.ts
    const total = kept + 500;
    await runInBatches(total, (n) => host.spawn(Oversized, { id: `oversized-${n}`, input: n, restart: 'temporary' }));

    const internals = host as unknown as { table: { quarantined: Map<string, unknown>; refs: Map<string, unknown> } };
    expect(internals.table.quarantined.size).toBe(kept);
    expect(internals.table.quarantined.has('oversized-0')).toBe(false);
    expect(host.statusOf(`oversized-${total - 1}`)).toMatchObject({ state: 'failed', quarantined: true, error: { code: 'CHECKPOINT_TOO_LARGE' } });
    expect(internals.table.refs.size).toBeLessThanOrEqual(kept);
    // The oldest left memory; the store still tells how it ended.
    expect(host.get('oversized-0')).toBeUndefined();
    const stored = await host.checkpoints!.getLatestCheckpoint('oversized-0');
    expect(stored).toMatchObject({ status: 'failed', error: { code: 'CHECKPOINT_TOO_LARGE' } });
  }, 60_000);
});
