import { z } from 'zod';
import type { Clock, TimerHandle } from '../actors/clock.js';
import type { Logger } from '../logger.js';
import type { NatsMessaging } from '../messaging/nats-messaging.js';
import { subjects } from '../messaging/subjects.js';
import type { AgentSummary, HostSummary } from './dashboard/types.js';

/** Agents listed in one heartbeat at most (the count is always exact). */
const MAX_AGENTS_PER_HEARTBEAT = 1_000;
/** A host silent for this many intervals is dropped from the list. */
const FORGET_AFTER_INTERVALS = 30;

const heartbeatSchema = z.object({
  hostId: z.string(),
  namespace: z.string(),
  at: z.number(),
  agentCount: z.number(),
  /** Agents running or waiting (parked ones included): what placement balances. */
  activeAgents: z.number().optional(),
  agents: z.array(z.looseObject({ agentId: z.string() })),
  nats: z.object({ connected: z.boolean(), reason: z.string().optional() }).nullable(),
});
type Heartbeat = z.infer<typeof heartbeatSchema>;

export interface HeartbeatsOptions {
  messaging: NatsMessaging;
  hostId: string;
  clock: Clock;
  logger: Logger;
  /** This host's agents, for its heartbeat. */
  agents: () => AgentSummary[];
  /** How many agents this host runs or has parked: what placement balances. */
  activeAgents: () => number;
  /** Time between heartbeats, in ms. Default 2,000. */
  intervalMs?: number;
}

/**
 * The heartbeat's JSON, with as many of its agents as fit the server's max payload (halved
 * until they do): a heartbeat too large to publish would be lost at every beat, and the other
 * hosts would take this one for gone. `agentCount` stays exact.
 */
function fittedJson(heartbeat: Heartbeat, maxPayload: number | undefined): string {
  let json = JSON.stringify(heartbeat);
  for (let listed = heartbeat.agents; maxPayload && listed.length > 0 && Buffer.byteLength(json) > maxPayload; ) {
    listed = listed.slice(0, listed.length >> 1);
    json = JSON.stringify({ ...heartbeat, agents: listed });
  }
  return json;
}

/**
 * Hosts of a namespace tell each other they are alive, and what they run, over NATS: every
 * host's dashboard shows every host and its agents.
 */
export class HostHeartbeats {
  private readonly others = new Map<string, { received: number; heartbeat: Heartbeat }>();
  private readonly listeners = new Set<() => void>();
  /** Agents sent to each host since its last heartbeat (which does not count them yet). */
  private readonly placed = new Map<string, number>();
  private timer: TimerHandle | undefined;
  private stopped = false;
  private readonly intervalMs: number;

  constructor(private readonly options: HeartbeatsOptions) {
    this.intervalMs = options.intervalMs ?? 2_000;
  }

  start(): void {
    const { messaging } = this.options;
    messaging.serve(subjects.heartbeat(messaging.namespace), undefined, (data) => this.receive(data));
    this.beat();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.options.clock.clearTimer(this.timer);
  }

  /**
   * Where a new agent goes: the host with the fewest active agents by the last heartbeats
   * (counting the agents sent its way since), this host on a tie or when alone. Hosts not
   * heard from for three intervals are left out.
   */
  placeAgent(): string {
    const now = this.options.clock.now();
    let best = this.options.hostId;
    let fewest = this.options.activeAgents();
    for (const [hostId, { received, heartbeat }] of this.others) {
      if (now - received > this.intervalMs * 3) continue;
      const load = (heartbeat.activeAgents ?? heartbeat.agentCount) + (this.placed.get(hostId) ?? 0);
      if (load < fewest) {
        best = hostId;
        fewest = load;
      }
    }
    if (best !== this.options.hostId) this.placed.set(best, (this.placed.get(best) ?? 0) + 1);
    return best;
  }

  /** Calls `listener` when a host appears or disappears; returns an unsubscribe function. */
  onHostsChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Other hosts heard from recently, with how long ago. */
  hosts(): HostSummary[] {
    const now = this.options.clock.now();
    return [...this.others.values()].map(({ received, heartbeat }) => ({
      hostId: heartbeat.hostId,
      namespace: heartbeat.namespace,
      self: false,
      lastSeenMs: now - received,
      agents: heartbeat.agentCount,
      nats: heartbeat.nats,
    }));
  }

  /** The agents other hosts reported in their last heartbeats. */
  agents(): AgentSummary[] {
    return [...this.others.values()].flatMap(({ heartbeat }) => heartbeat.agents as unknown as AgentSummary[]);
  }

  private beat(): void {
    if (this.stopped) return;
    const { messaging, hostId, clock } = this.options;
    const agents = this.options.agents();
    const heartbeat: Heartbeat = {
      hostId,
      namespace: messaging.namespace,
      at: clock.now(),
      agentCount: agents.length,
      activeAgents: this.options.activeAgents(),
      agents: agents.slice(0, MAX_AGENTS_PER_HEARTBEAT) as unknown as Heartbeat['agents'],
      nats: messaging.state,
    };
    messaging.publishJson(subjects.heartbeat(messaging.namespace), fittedJson(heartbeat, messaging.connection.info?.max_payload));
    this.forgetSilentHosts();
    this.timer = clock.setTimer(() => this.beat(), this.intervalMs);
  }

  private receive(data: Uint8Array): void {
    let heartbeat: Heartbeat;
    try {
      heartbeat = heartbeatSchema.parse(JSON.parse(new TextDecoder().decode(data)));
    } catch (error) {
      this.options.logger.debug({ err: error }, 'malformed heartbeat ignored');
      return;
    }
    if (heartbeat.hostId === this.options.hostId) return;
    const known = this.others.has(heartbeat.hostId);
    this.others.set(heartbeat.hostId, { received: this.options.clock.now(), heartbeat });
    this.placed.delete(heartbeat.hostId);
    if (!known) this.hostsChanged();
  }

  private hostsChanged(): void {
    for (const listener of this.listeners) listener();
  }

  private forgetSilentHosts(): void {
    const cutoff = this.options.clock.now() - this.intervalMs * FORGET_AFTER_INTERVALS;
    for (const [hostId, { received }] of this.others) {
      if (received < cutoff) {
        this.others.delete(hostId);
        this.hostsChanged();
      }
    }
  }
}
