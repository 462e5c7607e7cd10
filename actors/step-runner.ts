import { AgentStoppedError, ensureError, TerminalError, TimeoutError } from '../errors.js';
import type { Clock } from './clock.js';
import { execution, type StepContext } from './context.js';
import { retryDelay, type StepDefinition } from './definitions.js';

export interface StepRun {
  agentId: string;
  idempotencyKey: string;
  clock: Clock;
  /** Aborted when the agent stops: no further attempt starts. (A function: made only if needed.) */
  agentSignal: () => AbortSignal;
  /** The agent halted: no further attempt starts. */
  agentHalted: () => boolean;
  onRetry: (attempt: number, error: Error, delayMs: number) => void;
  /**
   * Checked right before each attempt starts: `true` when the host may act for the agent now;
   * otherwise waits for that (its lease renewed) and says whether the agent still runs here.
   */
  mayAttempt: () => true | Promise<boolean>;
}

/** Runs a step's function with its retry policy and per-attempt timeout; throws its last error. */
export async function runStepAttempts(definition: StepDefinition, args: unknown[], run: StepRun): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    // Checked in the same turn as the attempt starts, so a host paused before this point
    // (or while a retry waited) starts nothing once it wakes without its lease.
    const may = run.mayAttempt();
    if (may !== true && !(await may)) throw new AgentStoppedError(run.agentId);
    try {
      return await runAttempt(definition, args, run, attempt);
    } catch (thrown) {
      const error = ensureError(thrown);
      if (error instanceof TerminalError || attempt >= definition.retry.maxAttempts || run.agentHalted()) {
        throw error;
      }
      const delayMs = retryDelay(definition.retry, attempt);
      run.onRetry(attempt, error, delayMs);
      await delay(run.clock, delayMs, run.agentSignal());
    }
  }
}

async function runAttempt(definition: StepDefinition, args: unknown[], run: StepRun, attempt: number): Promise<unknown> {
  // The attempt's AbortController is made only when something needs it (a timeout, or the
  // step reading its signal): most steps never look, and making one per step is not free.
  let controller: AbortController | undefined;
  let unlink: (() => void) | undefined;
  const attemptController = (): AbortController => {
    if (controller) return controller;
    const made = new AbortController();
    controller = made;
    const agentSignal = run.agentSignal();
    if (agentSignal.aborted) made.abort(agentSignal.reason);
    else {
      const abort = (): void => made.abort(agentSignal.reason);
      agentSignal.addEventListener('abort', abort, { once: true });
      unlink = () => agentSignal.removeEventListener('abort', abort);
    }
    return made;
  };
  const context: StepContext = {
    agentId: run.agentId,
    step: definition.name,
    idempotencyKey: run.idempotencyKey,
    attempt,
    get signal() {
      return attemptController().signal;
    },
  };
  try {
    // A synchronous throw from the step's function rejects this attempt, like an async one.
    const attempt = execution.run({ kind: 'step', step: context }, definition.fn as (...a: unknown[]) => unknown, ...args);
    if (definition.timeoutMs === undefined) return await attempt;
    return await withTimeout(Promise.resolve(attempt), definition, run.clock, attemptController());
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
