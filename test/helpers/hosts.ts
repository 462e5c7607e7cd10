import { afterEach } from 'vitest';
import { pino } from 'pino';
import { createHost, type Host, type HostOptions } from 'durable-playbooks';

export const silentLogger = pino({ level: 'silent' });

/**
 * Hosts created through the returned function are closed after each test, even when an
 * assertion fails first.
 */
export function hostsClosedAfterEach(): (options?: HostOptions) => Promise<Host> {
  const hosts: Host[] = [];
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((host) => host.close()));
  });
  return async (options = {}) => {
    const host = await createHost({ logger: silentLogger, ...options });
    hosts.push(host);
    return host;
  };
}

/** Resolves once `predicate` holds, checking every few ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
