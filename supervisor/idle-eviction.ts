import type { Clock, TimerHandle } from '../actors/clock.js';
import type { AgentStatus } from '../actors/running-agent.js';
import { ensureError } from '../errors.js';
import type { Logger } from '../logger.js';

/** An agent let go of from memory while it waits: what is needed to bring it back. */
export interface ParkedAgent {
  playbook: string;
  seq: number;
  /** Epoch ms of its earliest timer (a sleep, a receive timeout), if it has one. */
  wakeAt?: number;
  timer?: TimerHandle;
}

/** What eviction needs from the host. */
export interface EvictionHost {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Agents waiting now, with how long they have been waiting (ms). */
  waitingAgents(): { agentId: string; waitingMs: number }[];
  /** Lets go of an agent (its state is in its checkpoints); undefined if it could not be parked. */
  park(agentId: string): Promise<ParkedAgent | undefined>;
  /** Brings a parked agent back from its latest checkpoint. */
  unpark(agentId: string): Promise<void>;
}

/**
 * Keeps waiting agents out of memory: an agent waiting (in `receive` or `sleep`) longer than
 * `idleMs` is parked — its runtime let go of, a few dozen bytes kept — and brought back from
 * its checkpoint by its next message or when its earliest timer is due. One host can so hold
 * a great many waiting agents.
 */
export class IdleEviction {
  private readonly parked = new Map<string, ParkedAgent>();
  private readonly parking = new Map<string, Promise<void>>();
  private readonly waking = new Map<string, Promise<void>>();
  /** Agents that got a message while being parked: woken as soon as they are. */
  private readonly wakeAfterParking = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: EvictionHost,
    private readonly idleMs: number,
  ) {}

  start(): void {
    const tick = (): void => {
      void this.evictIdle().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, Math.max(50, this.idleMs / 2)).unref();
      });
    };
    this.timer = setTimeout(tick, Math.max(50, this.idleMs / 2)).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const parked of this.parked.values()) if (parked.timer) this.host.clock.clearTimer(parked.timer);
  }

  get size(): number {
    return this.parked.size;
  }

  /** Parked, or being parked. */
  isParked(agentId: string): boolean {
    return this.parked.has(agentId) || this.parking.has(agentId);
  }

  statusOf(agentId: string): AgentStatus | undefined {
    const parked = this.parked.get(agentId);
    if (!parked) return undefined;
    return { agentId, state: 'waiting', seq: parked.seq, playbook: parked.playbook, callStack: [], evicted: true };
  }

  parkedIds(): string[] {
    return [...this.parked.keys()];
  }

  /** Brings the agent back if it is parked (a message came); resolves once it runs again. */
  async wake(agentId: string): Promise<void> {
    if (this.parking.has(agentId)) {
      this.wakeAfterParking.add(agentId);
      await this.parking.get(agentId);
    }
    if (!this.parked.has(agentId)) return this.waking.get(agentId);
    let waking = this.waking.get(agentId);
    if (!waking) {
      const parked = this.parked.get(agentId)!;
      if (parked.timer) this.host.clock.clearTimer(parked.timer);
      waking = this.host
        .unpark(agentId)
        .catch((error: unknown) => this.host.logger.error({ agentId, err: ensureError(error) }, 'could not bring a parked agent back'))
        .finally(() => {
          this.parked.delete(agentId);
          this.waking.delete(agentId);
        });
      this.waking.set(agentId, waking);
    }
    return waking;
  }

  private async evictIdle(): Promise<void> {
    for (const { agentId, waitingMs } of this.host.waitingAgents()) {
      if (waitingMs < this.idleMs || this.isParked(agentId)) continue;
      const parking = this.park(agentId);
      this.parking.set(agentId, parking);
      await parking.finally(() => this.parking.delete(agentId));
      if (this.wakeAfterParking.delete(agentId)) void this.wake(agentId);
    }
  }

  private async park(agentId: string): Promise<void> {
    try {
      const parked = await this.host.park(agentId);
      if (!parked) return;
      this.parked.set(agentId, parked);
      if (parked.wakeAt !== undefined) {
        parked.timer = this.host.clock.setTimer(() => void this.wake(agentId), parked.wakeAt - this.host.clock.now());
      }
    } catch (error) {
      this.host.logger.warn({ agentId, err: ensureError(error) }, 'could not park an idle agent');
    }
  }
}
