import { createHash } from 'node:crypto';
import { decodeCheckpoint } from '../persistence/envelope.js';
import { ensureError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Host } from './host.js';
import type { HostLease } from './host-lease.js';
import { isRestartableFailure, restartPoint } from './restart-point.js';

/** What a failover did, for logs, events and the tests' time-to-takeover figure. */
export interface Takeover {
  deadHost: string;
  agents: string[];
  /** From noticing the host dead to the last agent resumed here, in ms. */
  durationMs: number;
}

/**
 * Takes over the agents of hosts whose lease expired (or that left): each live host takes
 * the agents that rendezvous hashing assigns it among the live hosts, so the survivors share
 * the load without talking; a host that does not get to its share within a second lease,
 * leaves it to anyone. The claim write (a compare-and-set) makes sure one host wins each.
 */
export class FailoverMonitor {
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;
  private readonly noticed = new Map<string, number>();
  private readonly done = new Set<string>();
  private readonly listeners = new Set<(takeover: Takeover) => void>();

  constructor(
    private readonly host: Host,
    private readonly lease: HostLease,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = (): void => {
      void this.check().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.leaseMs / 5).unref();
      });
    };
    this.timer = setTimeout(tick, this.leaseMs / 5).unref();
    this.lease.onChange(() => void this.check());
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  onTakeover(listener: (takeover: Takeover) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async check(): Promise<void> {
    if (this.scanning || this.host.isClosing || !this.lease.isValid) return;
    this.scanning = true;
    try {
      for (const dead of this.lease.deadHosts()) {
        if (this.done.has(dead)) continue;
        if (!this.noticed.has(dead)) this.noticed.set(dead, performance.now());
        await this.takeOver(dead);
      }
      // A host seen alive again (it was only slow) is judged afresh next time.
      for (const id of [...this.done]) if (this.lease.isAlive(id)) this.done.delete(id);
    } catch (error) {
      this.logger.warn({ err: ensureError(error) }, 'failover scan failed; retrying');
    } finally {
      this.scanning = false;
    }
  }

  private async takeOver(deadHost: string): Promise<void> {
    const store = this.host.store!;
    const live = this.lease.liveHosts();
    const since = performance.now() - this.noticed.get(deadHost)!;
    const anyone = since > this.leaseMs; // the assigned host had a whole lease to do it
    const taken: string[] = [];
    let orphans = 0;
    for (const agentId of await store.listAgents()) {
      if (this.host.isRunning(agentId)) continue;
      const record = await store
        .latest(agentId)
        .then((stored) => stored && decodeCheckpoint(stored))
        .catch(() => undefined);
      if (!record || record.owner !== deadHost) continue;
      // A crashed agent whose supervisor was waiting to restart it is an orphan too.
      const crashed = isRestartableFailure(record);
      if (record.status !== 'running' && record.status !== 'waiting' && !crashed) continue;
      orphans++;
      if (!anyone && assignee(agentId, live) !== this.host.id) continue;
      if (!this.host.hasPlaybook(record.playbook)) continue;
      try {
        const point = crashed ? await restartPoint(this.host.checkpoints!, agentId, record.error) : undefined;
        if (crashed && !point) continue;
        // The host is back (it was only paused or cut off): it checks which of its agents were
        // taken and goes on with the others; taking more of them now would run two copies.
        if (this.lease.isAlive(deadHost)) break;
        await this.host.recovery!.recover(agentId, point ? { fromSeq: point.seq } : {});
        taken.push(agentId);
      } catch (error) {
        this.logger.debug({ agentId, err: ensureError(error) }, 'not taken over here');
      }
    }
    if (orphans === taken.length) this.done.add(deadHost);
    if (taken.length === 0) return;
    const takeover = { deadHost, agents: taken, durationMs: performance.now() - this.noticed.get(deadHost)! };
    this.logger.warn({ deadHost, agents: taken.length, durationMs: Math.round(takeover.durationMs) }, 'took over the agents of a dead host');
    for (const listener of this.listeners) listener(takeover);
  }
}

/** Rendezvous hashing: the live host with the highest hash of (host, agent) takes the agent. */
export function assignee(agentId: string, hosts: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = '';
  for (const hostId of hosts) {
    const score = createHash('sha1').update(`${hostId}\n${agentId}`).digest('hex');
    if (score > bestScore) {
      best = hostId;
      bestScore = score;
    }
  }
  return best;
}
