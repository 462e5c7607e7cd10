import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { HostLease } from '../../supervisor/host-lease.js';
import { natsServerForFile } from '../helpers/nats-client.js';

const shared = natsServerForFile();
const LEASE_MS = 500;

/** Blocks the event loop, as a pause (SIGSTOP, a frozen VM) or a starved process would. */
function freeze(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('a host lease', () => {
  it('lets its host act again only once the agents were checked within a valid lease', async () => {
    let checks = 0;
    const lease = new HostLease({
      connection: shared.client.nc,
      bucket: 'leases-check',
      hostId: 'host-a',
      leaseMs: LEASE_MS,
      logger: pino({ level: 'silent' }),
      // The first check is frozen past the lease, as if the host were paused while it read its
      // agents' checkpoints: another host may have taken them meanwhile, so it proves nothing.
      revalidate: async () => {
        checks++;
        if (checks === 1) freeze(LEASE_MS * 1.2);
      },
    });
    await lease.start();
    try {
      freeze(LEASE_MS * 1.2); // paused past the lease: it must not act until it has checked its agents
      expect(lease.isValid).toBe(false);
      let validWhenAllowed: boolean | undefined;
      await lease.whenValid().then(() => (validWhenAllowed = lease.isValid));
      expect(checks).toBeGreaterThanOrEqual(2); // the frozen check was not trusted: another one followed
      expect(validWhenAllowed).toBe(true);
    } finally {
      lease.stop();
    }
  }, 15_000);
});
