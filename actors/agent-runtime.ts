import { createActor, type Actor } from 'xstate';
import {
  AgentNotRunningError,
  AgentStoppedError,
  CheckpointConflictError,
  CheckpointTooLargeError,
  HostClosedError,
  NonDeterminismError,
  ValidationError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { CheckpointWriter } from '../persistence/checkpoint-writer.js';
import type { PersistedAgentSnapshot } from '../persistence/envelope.js';
import {
  agentMachine,
  describeEvent,
  isFinished,
  stateOf,
  type AgentContext,
  type AgentEvent,
  type AgentState,
  type InboxMessage,
} from './agent-machine.js';
import { CheckpointPipeline, type CheckpointContent, type CheckpointSource } from './checkpoint-pipeline.js';
import { ALWAYS_OPEN, type ActGate } from './act-gate.js';
import { AgentWaits } from './agent-waits.js';
import { StepsInFlight } from './steps-in-flight.js';
import { persistedSnapshot } from './persisted-snapshot.js';
import type { Clock } from './clock.js';
import { execution, type FrameCursor } from './context.js';
import type { PlaybookDefinition } from './definitions.js';
import type { AgentEventBody } from './events.js';
import type { AgentStatus, RunningAgent } from './running-agent.js';
import { AgentInbox, type InboxChannel, type InboxMessageBody, type InboxSink } from '../messaging/agent-inbox.js';
import { callStack, pendingWaits, type CallSite, type JournalEntry } from './journal.js';
import { callLeftUnreplayed, journaledCall } from './replay-check.js';
import { deserializeError, serializeError, toJournalValue, type SerializedError } from './serialize.js';
import type { StepHost } from './step-runner.js';

export interface AgentRuntimeOptions {
  agentId: string;
  definition: PlaybookDefinition;
  /** The snapshot to resume from; absent for a new agent. */
  snapshot?: PersistedAgentSnapshot;
  /** Input of a new agent. */
  input?: unknown;
  /** The snapshot is of a stopped agent that should run again. */
  resumeStopped?: boolean;
  /** Absent when durability is off. */
  writer: CheckpointWriter | undefined;
  /** The agent's inbox on NATS; absent when messages are delivered in-process. */
  inbox?: InboxChannel | undefined;
  /** Inbox stream position stored in the checkpoint resumed from. */
  inboxCursor?: number | undefined;
  /** How durable `send` reaches another agent. */
  sendToAgent: (agentId: string, type: string, payload: unknown, msgId: string) => Promise<void>;
  /** Closed while the host may not act for its agents (its lease lapsed). Default: always open. */
  gate?: ActGate | undefined;
  /** The store's `keep_last_n`: inbox messages are deleted once every kept checkpoint is past them. */
  keepLastN?: number | undefined;
  clock: Clock;
  logger: Logger;
  emit: (event: AgentEventBody) => void;
}

type HaltReason = 'completed' | 'failed' | 'stopped' | 'detached' | 'fenced';

/** Returned by `replay` when the journal does not match: the agent has been failed. */
export const MISMATCH = Symbol('journal mismatch');

const NEVER = new Promise<never>(() => undefined);
const nothing = (): void => undefined;

/**
 * One running agent: its XState actor (the journal lives in the actor's context), the
 * pipeline that checkpoints the actor's snapshot, and the timers and waiters of its durable
 * waits. Durable calls (see `durable-calls.ts`) read the journal through `replay` and record
 * through `record` + `commit`.
 *
 * Once the agent halts (finished, stopped, fenced, or its host closed), every durable call
 * and every pending commit stays pending forever: the playbook code is abandoned exactly as
 * a crash would abandon it, and never observes a half-finished state.
 */
export class AgentRuntime implements RunningAgent, CheckpointSource, InboxSink, StepHost {
  readonly agentId: string;
  readonly definition: PlaybookDefinition;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly emit: (event: AgentEventBody) => void;
  readonly sendToAgent: AgentRuntimeOptions['sendToAgent'];
  readonly gate: ActGate;
  private readonly inbox: AgentInbox | undefined;
  private readonly actor: Actor<typeof agentMachine>;
  private readonly writer: CheckpointWriter | undefined;
  /** Made on first use: most agents never hand their signal to anyone. */
  private abortController: AbortController | undefined;
  private readonly pipeline: CheckpointPipeline | undefined;
  private readonly armed: AgentWaits;
  private readonly outcome: Promise<unknown>;
  private settle!: { resolve: (value: unknown) => void; reject: (error: Error) => void };
  private halted: HaltReason | undefined;
  /** What was recorded since the last checkpoint was taken, for the `checkpointed` event. */
  private recorded: string[] = [];
  private draining = false;
  private inboxCaughtUp = false;
  private waitingSince: number | undefined;
  private readonly steps = new StepsInFlight();
  /** Set when the agent failed because its state could not be stored (the actor never saw it). */
  private storeFailure: SerializedError | undefined;

  constructor(options: AgentRuntimeOptions) {
    this.agentId = options.agentId;
    this.definition = options.definition;
    this.writer = options.writer;
    this.clock = options.clock;
    this.armed = new AgentWaits(options.clock);
    this.logger = options.logger;
    this.emit = options.emit;
    this.sendToAgent = options.sendToAgent;
    this.gate = options.gate ?? ALWAYS_OPEN;
    this.inbox = options.inbox && new AgentInbox(options.inbox, options.inboxCursor ?? 0, this, this.gate, options.keepLastN);
    this.outcome = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.outcome.catch(() => undefined); // a result nobody asks for is not an unhandled rejection
    const input = { agentId: this.agentId, playbook: this.definition.name, input: options.input };
    this.actor = options.snapshot
      ? createActor(agentMachine, { snapshot: options.snapshot as never, input })
      : createActor(agentMachine, { input });
    this.actor.start();
    this.pipeline = this.writer && new CheckpointPipeline(this.writer, this, this.clock, this.logger, this.emit, this.gate);
    if (options.resumeStopped && this.state === 'stopped') this.actor.send({ type: 'RESUME' });
    this.settleIfFinished();
    if (this.state === 'waiting') this.waitingSince = this.clock.now();
  }

  get name(): string {
    return this.definition.name;
  }

  get context(): AgentContext {
    return this.actor.getSnapshot().context;
  }

  get state(): AgentState {
    return this.storeFailure ? 'failed' : stateOf(this.actor.getSnapshot());
  }

  get seq(): number {
    return this.writer?.seq ?? 0;
  }

  get isHalted(): boolean {
    return this.halted !== undefined;
  }

  /** False once the agent halted or drains: a new durable call is abandoned. */
  get acceptsCalls(): boolean {
    return this.halted === undefined && !this.draining;
  }

  /**
   * Before a side effect (a step runs, a message is sent): waits, if need be, until everything
   * recorded so far is checkpointed and the host may act for the agent; false if the agent
   * halted meanwhile (it was taken over, say). Persist first, then act: the playbook goes on
   * past a durable call before its outcome is stored, but no effect starts until it is.
   */
  mayAct(): boolean | Promise<boolean> {
    // Synchronous in the common case of a step that follows a wait or starts a branch: no
    // promise, no turn lost before the call starts.
    if (!this.pipeline || (this.recorded.length === 0 && !this.pipeline.isWriting)) return this.mayActNow();
    return new Promise((resolve) => this.afterStoredSoFar(() => resolve(this.mayActNow())));
  }

  /** Once what came before is stored: whether the host may act (after its lease, if lapsed). */
  private mayActNow(): boolean | Promise<boolean> {
    return this.gate.isValid ? this.acceptsCalls : this.gate.whenValid().then(() => this.acceptsCalls);
  }

  /** Calls `stored` once everything recorded so far is checkpointed; never, if the agent halts first. */
  private afterStoredSoFar(stored: () => void): void {
    if (this.recorded.length > 0) this.afterCommit(stored); // not yet taken by a write: the next write holds it
    else this.pipeline?.afterWriteInFlight(stored);
  }

  /**
   * Before each attempt of a step: `true` at once if the host may act now (the common case,
   * no promise made); else waits for its lease and says whether the agent still runs here. A
   * draining agent finishes its steps in flight, retries included.
   */
  mayAttempt(): true | Promise<boolean> {
    if (this.gate.isValid && !this.halted) return true;
    return (async () => {
      if (!this.gate.isValid) await this.gate.whenValid();
      return !this.halted;
    })();
  }

  /** A step's attempt failed and it is tried again after `delayMs`. */
  stepRetrying(step: string, attempt: number, error: Error, delayMs: number): void {
    this.logger.warn({ step, attempt, delayMs, err: error }, 'step failed; retrying');
    this.emit({ type: 'step.retrying', step, attempt, delayMs, error: serializeError(error) });
  }

  /** After the host's lease lapsed: if another host wrote a newer checkpoint, this copy stops. */
  async verifyOwnership(): Promise<void> {
    if (this.halted || !this.writer || (await this.writer.stillLatest())) return;
    this.fence(new CheckpointConflictError(this.agentId, this.writer.seq + 1));
  }

  /** Counts a step in flight; call the returned function when its outcome is checkpointed. */
  stepStarted(): () => void {
    return this.steps.started();
  }

  /**
   * Graceful shutdown: no new durable call starts; steps in flight get up to `graceMs` to
   * finish and be checkpointed; then the agent is let go of as by `detach`.
   */
  async drain(graceMs: number): Promise<void> {
    if (this.halted) return this.detach();
    this.draining = true;
    await this.steps.settle(graceMs, this.clock);
    await this.detach();
  }

  /** Aborted when the agent halts; given to steps so they can cancel their work. */
  get signal(): AbortSignal {
    this.abortController ??= new AbortController();
    if (this.halted && !this.abortController.signal.aborted) this.abortController.abort(new AgentStoppedError(this.agentId));
    return this.abortController.signal;
  }

  result(): Promise<unknown> {
    return this.outcome;
  }

  status(): AgentStatus {
    const context = this.context;
    const status: AgentStatus = {
      agentId: this.agentId,
      state: this.state,
      seq: this.seq,
      playbook: context.playbook,
      callStack: isFinished(this.state) ? [] : callStack(context.journal),
    };
    const error = this.storeFailure ?? context.error;
    if (error) status.error = error;
    if (this.pipeline?.blockedOn) status.blockedOn = this.pipeline.blockedOn;
    return status;
  }

  /**
   * Writes a checkpoint of the current state outside the commit pipeline, so a conflict or
   * any other store error reaches the caller: the first checkpoint of a new agent (its input),
   * or the claim a host writes before resuming an agent (only one host can win it).
   */
  async persistNew(recorded = 'spawned'): Promise<void> {
    if (!this.writer) return;
    const started = performance.now();
    const snapshot = persistedSnapshot(this.actor.getSnapshot());
    const { seq, bytes } = await this.writer.write(snapshot, this.state, this.context.error, this.inbox?.position ?? 0);
    const durationMs = performance.now() - started;
    this.emit({ type: 'checkpointed', seq, state: this.state, bytes, durationMs, recorded: [recorded] });
  }

  /** Runs (or, from a restored snapshot, replays then continues) the playbook. */
  run(): void {
    if (this.halted || isFinished(this.state) || this.state === 'stopped') return;
    const root: FrameCursor = { path: [], playbook: this.definition.name, next: 0 };
    const input = this.context.input;
    execution
      .run({ kind: 'playbook', runtime: this, frame: root }, () => this.definition.fn(input as never))
      .then(
        (value) => this.complete(root, value),
        (error: unknown) => this.failFromPlaybook(error),
      );
  }

  /**
   * Stores a message for the agent; resolves once it is stored durably: in a checkpoint, or,
   * with NATS, in the inbox stream (from which the agent takes it).
   */
  async deliver(type: string, payload: unknown, msgId?: string): Promise<void> {
    if (typeof type !== 'string' || type.length === 0) {
      throw new ValidationError('a message needs a non-empty string "type"');
    }
    if (this.halted === 'detached') throw new HostClosedError(this.agentId);
    if (this.halted || this.state === 'stopped') throw new AgentNotRunningError(this.agentId, this.state);
    const value = toJournalValue(payload, `payload of message "${type}"`);
    if (this.inbox) return this.inbox.channel.publish(type, value, msgId);
    if (!this.accept({ type, payload: value, ...(msgId === undefined ? {} : { msgId }) })) return;
    await this.enqueueWrite('outside');
  }

  /** Something may be waiting in the agent's inbox on NATS. */
  wakeInbox(): void {
    this.inbox?.wake();
  }

  /**
   * Before a receive waits for the first time in this run: take what came to the inbox while
   * no host ran the agent. (Done on demand, so an agent that never receives costs no read.)
   * Resolves to true if it looked.
   */
  async catchUpInbox(): Promise<boolean> {
    if (!this.inbox || this.inboxCaughtUp) return false;
    this.inboxCaughtUp = true;
    await this.inbox.pull();
    return true;
  }

  // ---- InboxSink (what the inbox hands over) ---------------------------------------------

  /** Puts a message in the journal's inbox; false when it is a republished duplicate. */
  accept(body: InboxMessageBody): boolean {
    if (body.msgId !== undefined && this.context.recentMessageIds?.includes(body.msgId)) {
      this.logger.debug({ msgId: body.msgId, messageType: body.type }, 'duplicate message dropped');
      return false;
    }
    const message: Omit<InboxMessage, 'id'> = { type: body.type, payload: body.payload, sentAt: this.clock.now() };
    if (body.msgId !== undefined) message.msgId = body.msgId;
    this.record({ type: 'MESSAGE.SENT', message });
    this.armed.messageArrived();
    return true;
  }

  reject(reason: string, messageType: string | undefined): void {
    this.logger.warn({ reason, messageType }, 'message rejected');
    this.emit({ type: 'message.rejected', messageType: messageType ?? '', reason });
  }

  /** Stops the agent for good: a final checkpoint with state "stopped". */
  async stop(): Promise<void> {
    if (this.halted) return;
    this.halt('stopped');
    this.record({ type: 'STOP' });
    this.settle.reject(new AgentStoppedError(this.agentId));
    this.emit({ type: 'stopped' });
    await this.enqueueWrite('outside');
  }

  /**
   * Lets go of the agent without changing its state (the host is closing): pending checkpoints
   * are written, timers cleared, and the agent resumes wherever a host recovers it.
   */
  async detach(): Promise<void> {
    if (!this.halted) {
      this.halt('detached');
      this.settle.reject(new HostClosedError(this.agentId));
    }
    await this.pipeline?.drain();
  }

  // ---- used by durable calls -------------------------------------------------------------

  record(event: AgentEvent): void {
    this.actor.send(event);
    this.recorded.push(describeEvent(event));
    const waiting = this.state === 'waiting';
    if (waiting && this.waitingSince === undefined) this.waitingSince = this.clock.now();
    else if (!waiting) this.waitingSince = undefined;
  }

  idleSince(): number | undefined {
    return this.halted ? undefined : this.waitingSince;
  }

  nextWakeAt(): number | undefined {
    const deadlines = pendingWaits(this.context.journal).flatMap((wait) => (wait.until === undefined ? [] : [wait.until]));
    return deadlines.length ? Math.min(...deadlines) : undefined;
  }

  /** Resolves once the current state is checkpointed; never, if the agent halts first. */
  commit(): Promise<void> {
    return this.halted ? NEVER : this.enqueueWrite();
  }

  /** `commit` with a callback, for the hot path: no promise made. */
  afterCommit(stored: () => void): void {
    if (this.halted) return;
    if (this.pipeline) this.pipeline.afterCommit(stored);
    else stored();
  }

  /** The current state goes into the next checkpoint write; nothing waits for it here. */
  commitSoon(): void {
    this.afterCommit(nothing);
  }

  /** Never settles: what a durable call returns once its agent has halted. */
  abandon(): Promise<never> {
    return NEVER;
  }

  /**
   * The journal entry at `site` from an earlier run, if any. A recorded call of another kind or
   * name means the code changed under the agent: the agent fails with a `NonDeterminismError`.
   */
  replay(site: CallSite, kind: JournalEntry['kind'], name: string): JournalEntry | undefined | typeof MISMATCH {
    const found = journaledCall(this, site, kind, name);
    if (!(found instanceof NonDeterminismError)) return found;
    this.failAgent(found);
    return MISMATCH;
  }

  /** Checks, as a frame returns, that replay used every call its journal recorded. */
  frameReplayedFully(cursor: FrameCursor): boolean {
    const mismatch = callLeftUnreplayed(this, cursor);
    if (mismatch) this.failAgent(mismatch);
    return mismatch === undefined;
  }

  /** The agent's armed timers and message waiters. */
  get waits(): AgentWaits {
    return this.armed;
  }

  firstMessage(type: string): InboxMessage | undefined {
    return this.context.inbox.find((m) => m.type === type);
  }

  // ---- internals -------------------------------------------------------------------------

  private halt(reason: HaltReason): void {
    this.halted = reason;
    this.armed.cancelAll();
    // Steps still running are told why; a finished agent normally has none (and building an
    // error, with its stack, for every completion is not free).
    if (this.abortController && (this.steps.any || reason !== 'completed')) {
      this.abortController.abort(new AgentStoppedError(this.agentId));
    }
  }

  private async complete(root: FrameCursor, value: unknown): Promise<void> {
    if (this.halted || !this.frameReplayedFully(root)) return;
    let result: unknown;
    try {
      result = toJournalValue(value, `result of playbook "${this.definition.name}"`);
    } catch (error) {
      return this.failFromPlaybook(error);
    }
    this.record({ type: 'DONE', result });
    await this.finish('completed');
  }

  private async failFromPlaybook(thrown: unknown): Promise<void> {
    if (this.halted) return;
    this.record({ type: 'FAIL', error: serializeError(thrown) });
    await this.finish('failed');
  }

  /** Fails the agent from outside the playbook's own flow (non-determinism, a write that cannot succeed). */
  private failAgent(error: Error): void {
    if (this.halted) return;
    this.record({ type: 'FAIL', error: serializeError(error) });
    void this.finish('failed');
  }

  private async finish(reason: 'completed' | 'failed'): Promise<void> {
    this.halt(reason);
    await this.enqueueWrite();
    if (this.storeFailure || this.halted !== reason) return; // fenced or failed while writing
    this.settleIfFinished();
    const context = this.context;
    if (reason === 'completed') this.inbox?.finished();
    if (reason === 'completed') this.emit({ type: 'completed', result: context.result });
    else this.emit({ type: 'failed', error: context.error! });
  }

  private settleIfFinished(): void {
    const state = this.state;
    const context = this.context;
    if (state === 'completed') this.settle.resolve(context.result);
    else if (state === 'failed') this.settle.reject(deserializeError(context.error!));
    else if (state === 'stopped') this.settle.reject(new AgentStoppedError(this.agentId));
    if (state !== 'running' && state !== 'waiting' && !this.halted) this.halted = state;
  }

  /** Resolves once a checkpoint containing the current state is stored. */
  private enqueueWrite(caller: 'playbook' | 'outside' = 'playbook'): Promise<void> {
    return this.pipeline ? this.pipeline.commit(caller) : Promise.resolve();
  }

  // ---- CheckpointSource (what the pipeline stores) ---------------------------------------

  take(): CheckpointContent {
    return {
      snapshot: persistedSnapshot(this.actor.getSnapshot()),
      state: this.state,
      error: this.context.error,
      recorded: this.recorded.splice(0),
      inboxCursor: this.inbox?.position ?? this.writer?.inboxCursor ?? 0,
    };
  }

  onStored(content: CheckpointContent): void {
    this.inbox?.stored(content.inboxCursor);
  }

  onFatalWrite(error: CheckpointConflictError | CheckpointTooLargeError): Error | Promise<Error> {
    return error instanceof CheckpointConflictError ? this.fence(error) : this.failTooLarge(error);
  }

  private fence(error: CheckpointConflictError): Error {
    // Once: a write still in flight when the ownership check fenced the agent answers with a conflict too.
    if (this.halted === 'fenced') return error;
    this.pipeline?.end();
    this.logger.error({ err: error }, 'fenced: another copy of this agent wrote a newer checkpoint');
    if (this.halted !== 'detached') this.settle.reject(error);
    this.halt('fenced');
    this.emit({ type: 'fenced', error: serializeError(error) });
    return error;
  }

  /**
   * The state cannot be stored: the agent fails, and the failure is recorded next to the last
   * snapshot that could be stored (the actor's own state, which holds the oversized value, is
   * left as it is; `state` and `status()` report the failure).
   */
  private async failTooLarge(error: CheckpointTooLargeError): Promise<Error> {
    this.logger.error({ err: error }, 'checkpoint too large; the agent fails');
    const serialized = serializeError(error);
    this.storeFailure = serialized;
    if (!this.halted || this.halted === 'completed' || this.halted === 'failed') this.halt('failed');
    try {
      await this.writer!.writeFailure(serialized);
    } catch (writeError) {
      this.logger.error({ err: writeError }, 'could not record the failure');
    }
    this.settle.reject(error);
    this.emit({ type: 'failed', error: serialized });
    return error;
  }
}
