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
 * Runs a step's function with its retry policy and per-attempt timeout; rejects with its last
 * error. (The host is passed as it is, not wrapped in closures, and a first attempt that
 * succeeds costs one promise on top of the step's own: this runs for every step.)
 */
export function runStepAttempts(definition: StepDefinition, args: unknown[], host: StepHost, idempotencyKey: string): Promise<unknown> {
  return attemptWhenAllowed(definition, args, host, idempotencyKey, 1);
}

function attemptWhenAllowed(definition: StepDefinition, args: unknown[], host: StepHost, idempotencyKey: string, attempt: number): Promise<unknown> {
  // Checked in the same turn as the attempt starts, so a host paused before this point
  // (or while a retry waited) starts nothing once it wakes without its lease.
  const may = host.mayAttempt();
  if (may === true) return runAttempt(definition, args, host, idempotencyKey, attempt);
  return may.then((allowed) => {
    if (!allowed) throw new AgentStoppedError(host.agentId);
    return runAttempt(definition, args, host, idempotencyKey, attempt);
  });
}

/** After a failed attempt: the error, or (the policy allows another) the next attempt after its delay. */
async function retryOrThrow(
  thrown: unknown,
  definition: StepDefinition,
  args: unknown[],
  host: StepHost,
  idempotencyKey: string,
  attempt: number,
): Promise<unknown> {
  const error = ensureError(thrown);
  if (error instanceof TerminalError || attempt >= definition.retry.maxAttempts || host.isHalted) throw error;
  const delayMs = retryDelay(definition.retry, attempt);
  host.stepRetrying(definition.name, attempt, error, delayMs);
  await delay(host.clock, delayMs, host.signal);
  return attemptWhenAllowed(definition, args, host, idempotencyKey, attempt + 1);
}

function runAttempt(definition: StepDefinition, args: unknown[], host: StepHost, idempotencyKey: string, attempt: number): Promise<unknown> {
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
  let running: Promise<unknown>;
  try {
    running = Promise.resolve(execution.run({ kind: 'step', step: context }, definition.fn as (...a: unknown[]) => unknown, ...args));
    if (definition.timeoutMs !== undefined) running = withTimeout(running, definition, host.clock, attemptController());
  } catch (thrown) {
    running = Promise.reject(thrown); // a synchronous throw from the step's function fails the attempt like an async one
  }
  return running.then(
    (value) => {
      unlink?.();
      return value;
    },
    (thrown: unknown) => {
      unlink?.();
      return retryOrThrow(thrown, definition, args, host, idempotencyKey, attempt);
    },
  );
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
