import type { Clock, TimerHandle } from '../actors/clock.js';
import { ValidationError } from '../errors.js';

/** How long a supervisor waits before restarting a child that keeps exiting. */
export interface BackoffOptions {
  /** Delay before the first restart of a child, in ms. Default 100. */
  initialDelayMs?: number;
  /** Upper bound of the delay, in ms. Default 30_000. */
  maxDelayMs?: number;
  /** Multiplier per consecutive restart. Default 2. */
  factor?: number;
  /** Random spread, as a fraction of the delay (0.2 → ±20%). Default 0.2. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialDelayMs: 100,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.2,
};

/** Fills in defaults and rejects values that would make delays negative, shrinking or unbounded. */
export function resolveBackoff(supervisorId: string, options: BackoffOptions = {}): Required<BackoffOptions> {
  const backoff = { ...DEFAULT_BACKOFF, ...options };
  const check = (key: keyof BackoffOptions, ok: boolean, allowed: string): void => {
    if (!ok) {
      throw new ValidationError(`supervisor "${supervisorId}": backoff.${key} = ${String(backoff[key])} is invalid: expected ${allowed}`);
    }
  };
  check('initialDelayMs', Number.isFinite(backoff.initialDelayMs) && backoff.initialDelayMs >= 0, 'a number of ms ≥ 0');
  check('maxDelayMs', Number.isFinite(backoff.maxDelayMs) && backoff.maxDelayMs >= 0, 'a number of ms ≥ 0');
  check('factor', Number.isFinite(backoff.factor) && backoff.factor >= 1, 'a number ≥ 1');
  check('jitter', Number.isFinite(backoff.jitter) && backoff.jitter >= 0 && backoff.jitter <= 1, 'a fraction between 0 and 1');
  return backoff;
}

/**
 * Delay before the `consecutive`-th restart in a row (1 for the first), in whole ms. Jitter
 * spreads restarts of children that failed together, so they do not hammer a shared
 * dependency in lockstep.
 */
export function backoffDelay(backoff: Required<BackoffOptions>, consecutive: number, random: () => number): number {
  const base = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * backoff.factor ** Math.max(0, consecutive - 1));
  const spread = 1 - backoff.jitter + 2 * backoff.jitter * random();
  return Math.max(0, Math.round(base * spread));
}

/**
 * Groups of children waiting out a backoff delay; each group is started together once its
 * timer fires. A child taken out of its group (terminated, or folded into a later restart)
 * is left out of that start, and the timer of an emptied group is cleared.
 */
export class PendingRestarts<T> {
  private readonly groupOf = new Map<T, Set<T>>();
  private readonly timers = new Map<Set<T>, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  has(member: T): boolean {
    return this.groupOf.has(member);
  }

  /** `members`, plus every child that waits in a group with one of them. */
  withGroups(members: Iterable<T>): Set<T> {
    const all = new Set(members);
    for (const member of [...all]) for (const other of this.groupOf.get(member) ?? []) all.add(other);
    return all;
  }

  /** After `delayMs`, calls `fire` with a function that takes the members still waiting. */
  schedule(members: T[], delayMs: number, fire: (take: () => T[]) => void): void {
    const group = new Set<T>();
    for (const member of members) {
      this.cancel(member);
      group.add(member);
      this.groupOf.set(member, group);
    }
    const take = (): T[] => {
      for (const member of group) this.groupOf.delete(member);
      return [...group];
    };
    this.timers.set(
      group,
      this.clock.setTimer(() => {
        this.timers.delete(group);
        fire(take);
      }, delayMs),
    );
  }

  cancel(member: T): void {
    const group = this.groupOf.get(member);
    if (!group) return;
    this.groupOf.delete(member);
    group.delete(member);
    const timer = this.timers.get(group);
    if (group.size === 0 && timer !== undefined) {
      this.clock.clearTimer(timer);
      this.timers.delete(group);
    }
  }

  cancelAll(): void {
    for (const member of [...this.groupOf.keys()]) this.cancel(member);
  }
}
