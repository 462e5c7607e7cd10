import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { OutsideAgentError } from '../errors.js';
import { currentPlaybook } from './context.js';
import { continueAsNew as continueRun, durableReceive, durableSend, durableSleep, durableValue, type PayloadSchema } from './durable-calls.js';
import { toMilliseconds, type Duration } from './duration.js';

/*
 * Durable primitives for use inside a playbook. Each is a durable await: its outcome is
 * journaled and checkpointed, and a replay gets the same outcome back. Outside a playbook,
 * sleep/now/random/uuid fall back to their plain, non-durable meaning.
 */

/** Sleeps durably: the deadline is checkpointed, and after a crash the agent wakes at the original time. */
export async function sleep(duration: Duration): Promise<void> {
  const ms = toMilliseconds(duration);
  const current = currentPlaybook();
  if (!current) return void (await delay(ms));
  return durableSleep(current.runtime, current.frame, ms);
}

/** The current time in epoch ms, chosen once and replayed. */
export async function now(): Promise<number> {
  const current = currentPlaybook();
  if (!current) return Date.now();
  return (await durableValue(current.runtime, current.frame, 'now')) as number;
}

/** A random number in [0, 1), chosen once and replayed. */
export async function random(): Promise<number> {
  const current = currentPlaybook();
  if (!current) return Math.random();
  return (await durableValue(current.runtime, current.frame, 'random')) as number;
}

/** A random UUID v4, chosen once and replayed. */
export async function uuid(): Promise<string> {
  const current = currentPlaybook();
  if (!current) return randomUUID();
  return (await durableValue(current.runtime, current.frame, 'uuid')) as string;
}

export interface ReceiveOptions<T> {
  /** A zod schema (or anything with `safeParse`): a message whose payload fails it is rejected with an event, and the agent waits on. */
  schema?: PayloadSchema<T>;
  /** Gives up with a `TimeoutError` after this long (ms or a duration string); the deadline is durable. Default: waits forever. */
  timeoutMs?: Duration;
}

/**
 * Waits durably for the next message of `type` in the agent's inbox and returns its payload.
 * Messages of other types stay in the inbox for a later `receive`.
 */
export async function receive<T = unknown>(type: string, options: ReceiveOptions<T> = {}): Promise<T> {
  const current = currentPlaybook();
  if (!current) throw new OutsideAgentError('receive()');
  const resolved: { schema?: PayloadSchema<T>; timeoutMs?: number } = {};
  if (options.schema) resolved.schema = options.schema;
  if (options.timeoutMs !== undefined) resolved.timeoutMs = toMilliseconds(options.timeoutMs);
  return durableReceive(current.runtime, current.frame, type, resolved);
}

/**
 * Sends a message to another agent's inbox, effectively once (a resend after a crash carries
 * the same message id and is dropped). Inside a playbook only.
 */
export async function send(agentId: string, type: string, payload?: unknown): Promise<void> {
  const current = currentPlaybook();
  if (!current) throw new OutsideAgentError('send()');
  return durableSend(current.runtime, current.frame, agentId, type, payload);
}

/**
 * Ends this run of the agent's playbook and starts it again with `input` and an empty
 * journal, keeping the agent's id and inbox: a long-lived message loop stays small. Call it
 * from the agent's top-level playbook; it never returns.
 */
export async function continueAsNew<Input>(input: Input): Promise<never> {
  const current = currentPlaybook();
  if (!current) throw new OutsideAgentError('continueAsNew()');
  return continueRun(current.runtime, current.frame, input);
}
