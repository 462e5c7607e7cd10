import { AsyncLocalStorage } from 'node:async_hooks';
import { OutsideAgentError } from '../errors.js';
import type { AgentRuntime } from './agent-runtime.js';

/** What a running step can know about itself. */
export interface StepContext {
  agentId: string;
  /** The step's name. */
  step: string;
  /**
   * Stable across retries, crashes and resumes: the agent id and the step's position in the
   * call tree. Give it to external systems so they can deduplicate an at-least-once step.
   */
  idempotencyKey: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the attempt times out or the agent stops. */
  signal: AbortSignal;
}

/** The replay cursor of one playbook frame: its path in the call tree and its next call position. */
export interface FrameCursor {
  readonly path: readonly number[];
  readonly playbook: string;
  next: number;
}

export type Execution =
  | { kind: 'playbook'; runtime: AgentRuntime; frame: FrameCursor }
  | { kind: 'step'; step: StepContext };

/**
 * The agent and frame (or step) the current async call chain belongs to. Shared through the
 * global symbol registry: if a second copy of this package gets loaded (a module compiled to
 * CommonJS, another install path), its steps still see the agent they run in, instead of
 * quietly running without checkpoints.
 */
export const execution: AsyncLocalStorage<Execution> = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('durable-playbooks.execution')
] ??= new AsyncLocalStorage<Execution>()) as AsyncLocalStorage<Execution>;

export function currentPlaybook(): { runtime: AgentRuntime; frame: FrameCursor } | undefined {
  const current = execution.getStore();
  return current?.kind === 'playbook' ? current : undefined;
}

/** The context of the step running now. Throws outside a journaled step. */
export function stepContext(): StepContext {
  const current = execution.getStore();
  if (current?.kind !== 'step') throw new OutsideAgentError('stepContext()');
  return current.step;
}
