import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createHost, decodeCheckpoint, MemoryCheckpointStore, playbook, receive } from 'durable-playbooks';
import { FailoverMonitor } from '../../supervisor/failover.js';
import { HostLease } from '../../supervisor/host-lease.js';
import { natsServerForFile } from '../helpers/nats-client.js';
import { until } from '../helpers/hosts.js';

const shared = natsServerForFile();
const LEASE_MS = 400;
const silent = pino({ level: 'silent' });

const Idle = playbook('Idle', async () => receive('never'));

function leaseOf(hostId: string): HostLease {
  return new HostLease({ connection: shared.client.nc, bucket: 'leases-failover', hostId, leaseMs: LEASE_MS, logger: silent, revalidate: async () => undefined });
}

describe('failover', () => {
  it('stops taking over the agents of a host that comes back in the middle of it', async () => {
    const store = new MemoryCheckpointStore();
    const agentIds = ['f-0', 'f-1', 'f-2'];
    const hostA = await createHost({ hostId: 'host-a', store, playbooks: [Idle], logger: silent });
    for (const id of agentIds) await hostA.spawn(Idle, { id });
    await hostA.close(); // its agents stay waiting in the store, owned by host-a

    const leaseB = leaseOf('host-b');
    await leaseB.start();
    let leaseA = leaseOf('host-a');
    await leaseA.start();
    const hostB = await createHost({ hostId: 'host-b', store, playbooks: [Idle], logger: silent });
    try {
      await until(() => leaseB.statusOf('host-a') === 'alive', 5_000, 'host-b to see host-a renew its lease');
      leaseA.stop(); // host-a goes silent (paused, cut off)
      await until(() => leaseB.deadHosts().includes('host-a'), 5_000, 'host-b to judge host-a dead');

      // host-a comes back right after host-b took its first agent over.
      const recovery = hostB.recovery!;
      const recover = recovery.recover.bind(recovery);
      recovery.recover = async (...args) => {
        const ref = await recover(...args);
        leaseA = leaseOf('host-a');
        await leaseA.start();
        await until(() => leaseB.isAlive('host-a'), 5_000, 'host-b to see host-a back');
        return ref;
      };
      const monitor = new FailoverMonitor(hostB, leaseB, LEASE_MS, silent);
      await monitor['check']();

      const taken = agentIds.filter((id) => hostB.isRunning(id));
      expect(taken).toHaveLength(1);
      for (const id of agentIds.filter((x) => !taken.includes(x))) {
        expect(decodeCheckpoint((await store.latest(id))!).owner, id).toBe('host-a');
      }
    } finally {
      leaseA.stop();
      leaseB.stop();
      await hostB.close();
    }
  }, 20_000);
});
