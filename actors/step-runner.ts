import { AgentStoppedError, ensureError, TerminalError, TimeoutError } from '../errors.js';
import type { Clock } from './clock.js';
import { execution, type StepContext } from './context.js';
import { retryDelay, type StepDefinition } from './definitions.js';

/** What runs a step's attempts: the agent's runtime. */
export interface StepHost {
  readonly agentId: string;
  readonly clock: Clock;
  /** Aborted when the agent stops: no further attempt starts. (A getter: made only if needed.) */
  readonly signal: AbortSignal;
  /** The agent halted: no further attempt starts. */
  readonly isHalted: boolean;
  /**
   * Checked right before each attempt starts: `true` when the host may act for the agent now;
   * otherwise waits for that (its lease renewed) and says whether the agent still runs here.
   */
  mayAttempt(): true | Promise<boolean>;
  stepRetrying(step: string, attempt: number, error: Error, delayMs: number): void;
}

/**
 * Runs a step's function with its retry policy and per-attempt timeout; throws its last error.
 * (The host is passed as it is, not wrapped in closures: this runs for every step.)
 */
export async function runStepAttempts(definition: StepDefinition, args: unknown[], host: StepHost, idempotencyKey: string): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    // Checked in the same turn as the attempt starts, so a host paused before this point
    // (or while a retry waited) starts nothing once it wakes without its lease.
    const may = host.mayAttempt();
    if (may !== true && !(await may)) throw new AgentStoppedError(host.agentId);
    try {
      return await runAttempt(definition, args, host, idempotencyKey, attempt);
    } catch (thrown) {
      const error = ensureError(thrown);
      if (error instanceof TerminalError || attempt >= definition.retry.maxAttempts || host.isHalted) {
        throw error;
      }
      const delayMs = retryDelay(definition.retry, attempt);
      host.stepRetrying(definition.name, attempt, error, delayMs);
      await delay(host.clock, delayMs, host.signal);
    }
  }
}

async function runAttempt(definition: StepDefinition, args: unknown[], host: StepHost, idempotencyKey: string, attempt: number): Promise<unknown> {
  // The attempt's AbortController is made only when something needs it (a timeout, or the
  // step reading its signal): most steps never look, and making one per step is not free.
  let controller: AbortController | undefined;
  let unlink: (() => void) | undefined;
  const attemptController = (): AbortController => {
    if (controller) return controller;
    const made = new AbortController();
    controller = made;
    const agentSignal = host.signal;
    if (agentSignal.aborted) made.abort(agentSignal.reason);
    else {
      const abort = (): void => made.abort(agentSignal.reason);
      agentSignal.addEventListener('abort', abort, { once: true });
      unlink = () => agentSignal.removeEventListener('abort', abort);
    }
    return made;
  };
  const context: StepContext = {
    agentId: host.agentId,
    step: definition.name,
    idempotencyKey,
    attempt,
    get signal() {
      return attemptController().signal;
    },
  };
  try {
    // A synchronous throw from the step's function rejects this attempt, like an async one.
    const attempt = execution.run({ kind: 'step', step: context }, definition.fn as (...a: unknown[]) => unknown, ...args);
    if (definition.timeoutMs === undefined) return await attempt;
    return await withTimeout(Promise.resolve(attempt), definition, host.clock, attemptController());
  } finally {
    unlink?.();
  }
}

function withTimeout(
  attempt: Promise<unknown>,
  definition: StepDefinition,
  clock: Clock,
  controller: AbortController,
): Promise<unknown> {
  const timeoutMs = definition.timeoutMs!;
  return new Promise((resolve, reject) => {
    const timer = clock.setTimer(() => {
      const error = new TimeoutError(`step "${definition.name}" timed out after ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    attempt.then(
      (value) => {
        clock.clearTimer(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimer(timer);
        reject(error);
      },
    );
  });
}

function delay(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = clock.setTimer(() => {
      signal.removeEventListener('abort', cancel);
      resolve();
    }, ms);
    const cancel = (): void => {
      clock.clearTimer(timer);
      resolve();
    };
    signal.addEventListener('abort', cancel, { once: true });
  });
}
