import type { Clock } from './clock.js';

/**
 * The steps of one agent running now, so a graceful shutdown can give them time to finish
 * and be checkpointed before the agent is let go of.
 */
export class StepsInFlight {
  private count = 0;
  private settled: (() => void) | undefined;

  get any(): boolean {
    return this.count > 0;
  }

  /** Counts a step in flight; call the returned function when its outcome is checkpointed (once is enough). */
  started(): () => void {
    this.count++;
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      this.count--;
      if (this.count === 0) this.settled?.();
    };
  }

  /** Resolves once no step is in flight, or after `graceMs`, whichever comes first. */
  async settle(graceMs: number, clock: Clock): Promise<void> {
    if (this.count === 0) return;
    await new Promise<void>((resolve) => {
      const timer = clock.setTimer(resolve, graceMs);
      this.settled = () => {
        clock.clearTimer(timer);
        resolve();
      };
    });
  }
}
