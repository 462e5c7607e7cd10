import { ErrorCode, PlaybooksError, ValidationError } from '../errors.js';

/**
 * The restart intensity of a supervisor: how many restarts it made in a sliding window. Past
 * the limit, restarting evidently does not help, so the supervisor gives up and escalates.
 */
export class RestartIntensity {
  private times: number[] = [];
  private readonly periodMs: number;

  constructor(
    supervisorId: string,
    private readonly maxRestarts: number,
    periodSeconds: number,
  ) {
    if (!Number.isInteger(maxRestarts) || maxRestarts < 0) {
      throw new ValidationError(`supervisor "${supervisorId}": maxRestarts = ${maxRestarts} is invalid: expected an integer ≥ 0`);
    }
    if (!Number.isFinite(periodSeconds) || periodSeconds <= 0) {
      throw new ValidationError(`supervisor "${supervisorId}": periodSeconds = ${periodSeconds} is invalid: expected a number > 0`);
    }
    this.periodMs = periodSeconds * 1000;
  }

  /** Records a restart at `now` (ms), or returns false, recording nothing, when it would make more than `maxRestarts` in the window. */
  record(now: number): boolean {
    this.times = this.inWindow(now);
    if (this.times.length >= this.maxRestarts) return false;
    this.times.push(now);
    return true;
  }

  /** Restarts recorded within the window that ends at `now` (ms). */
  count(now: number): number {
    return this.inWindow(now).length;
  }

  private inWindow(now: number): number[] {
    return this.times.filter((at) => now - at < this.periodMs);
  }
}

/** The exit error of a supervisor that gave up because its children kept exiting. Code 'SUPERVISOR_ESCALATED'. */
export class SupervisorEscalatedError extends PlaybooksError {
  override readonly name = 'SupervisorEscalatedError';
  constructor(
    readonly supervisorId: string,
    reason: string,
  ) {
    super(ErrorCode.SupervisorEscalated, `supervisor "${supervisorId}" escalated: ${reason}`);
  }
}
