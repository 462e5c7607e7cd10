import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface HostLeaseOptions {
  connection: NatsConnection;
  /** The KV bucket of host leases (created if missing). */
  bucket: string;
  hostId: string;
  /** A host silent for this long is dead: its agents are taken over. In ms. */
  leaseMs: number;
  /** Stream replicas of the bucket. Default 1. */
  replicas?: number;
  logger: Logger;
  /** Called after the lease lapsed and was renewed, before this host acts again: check the agents are still ours. */
  revalidate: () => Promise<void>;
}

/** What a lease entry holds. */
interface LeaseEntry {
  hostId: string;
  leaseMs: number;
  /** The holder's wall clock, for people (liveness is judged on the observer's clock). */
  at: string;
}

// The holder stops acting well before observers may take over: it counts its lease from the
// moment it sent the renewal (before the server saw it), observers from when they saw it.
const HOLDER_SHARE = 0.8;

/**
 * A host's lease on its agents, and its view of the other hosts' leases. NATS 2.9 has no
 * per-key TTL, so expiry does not rely on the server: each host renews its entry in a KV
 * bucket a few times per lease; every host watches the bucket and judges liveness on its
 * own monotonic clock (no clock sync needed). A host whose renewals stop — paused, cut off,
 * dead — stops acting on its own before the others may take its agents over, and when it
 * comes back it checks each agent is still its own before going on.
 */
export class HostLease {
  private kv!: KV;
  private validUntil = 0;
  private lapsed = false;
  private opening: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private watching: { stop(): void } | undefined;
  private watchStartedAt = 0;
  /** When each host's lease entry was last seen renewed (a live update, not its value at watch start). */
  private readonly lastSeen = new Map<string, number>();
  /** Hosts whose entry was there when the watch started, not yet seen renewed. */
  private readonly preexisting = new Set<string>();
  private readonly gone = new Set<string>();
  private readonly changeListeners = new Set<() => void>();

  constructor(private readonly options: HostLeaseOptions) {}

  /** Takes the lease (first renewal) and starts watching the other hosts. */
  async start(): Promise<void> {
    const { connection, bucket, replicas } = this.options;
    this.kv = await new Kvm(jetstream(connection)).create(bucket, { history: 1, replicas: replicas ?? 1 });
    await this.renew();
    await this.watch();
    this.schedule();
  }

  /** Whether this host may act for its agents now. */
  get isValid(): boolean {
    return !this.lapsed && performance.now() < this.validUntil;
  }

  /** Resolves when this host may act for its agents (at once, normally). */
  whenValid(): Promise<void> {
    if (this.isValid) return Promise.resolve();
    this.lapse();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * A host's lease as this host sees it: "alive" (seen renewed within a lease), "dead"
   * (expired or given up), or "unknown" (this host has not watched for a whole lease yet, and
   * has not seen it renewed).
   */
  statusOf(hostId: string): 'alive' | 'dead' | 'unknown' {
    if (hostId === this.options.hostId) return 'alive';
    if (this.gone.has(hostId)) return 'dead';
    const now = performance.now();
    const seen = this.lastSeen.get(hostId);
    if (seen !== undefined) return now - seen < this.options.leaseMs ? 'alive' : 'dead';
    return now - this.watchStartedAt < this.options.leaseMs ? 'unknown' : 'dead';
  }

  /** Alive, or not known to be dead yet: not to be taken over. */
  isAlive(hostId: string): boolean {
    return this.statusOf(hostId) !== 'dead';
  }

  /** Hosts with a live lease (this one included), sorted by id. */
  liveHosts(): string[] {
    return [...new Set([this.options.hostId, ...this.lastSeen.keys()])].filter((id) => this.statusOf(id) === 'alive').sort();
  }

  /** Hosts with a lease entry that expired (or was given up): their agents are orphans. */
  deadHosts(): string[] {
    return [...new Set([...this.lastSeen.keys(), ...this.preexisting, ...this.gone])].filter((id) => this.statusOf(id) === 'dead');
  }

  /** Calls `listener` when a host leaves or is seen for the first time. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Gives the lease up at once (graceful shutdown): the other hosts take the agents over now. */
  async release(): Promise<void> {
    this.stop();
    await this.kv?.delete(this.options.hostId).catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.watching?.stop();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.renew().finally(() => this.schedule());
    }, this.options.leaseMs / 5);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const sent = performance.now();
    // A renewal attempted after the lease ran out must not quietly extend it: the agents
    // are checked first (another host may have taken them meanwhile).
    if (sent >= this.validUntil && this.validUntil > 0) this.lapse();
    const entry: LeaseEntry = { hostId: this.options.hostId, leaseMs: this.options.leaseMs, at: new Date().toISOString() };
    try {
      await this.kv.put(this.options.hostId, JSON.stringify(entry));
    } catch (error) {
      this.options.logger.warn({ err: ensureError(error) }, 'lease renewal failed');
      return;
    }
    this.validUntil = sent + this.options.leaseMs * HOLDER_SHARE;
    if (this.lapsed) await this.reopen();
  }

  private lapse(): void {
    if (this.lapsed) return;
    this.lapsed = true;
    this.options.logger.warn('lease lapsed: this host stops acting for its agents until it has renewed it and checked them');
  }

  private async reopen(): Promise<void> {
    this.opening ??= (async () => {
      // This host was cut off (or paused): what it saw of the others is stale. It judges
      // nobody dead before it has watched them for a whole lease again.
      this.watchStartedAt = performance.now();
      for (const hostId of this.lastSeen.keys()) this.preexisting.add(hostId);
      this.lastSeen.clear();
      try {
        await this.options.revalidate();
        if (performance.now() >= this.validUntil) {
          // The lease ran out while the agents were checked (this host was paused, or starved,
          // again): what the check read may be stale, as another host may have taken them since.
          // It stays lapsed; the next renewal checks again.
          this.options.logger.warn('lease ran out while checking the agents; checking again after the next renewal');
          return;
        }
        this.lapsed = false;
        this.options.logger.info('lease renewed');
        for (const resolve of this.waiters.splice(0)) resolve();
      } finally {
        this.opening = undefined;
      }
    })();
    await this.opening;
  }

  private async watch(): Promise<void> {
    this.watchStartedAt = performance.now();
    const updates = await this.kv.watch();
    this.watching = updates;
    void (async () => {
      for await (const update of updates) {
        const hostId = update.key;
        if (hostId === this.options.hostId) continue;
        const known = this.lastSeen.has(hostId) && !this.gone.has(hostId);
        if (update.operation === 'PUT' && !update.isUpdate) {
          this.preexisting.add(hostId); // an entry written before we watched: maybe long ago
        } else if (update.operation === 'PUT') {
          this.lastSeen.set(hostId, performance.now());
          this.preexisting.delete(hostId);
          this.gone.delete(hostId);
          if (!known) this.changed();
        } else {
          this.gone.add(hostId);
          this.changed();
        }
      }
    })().catch((error: unknown) => this.options.logger.debug({ err: ensureError(error) }, 'lease watch ended'));
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }
}
