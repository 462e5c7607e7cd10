import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHost, playbook, step } from 'durable-playbooks';

describe('logging', () => {
  it('logs through pino with a child logger bound to each agent', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const Flaky = step('FlakyLog', async () => {
      throw new Error('nope');
    }, { retry: { maxAttempts: 2, initialDelayMs: 1 } });
    const Flow = playbook('Logged', async () => Flaky().catch(() => 'handled'));
    const host = await createHost({ durability: { storage: 'memory' }, logger, hostId: 'host-1' });
    await (await host.spawn(Flow, { id: 'agent-a' })).result();
    await (await host.spawn(Flow, { id: 'agent-b' })).result();
    await host.close();

    const retries = lines.filter((l) => l.msg === 'step failed; retrying');
    expect(retries.map((l) => l.agentId)).toEqual(['agent-a', 'agent-b']);
    expect(retries[0]).toMatchObject({ level: 40, hostId: 'host-1', playbook: 'Logged', step: 'FlakyLog', attempt: 1 });
    const checkpoints = lines.filter((l) => l.msg === 'checkpointed' && l.agentId === 'agent-a');
    // The step's failure and the completion share one write.
    expect(checkpoints).toEqual([expect.objectContaining({ hostId: 'host-1', state: 'completed', recorded: ['step FlakyLog (failed)', 'completed'] })]);
    expect(lines.filter((l) => l.msg === 'agent spawned').map((l) => l.agentId)).toEqual(['agent-a', 'agent-b']);
  });
});
