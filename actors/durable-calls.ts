import { randomUUID } from 'node:crypto';
import { TimeoutError, ValidationError } from '../errors.js';
import { MISMATCH, type AgentRuntime } from './agent-runtime.js';
import { execution, type FrameCursor } from './context.js';
import type { PlaybookDefinition, StepDefinition } from './definitions.js';
import type { CallSite, JournalEntry } from './journal.js';
import { deserializeError, serializeError, toJournalValue, type SerializedError } from './serialize.js';
import { runStepAttempts } from './step-runner.js';

/*
 * The durable calls a playbook makes. Each one takes the next position in its frame, returns
 * the journaled outcome when replay finds one, and otherwise runs live and records its outcome
 * in the agent's actor. The outcome goes into the next checkpoint write, and the playbook goes
 * on without waiting for that write: nothing it does before its next side effect is seen
 * outside the agent, and every side effect (a step's run, a send, the agent's result) waits
 * until what was recorded before it is stored (`mayAct`). So a step's result and the agent's
 * completion share one write, and a crash before that write loses only what no one saw.
 */

type Outcome = { value?: unknown; error?: SerializedError };

function nextSite(frame: FrameCursor): CallSite {
  return { frame: frame.path, position: frame.next++ };
}

function unwrap(outcome: Outcome | JournalEntry): unknown {
  if (outcome.error) throw deserializeError(outcome.error);
  return outcome.value;
}

/**
 * The idempotency key of the call at `site`: the agent id and the call's position in the call
 * tree (with the run number after a `continueAsNew`).
 */
export function idempotencyKey(rt: AgentRuntime, site: CallSite): string {
  const run = rt.context.run ?? 0;
  return `${rt.agentId}${run > 0 ? `~${run}` : ''}/${[...site.frame, site.position].join('.')}`;
}

/**
 * A step: replayed from the journal, or run (with its retries) and recorded. Promise chains
 * rather than async/await, as in the checkpoint path: this runs for every step, and each
 * await cost a promise more.
 */
export function callStep(rt: AgentRuntime, frame: FrameCursor, step: StepDefinition, args: unknown[]): Promise<unknown> {
  try {
    if (!rt.acceptsCalls) return rt.abandon();
    const site = nextSite(frame);
    const recorded = rt.replay(site, 'step', step.name);
    if (recorded === MISMATCH) return rt.abandon();
    if (recorded) return Promise.resolve(recorded).then(unwrap);
    const may = rt.mayAct();
    if (may === true) return runStepLive(rt, site, step, args);
    if (may === false) return rt.abandon();
    return may.then((allowed) => (allowed ? runStepLive(rt, site, step, args) : rt.abandon()));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Runs the step now; resolves (or rejects) with its outcome once that is checkpointed. */
function runStepLive(rt: AgentRuntime, site: CallSite, step: StepDefinition, args: unknown[]): Promise<unknown> {
  const done = rt.stepStarted();
  return runStepAttempts(step, args, rt, idempotencyKey(rt, site)).then(
    (value) => recordStep(rt, site, step.name, journaled(value, step.name), done),
    (error: unknown) => recordStep(rt, site, step.name, { error: serializeError(error) }, done),
  );
}

function journaled(value: unknown, stepName: string): Outcome {
  try {
    return { value: toJournalValue(value, `result of step "${stepName}"`) };
  } catch (error) {
    return { error: serializeError(error) };
  }
}

/** Records the outcome and gives it back (a value, not a promise: one turn less in a `then`). */
function recordStep(rt: AgentRuntime, site: CallSite, name: string, outcome: Outcome, done: () => void): unknown {
  if (rt.isHalted) {
    done();
    return rt.abandon();
  }
  rt.record({ type: 'STEP.DONE', at: site, name, ...outcome });
  rt.afterCommit(done); // the step counts as in flight until its outcome is stored
  return unwrap(outcome);
}

export async function callPlaybook(rt: AgentRuntime, frame: FrameCursor, child: PlaybookDefinition, input: unknown): Promise<unknown> {
  if (!rt.acceptsCalls) return rt.abandon();
  const site = nextSite(frame);
  const recorded = rt.replay(site, 'call', child.name);
  if (recorded === MISMATCH) return rt.abandon();
  if (recorded?.done) return unwrap(recorded);
  if (!recorded) rt.record({ type: 'CALL.START', at: site, name: child.name });

  const cursor: FrameCursor = { path: [...site.frame, site.position], playbook: child.name, next: 0 };
  const outcome: Outcome = {};
  try {
    const value = await execution.run({ kind: 'playbook', runtime: rt, frame: cursor }, () => child.fn(input as never));
    if (rt.isHalted || !rt.frameReplayedFully(cursor)) return rt.abandon();
    outcome.value = toJournalValue(value, `result of playbook "${child.name}"`);
  } catch (error) {
    outcome.error = serializeError(error);
  }
  if (rt.isHalted) return rt.abandon();
  rt.record({ type: 'CALL.DONE', at: site, name: child.name, ...outcome });
  rt.commitSoon();
  return unwrap(outcome);
}

export async function durableSleep(rt: AgentRuntime, frame: FrameCursor, ms: number): Promise<void> {
  if (!rt.acceptsCalls) return rt.abandon();
  const site = nextSite(frame);
  const recorded = rt.replay(site, 'sleep', 'sleep');
  if (recorded === MISMATCH) return rt.abandon();
  if (recorded?.done) return;
  let until = recorded?.until;
  if (until === undefined) {
    // The deadline is stored before the sleep starts, so it survives a crash unchanged.
    until = rt.clock.now() + ms;
    rt.record({ type: 'SLEEP.START', at: site, until });
    rt.emit({ type: 'waiting', for: 'sleep', name: 'sleep', until });
    await rt.commit();
  }
  await rt.waits.until(until);
  if (rt.isHalted) return rt.abandon();
  rt.record({ type: 'SLEEP.DONE', at: site });
}

/** A schema with zod's `safeParse` shape. */
export interface PayloadSchema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { message: string; issues?: SchemaIssue[] } };
}

interface SchemaIssue {
  path?: readonly PropertyKey[];
  message: string;
}

/** A schema failure on one line: "approved: expected boolean, received string; by: required". */
function schemaProblems(error: { message: string; issues?: SchemaIssue[] }): string {
  if (!error.issues?.length) return error.message;
  return error.issues.map((issue) => (issue.path?.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message)).join('; ');
}

export async function durableReceive<T>(
  rt: AgentRuntime,
  frame: FrameCursor,
  type: string,
  options: { schema?: PayloadSchema<T>; timeoutMs?: number },
): Promise<T> {
  if (!rt.acceptsCalls) return rt.abandon();
  const site = nextSite(frame);
  const recorded = rt.replay(site, 'receive', type);
  if (recorded === MISMATCH) return rt.abandon();
  const timedOut = (): TimeoutError =>
    new TimeoutError(`receive "${type}" timed out after ${options.timeoutMs ?? 0} ms`);
  if (recorded?.done) {
    if (recorded.timedOut) throw timedOut();
    return recorded.value as T;
  }

  const until = recorded ? recorded.until : options.timeoutMs === undefined ? undefined : rt.clock.now() + options.timeoutMs;
  let waitRecorded = recorded !== undefined;
  for (;;) {
    const message = rt.firstMessage(type);
    if (message) {
      const checked = options.schema ? options.schema.safeParse(message.payload) : { success: true as const, data: message.payload as T };
      if (!checked.success) {
        const reason = `payload does not match the schema of receive("${type}"): ${schemaProblems(checked.error)}`;
        rt.logger.warn({ messageId: message.id, messageType: type, reason }, 'message rejected');
        rt.record({ type: 'MESSAGE.REJECTED', messageId: message.id });
        rt.emit({ type: 'message.rejected', messageType: type, reason });
        continue;
      }
      const value = toJournalValue(checked.data, `payload of message "${type}"`);
      rt.record({ type: 'MESSAGE.CONSUMED', at: site, messageId: message.id, value });
      rt.commitSoon();
      return value as T;
    }
    if (await rt.catchUpInbox()) continue;
    if (until !== undefined && rt.clock.now() >= until) {
      rt.record({ type: 'RECEIVE.TIMEOUT', at: site });
      await rt.commit();
      throw timedOut();
    }
    if (!waitRecorded) {
      waitRecorded = true;
      rt.record({ type: 'RECEIVE.WAIT', at: site, messageType: type, ...(until === undefined ? {} : { until }) });
      rt.emit({ type: 'waiting', for: 'receive', name: type, ...(until === undefined ? {} : { until }) });
      await rt.commit();
      continue;
    }
    await rt.waits.message(until);
    if (rt.isHalted) return rt.abandon();
  }
}

export type ValueKind = 'now' | 'random' | 'uuid';

const produce: Record<ValueKind, (rt: AgentRuntime) => unknown> = {
  now: (rt) => rt.clock.now(),
  random: () => Math.random(),
  uuid: () => randomUUID(),
};

/** `now()`, `random()`, `uuid()`: a value chosen once, journaled, and the same on every replay. */
export async function durableValue(rt: AgentRuntime, frame: FrameCursor, kind: ValueKind): Promise<unknown> {
  if (!rt.acceptsCalls) return rt.abandon();
  const site = nextSite(frame);
  const recorded = rt.replay(site, kind, kind);
  if (recorded === MISMATCH) return rt.abandon();
  if (recorded) return recorded.value;
  const value = produce[kind](rt);
  rt.record({ type: 'VALUE', at: site, kind, value });
  rt.commitSoon();
  return value;
}

/**
 * Sends a message to another agent, effectively once: the send is journaled like a step, and
 * its message id (this call's idempotency key) lets the transport and the receiver drop a
 * resend after a crash.
 */
export async function durableSend(rt: AgentRuntime, frame: FrameCursor, target: string, type: string, payload: unknown): Promise<void> {
  if (!rt.acceptsCalls) return rt.abandon();
  const site = nextSite(frame);
  const name = `${target}:${type}`;
  const recorded = rt.replay(site, 'send', name);
  if (recorded === MISMATCH) return rt.abandon();
  if (recorded) return void unwrap(recorded);
  const may = rt.mayAct();
  if (may !== true && !(await may)) return rt.abandon();
  const outcome: Outcome = {};
  try {
    await rt.sendToAgent(target, type, toJournalValue(payload, `payload of message "${type}"`), idempotencyKey(rt, site));
  } catch (error) {
    outcome.error = serializeError(error);
  }
  if (rt.isHalted) return rt.abandon();
  rt.record({ type: 'STEP.DONE', at: site, name, kind: 'send', ...outcome });
  rt.commitSoon();
  unwrap(outcome);
}

/**
 * Ends this run of the agent's playbook and starts it again with `input` and an empty journal
 * (the inbox is kept), so a long-lived loop keeps its checkpoint small.
 */
export async function continueAsNew(rt: AgentRuntime, frame: FrameCursor, input: unknown): Promise<never> {
  if (!rt.acceptsCalls) return rt.abandon();
  if (frame.path.length > 0) {
    throw new ValidationError(`continueAsNew() must be called by the agent's own playbook, not by the nested "${frame.playbook}"`);
  }
  rt.record({ type: 'CONTINUE', input: toJournalValue(input, 'input of continueAsNew') });
  await rt.commit();
  rt.run();
  return rt.abandon();
}
