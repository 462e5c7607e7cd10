import { currentPlaybook } from './context.js';
import { callPlaybook, callStep } from './durable-calls.js';
import {
  resolveStepOptions,
  validateName,
  type PlaybookDefinition,
  type PlaybookOptions,
  type StepDefinition,
  type StepOptions,
} from './definitions.js';

const PLAYBOOK = Symbol.for('durable-playbooks.playbook');
const STEP = Symbol.for('durable-playbooks.step');

/**
 * A playbook: an async function whose durable awaits are checkpoints. Spawned by a host it is
 * an agent's entry point; awaited inside another playbook it is a nested call (a frame on the
 * agent's call stack); called anywhere else it simply runs.
 */
export interface Playbook<Input = void, Output = unknown> {
  (input: Input): Promise<Output>;
  /** The playbook's name, as stored in checkpoints. */
  readonly name: string;
  readonly version: string | undefined;
  /** @internal */
  readonly [PLAYBOOK]: PlaybookDefinition;
}

/** A step: a side effect whose result is journaled, so it never runs again once checkpointed. */
export interface Step<Args extends unknown[] = unknown[], Result = unknown> {
  (...args: Args): Promise<Result>;
  readonly name: string;
  /** @internal */
  readonly [STEP]: StepDefinition;
}

export function playbook<Input = void, Output = unknown>(
  name: string,
  fn: (input: Input) => Promise<Output>,
  options: PlaybookOptions = {},
): Playbook<Input, Output> {
  const definition: PlaybookDefinition = {
    name: validateName('playbook', name),
    fn: fn as PlaybookDefinition['fn'],
    version: options.version,
  };
  const call = (input: Input): Promise<Output> => {
    const current = currentPlaybook();
    if (!current) return fn(input);
    return callPlaybook(current.runtime, current.frame, definition, input) as Promise<Output>;
  };
  Object.defineProperty(call, 'name', { value: definition.name });
  return Object.assign(call, { version: definition.version, [PLAYBOOK]: definition }) as Playbook<Input, Output>;
}

export function step<Args extends unknown[], Result>(
  name: string,
  fn: (...args: Args) => Promise<Result> | Result,
  options?: StepOptions,
): Step<Args, Awaited<Result>> {
  const definition: StepDefinition = {
    name: validateName('step', name),
    fn: fn as StepDefinition['fn'],
    ...resolveStepOptions(name, options),
  };
  // Not an async function: inside a playbook it returns callStep's own promise, without
  // wrapping it in another one (each wrapper costs a promise and microtask turns per step).
  const call = (...args: Args): Promise<Awaited<Result>> => {
    const current = currentPlaybook();
    if (!current) return runOutside(fn, args);
    return callStep(current.runtime, current.frame, definition, args) as Promise<Awaited<Result>>;
  };
  Object.defineProperty(call, 'name', { value: definition.name });
  return Object.assign(call, { [STEP]: definition }) as Step<Args, Awaited<Result>>;
}

/** Outside a playbook a step just runs (a synchronous throw becomes a rejection). */
async function runOutside<Args extends unknown[], Result>(fn: (...args: Args) => Promise<Result> | Result, args: Args): Promise<Awaited<Result>> {
  return (await fn(...args)) as Awaited<Result>;
}

export function isPlaybook(value: unknown): value is Playbook<never, unknown> {
  return typeof value === 'function' && PLAYBOOK in value;
}

/** @internal */
export function definitionOf(pb: Playbook<never, unknown>): PlaybookDefinition {
  return pb[PLAYBOOK];
}
