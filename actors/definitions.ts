import { ValidationError } from '../errors.js';
import type { Duration } from './duration.js';
import { toMilliseconds } from './duration.js';

/** Retry policy of a step. Delays grow by `backoffFactor` from `initialDelayMs` up to `maxDelayMs`. */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 3; 1 means no retry. */
  maxAttempts?: number;
  /** Delay before the second attempt, in ms. Default 100. */
  initialDelayMs?: number;
  /** Multiplier applied to the delay after each failed attempt. Default 2. */
  backoffFactor?: number;
  /** Upper bound of the delay between attempts, in ms. Default 10,000. */
  maxDelayMs?: number;
}

export interface StepOptions {
  /** How failed attempts are retried. A `TerminalError` is never retried. */
  retry?: RetryPolicy;
  /** Time limit of each attempt (ms or a duration string); a timed-out attempt counts as failed. Default: none. */
  timeoutMs?: Duration;
}

export interface PlaybookOptions {
  /** Your version label for the playbook's code, stored in each checkpoint. Default: none. */
  version?: string;
}

/** @internal Resolved step options. */
export interface StepDefinition {
  name: string;
  fn: (...args: never[]) => unknown;
  retry: Required<RetryPolicy>;
  timeoutMs: number | undefined;
}

/** @internal */
export interface PlaybookDefinition {
  name: string;
  fn: (input: never) => Promise<unknown>;
  version: string | undefined;
}

export const DEFAULT_RETRY: Required<RetryPolicy> = {
  maxAttempts: 3,
  initialDelayMs: 100,
  backoffFactor: 2,
  maxDelayMs: 10_000,
};

export function validateName(what: string, name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/.test(name)) {
    throw new ValidationError(
      `${what} name ${JSON.stringify(name)} is invalid: use 1 to 128 letters, digits, "_", "-", "." or ":", not starting with a symbol`,
    );
  }
  return name;
}

export function resolveStepOptions(name: string, options: StepOptions = {}): Pick<StepDefinition, 'retry' | 'timeoutMs'> {
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const check = (key: keyof RetryPolicy, ok: boolean, allowed: string): void => {
    if (!ok) throw new ValidationError(`step "${name}": retry.${key} = ${String(retry[key])} is invalid: expected ${allowed}`);
  };
  check('maxAttempts', Number.isInteger(retry.maxAttempts) && retry.maxAttempts >= 1, 'an integer ≥ 1');
  check('initialDelayMs', Number.isFinite(retry.initialDelayMs) && retry.initialDelayMs >= 0, 'a number of ms ≥ 0');
  check('backoffFactor', Number.isFinite(retry.backoffFactor) && retry.backoffFactor >= 1, 'a number ≥ 1');
  check('maxDelayMs', Number.isFinite(retry.maxDelayMs) && retry.maxDelayMs >= 0, 'a number of ms ≥ 0');
  const timeoutMs = options.timeoutMs === undefined ? undefined : toMilliseconds(options.timeoutMs);
  if (timeoutMs !== undefined && timeoutMs <= 0) {
    throw new ValidationError(`step "${name}": timeoutMs must be above 0`);
  }
  return { retry, timeoutMs };
}

/** Delay before attempt `attempt + 1`, after `attempt` failed. */
export function retryDelay(retry: Required<RetryPolicy>, attempt: number): number {
  return Math.min(retry.initialDelayMs * retry.backoffFactor ** (attempt - 1), retry.maxDelayMs);
}

const AGENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Agent ids appear in NATS subjects, KV keys and file names: letters, digits, "_" and "-". */
export function validateAgentId(id: unknown): string {
  if (typeof id !== 'string' || !AGENT_ID.test(id)) {
    throw new ValidationError(
      `agent id ${JSON.stringify(id)} is invalid: use 1 to 128 letters, digits, "_" or "-"`,
    );
  }
  return id;
}
