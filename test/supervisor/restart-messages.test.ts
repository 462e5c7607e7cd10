import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore, playbook, receive, step, type HostOptions } from 'durable-playbooks';
import { natsServerForFile } from '../helpers/nats-client.js';
import { hostsClosedAfterEach } from '../helpers/hosts.js';

const newHost = hostsClosedAfterEach();
const shared = natsServerForFile();
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Receives three numbers; handling the first one crashes once (after `workMs`). */
function consumer() {
  let crashed = false;
  const Work = step('Work', async (n: number, workMs: number) => {
    if (n === 1 && !crashed) {
      crashed = true;
      await wait(workMs);
      throw new Error('crash at 1');
    }
    return n;
  }, { retry: { maxAttempts: 1 } });
  return playbook('Consumer', async (workMs: number) => {
    const got: number[] = [];
    while (got.length < 3) {
      const n = await receive<number>('n');
      await Work(n, workMs);
      got.push(n);
    }
    return got;
  });
}

const nats = (ns: string): HostOptions => ({ durability: { storage: 'nats' }, nats: { servers: [shared.server.url], namespace: ns, bucket: `cp-${ns}` } });

describe('messages around a supervisor restart', () => {
  it.each([
    ['NATS, messages taken while the crashing step ran', 'rm1', 5, 300, 100],
    ['NATS, messages sent during the backoff', 'rm2', 800, 10, 300],
    ['no NATS, messages taken while the crashing step ran', undefined, 5, 300, 100],
    ['no NATS, messages sent during the backoff', undefined, 800, 10, 300],
  ])('%s are not lost', async (_name, namespace, backoffMs, workMs, sendAfterMs) => {
    const Consumer = consumer();
    const options: HostOptions = namespace ? nats(namespace) : { durability: { storage: 'memory' } };
    const host = await newHost({ ...options, playbooks: [Consumer] });
    await host.supervisor('s', { backoff: { initialDelayMs: backoffMs, maxDelayMs: backoffMs, jitter: 0 } });
    const agent = await host.spawn(Consumer, { id: 'consumer', supervisor: 's', input: workMs });
    await agent.send('n', 1);
    await wait(sendAfterMs);
    await agent.send('n', 2);
    await agent.send('n', 3);
    expect(await agent.result()).toEqual([1, 2, 3]);
    expect(agent.status().restarts).toBe(1);
  });

  it('an agent whose host went away while its supervisor waited to restart it is restarted by the next host', async () => {
    const store = new MemoryCheckpointStore();
    let attempts = 0;
    const Once = playbook('Once', async () => {
      await step('Flaky', async () => {
        if (++attempts === 1) throw new Error('transient');
      }, { retry: { maxAttempts: 1 } })();
      return 'done';
    });
    const first = await newHost({ store, playbooks: [Once] });
    await first.supervisor('s', { backoff: { initialDelayMs: 5_000, maxDelayMs: 5_000 } });
    await first.spawn(Once, { id: 'once', supervisor: 's' });
    await wait(200); // it crashed; its restart is 5 s away
    await first.close();
    expect((await store.latest('once'))?.data).toContain('"status":"failed"');

    const second = await newHost({ store, playbooks: [Once] });
    const report = await second.recover();
    expect(report.resumed.map((r) => r.id)).toEqual(['once']);
    expect(await report.resumed[0]!.result()).toBe('done');
  });
});
