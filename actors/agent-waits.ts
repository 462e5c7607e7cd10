import type { Clock, TimerHandle } from './clock.js';

/**
 * An agent's durable waits as they are armed in this process: timers (sleeps, receive
 * timeouts) and receives waiting for a message. All of them are dropped at once when the
 * agent halts; the waits themselves are in the journal and are armed again on replay.
 */
export class AgentWaits {
  private readonly timers = new Set<TimerHandle>();
  private readonly messageWaiters = new Set<() => void>();
  private cancelled = false;

  constructor(private readonly clock: Clock) {}

  /** Resolves at `until` (epoch ms) on the clock; never, if cancelled first. */
  until(until: number): Promise<void> {
    return new Promise((resolve) => this.arm(resolve, until - this.clock.now()));
  }

  /** Resolves when `messageArrived()` is called or at `until`, whichever comes first. */
  message(until: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      let timer: TimerHandle | undefined;
      const wake = (): void => {
        this.messageWaiters.delete(wake);
        if (timer) this.disarm(timer);
        resolve();
      };
      this.messageWaiters.add(wake);
      if (until !== undefined) timer = this.arm(wake, until - this.clock.now());
    });
  }

  /** Wakes every receive waiting for a message (each looks at the inbox again). */
  messageArrived(): void {
    for (const wake of this.messageWaiters) wake();
  }

  /** Drops every timer and waiter: their promises stay pending, as a crash would leave them. */
  cancelAll(): void {
    this.cancelled = true;
    for (const timer of this.timers) this.clock.clearTimer(timer);
    this.timers.clear();
    this.messageWaiters.clear();
  }

  private arm(callback: () => void, delayMs: number): TimerHandle {
    if (this.cancelled) return {};
    const timer = this.clock.setTimer(() => {
      this.timers.delete(timer);
      callback();
    }, delayMs);
    this.timers.add(timer);
    return timer;
  }

  private disarm(timer: TimerHandle): void {
    this.clock.clearTimer(timer);
    this.timers.delete(timer);
  }
}
