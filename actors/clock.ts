/**
 * Time as the runtime sees it. Durable timers, step timeouts and retry backoff all go through
 * a `Clock`, so tests can drive them with a `ManualClock`.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` after `delayMs`; returns a handle for `clearTimer`. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export type TimerHandle = { readonly __timer: unique symbol } | object;

let lastIsoMs = Number.NaN;
let lastIso = '';

/**
 * `new Date(ms).toISOString()`, remembering the last one: every checkpoint and every event
 * carries a time, and under load many of them fall in the same millisecond.
 */
export function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

// setTimeout fires at once for delays above 2^31 - 1 ms (about 24.8 days); longer sleeps chain.
const MAX_TIMER_DELAY_MS = 2_147_483_647;

class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const handle: { timeout?: NodeJS.Timeout } = {};
    const deadline = Date.now() + Math.max(0, delayMs);
    const arm = (remaining: number): void => {
      handle.timeout = setTimeout(
        () => {
          const left = deadline - Date.now();
          if (left > 0) arm(left);
          else callback();
        },
        Math.min(remaining, MAX_TIMER_DELAY_MS),
      );
    };
    arm(Math.max(0, delayMs));
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    const { timeout } = handle as { timeout?: NodeJS.Timeout };
    if (timeout) clearTimeout(timeout);
  }
}

export const systemClock: Clock = new SystemClock();

interface ManualTimer {
  at: number;
  order: number;
  callback: () => void;
}

/** A clock that moves only when told to; timers fire in deadline order during `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private timers = new Set<ManualTimer>();
  private order = 0;

  constructor(startMs = Date.parse('2026-01-01T00:00:00Z')) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer: ManualTimer = { at: this.current + Math.max(0, delayMs), order: this.order++, callback };
    this.timers.add(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as ManualTimer);
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, in order. Between timers it
   * lets promise callbacks run, so code woken by one timer can set the next.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const due = [...this.timers].filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.timers.delete(due);
      this.current = Math.max(this.current, due.at);
      due.callback();
    }
    this.current = target;
    await settle();
  }
}

/** Lets pending promise callbacks and immediates run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
