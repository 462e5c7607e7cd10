import { describe, expect, it } from 'vitest';
import { playbook, receive, sleep, step } from 'durable-playbooks';
import { hostsClosedAfterEach } from '../helpers/hosts.js';
import { tempDir } from '../helpers/temp-dir.js';

const newHost = hostsClosedAfterEach();

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
