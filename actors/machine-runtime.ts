import { createActor, type Actor, type AnyStateMachine, type EventObject } from 'xstate';
import { AgentNotRunningError, AgentStoppedError, CheckpointConflictError, HostClosedError, ValidationError, type CheckpointTooLargeError } from '../errors.js';
import { ALWAYS_OPEN, type ActGate } from './act-gate.js';
import type { Logger } from '../logger.js';
import { AgentInbox, type InboxChannel, type InboxMessageBody, type InboxSink } from '../messaging/agent-inbox.js';
import type { CheckpointWriter } from '../persistence/checkpoint-writer.js';
import type { PersistedMachineSnapshot } from '../persistence/envelope.js';
import { stateValueText } from '../persistence/record-views.js';
import type { AgentState } from './agent-machine.js';
import { CheckpointPipeline, type CheckpointContent, type CheckpointSource } from './checkpoint-pipeline.js';
import type { Clock } from './clock.js';
import type { AgentEventBody } from './events.js';
import type { AgentStatus, RunningAgent } from './running-agent.js';
import { deserializeError, serializeError, toJournalValue, type SerializedError } from './serialize.js';

export interface MachineRuntimeOptions {
  agentId: string;
  machine: AnyStateMachine;
  snapshot?: PersistedMachineSnapshot;
  input?: unknown;
  resumeStopped?: boolean;
  writer: CheckpointWriter | undefined;
  inbox?: InboxChannel | undefined;
  inboxCursor?: number | undefined;
  /** Closed while the host may not act for its agents (its lease lapsed). Default: always open. */
  gate?: ActGate | undefined;
  /** The store's `keep_last_n` (see AgentRuntimeOptions). */
  keepLastN?: number | undefined;
  clock: Clock;
  logger: Logger;
  emit: (event: AgentEventBody) => void;
}

/** True for an XState machine (as opposed to a playbook). */
export function isStateMachine(value: unknown): value is AnyStateMachine {
  return typeof value === 'object' && value !== null && 'getInitialSnapshot' in value && 'id' in value && 'config' in value;
}

/** An inbox message as a machine event: `{ type, ...payload }` (a non-object payload goes in `payload`). */
function toEvent(type: string, payload: unknown): EventObject {
  if (payload && typeof payload === 'object' && !Array.isArray(payload)) return { ...(payload as object), type };
  return payload === undefined ? { type } : { type, payload } as EventObject;
}

/**
 * A delayed event of the machine to itself (an `after` transition, a delayed `raise` or
 * `sendTo` itself) pending when a checkpoint was taken: stored in the checkpoint's snapshot
 * (`delayedEvents`), because XState does not restore them from a snapshot (statelyai/xstate#5331).
 */
export interface PendingDelayedEvent {
  /** XState's id for it (an `after` transition's is its event type): exiting the state cancels it. */
  id: string;
  event: EventObject;
  /** Epoch ms. */
  dueAt: number;
}

/**
 * A plain XState machine run as a durable agent: every transition is checkpointed (the
 * actor's persisted snapshot), inbox messages arrive as events, and after a crash the actor
 * is restored from its last snapshot. Its delayed events (`after` transitions, delayed sends
 * to itself) are checkpointed with it and armed again, for the time that remains, when it is
 * restored. XState's own limits apply otherwise: invoked and spawned actors in flight are not
 * resumed from a snapshot.
 */
export class MachineAgentRuntime implements RunningAgent, CheckpointSource, InboxSink {
  readonly agentId: string;
  readonly name: string;
  readonly logger: Logger;
  private readonly actor: Actor<AnyStateMachine>;
  private readonly writer: CheckpointWriter | undefined;
  private readonly pipeline: CheckpointPipeline | undefined;
  private readonly inbox: AgentInbox | undefined;
  private readonly emit: (event: AgentEventBody) => void;
  private readonly outcome: Promise<unknown>;
  private settle!: { resolve: (value: unknown) => void; reject: (error: Error) => void };
  private halted: 'completed' | 'failed' | 'stopped' | 'detached' | 'fenced' | undefined;
  private started = false;
  /** The snapshot kept once the agent stops (the actor itself is stopped). */
  private stoppedAt: PersistedMachineSnapshot | undefined;
  private failure: SerializedError | undefined;
  private recorded: string[] = [];
  private lastTransitionAt: number | undefined;
  private initialEmission = true;
  private readonly clock: Clock;
  /** Delayed events from the checkpoint restored from, armed again once the actor starts. */
  private readonly restoredDelays: readonly PendingDelayedEvent[];
  /**
   * The input of a machine whose actor has not started in any run yet: its checkpoints say so
   * (`notStarted`), and a host that resumes it starts the actor afresh, which runs its initial
   * state's entry actions and schedules its delays (restoring the snapshot would do neither).
   */
  private readonly notStarted: { input: unknown } | undefined;
  /** When each delayed event XState scheduled falls due, on the host's clock. */
  private readonly dueAt = new WeakMap<object, number>();

  constructor(options: MachineRuntimeOptions) {
    this.agentId = options.agentId;
    this.name = options.machine.id;
    this.logger = options.logger;
    this.writer = options.writer;
    this.emit = options.emit;
    this.clock = options.clock;
    this.outcome = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.outcome.catch(() => undefined);
    const { delayedEvents, notStarted, ...snapshot } = options.snapshot ?? ({} as PersistedMachineSnapshot);
    this.restoredDelays = (delayedEvents as PendingDelayedEvent[] | undefined) ?? [];
    this.notStarted = options.snapshot ? (notStarted as { input: unknown } | undefined) : { input: options.input };
    const restore = options.snapshot !== undefined && !this.notStarted;
    this.actor = createActor(options.machine, {
      input: this.notStarted ? this.notStarted.input : options.input,
      // Delays run on the host's clock: tests move it by hand, and a delay past ~24.8 days
      // (the limit of setTimeout) waits its whole length.
      clock: {
        setTimeout: (fn, ms: number) => {
          this.stampDelays();
          return this.clock.setTimer(fn, ms);
        },
        clearTimeout: (handle) => this.clock.clearTimer(handle),
      },
      ...(restore ? { snapshot: snapshot as never } : {}),
    });
    if (options.snapshot?.status === 'stopped' && !options.resumeStopped) this.halt('stopped');
    const gate = options.gate ?? ALWAYS_OPEN;
    this.pipeline = this.writer && new CheckpointPipeline(this.writer, this, options.clock, this.logger, this.emit, gate);
    this.inbox = options.inbox && new AgentInbox(options.inbox, options.inboxCursor ?? 0, this, gate, options.keepLastN);
    const status = options.snapshot?.status;
    if (status === 'done') this.finish('completed', false);
    if (status === 'error') this.finish('failed', false);
  }

  get isHalted(): boolean {
    return this.halted !== undefined;
  }

  get state(): AgentState {
    if (this.failure) return 'failed';
    if (this.halted === 'stopped') return 'stopped';
    const status = this.persisted().status;
    return status === 'done' ? 'completed' : status === 'error' ? 'failed' : 'running';
  }

  status(): AgentStatus {
    const state = this.state;
    const status: AgentStatus = {
      agentId: this.agentId,
      state,
      seq: this.writer?.seq ?? 0,
      playbook: this.name,
      callStack: state === 'completed' || state === 'failed' ? [] : [this.name, stateValueText(this.persisted().value)],
    };
    const error = this.failure ?? this.snapshotError();
    if (error) status.error = error;
    if (this.pipeline?.blockedOn) status.blockedOn = this.pipeline.blockedOn;
    return status;
  }

  result(): Promise<unknown> {
    return this.outcome;
  }

  async persistNew(recorded = 'spawned'): Promise<void> {
    if (!this.writer) return;
    const started = performance.now();
    const content = this.take();
    const { seq, bytes } = await this.writer.write(content.snapshot, content.state, content.error, content.inboxCursor);
    this.emit({ type: 'checkpointed', seq, state: content.state, bytes, durationMs: performance.now() - started, recorded: [recorded] });
  }

  run(): void {
    if (this.halted || this.started) return;
    this.started = true;
    this.lastTransitionAt = this.clock.now();
    this.actor.subscribe({
      next: (snapshot) => {
        this.lastTransitionAt = this.clock.now();
        const state = `state ${stateValueText(snapshot.value)}`;
        // The first emission is the state it starts (or was restored) in, not a transition.
        if (this.initialEmission) this.initialEmission = false;
        else this.recorded.push(state);
        if (snapshot.status === 'done') this.finish('completed', true);
        else void this.pipeline?.commit('playbook');
      },
      error: () => this.finish('failed', true),
    });
    this.actor.start();
    this.armRestoredDelays();
    void this.inbox?.pull(); // catch up with messages that came while no host ran the agent
  }

  async deliver(type: string, payload: unknown, msgId?: string): Promise<void> {
    if (typeof type !== 'string' || type.length === 0) throw new ValidationError('a message needs a non-empty string "type"');
    if (this.halted === 'detached') throw new HostClosedError(this.agentId);
    if (this.halted) throw new AgentNotRunningError(this.agentId, this.state);
    const value = toJournalValue(payload, `payload of message "${type}"`);
    if (this.inbox) return this.inbox.channel.publish(type, value, msgId);
    this.accept({ type, payload: value });
    await this.pipeline?.commit('outside');
  }

  wakeInbox(): void {
    this.inbox?.wake();
  }

  accept(message: InboxMessageBody): void {
    if (this.halted) return;
    this.recorded.push(`event ${message.type}`);
    this.actor.send(toEvent(message.type, message.payload));
  }

  reject(reason: string, messageType: string | undefined): void {
    this.logger.warn({ reason, messageType }, 'message rejected');
    this.emit({ type: 'message.rejected', messageType: messageType ?? '', reason });
  }

  async stop(): Promise<void> {
    if (this.halted) return;
    this.stoppedAt = this.checkpointSnapshot();
    this.halt('stopped');
    this.actor.stop();
    this.recorded.push('stopped');
    this.settle.reject(new AgentStoppedError(this.agentId));
    this.emit({ type: 'stopped' });
    await this.pipeline?.commit('outside');
  }

  async detach(): Promise<void> {
    if (!this.halted) {
      this.halt('detached');
      this.settle.reject(new HostClosedError(this.agentId));
    }
    await this.pipeline?.drain();
    this.actor.stop();
  }

  async verifyOwnership(): Promise<void> {
    if (this.halted || !this.writer || (await this.writer.stillLatest())) return;
    this.pipeline?.end();
    this.onFatalWrite(new CheckpointConflictError(this.agentId, this.writer.seq + 1));
  }

  /** A machine is idle between events: since its last transition. */
  idleSince(): number | undefined {
    return this.halted || !this.started ? undefined : this.lastTransitionAt;
  }

  /** When its next delayed event falls due: a parked machine is woken for it. */
  nextWakeAt(): number | undefined {
    const due = this.pendingDelayedEvents().map((delayed) => delayed.dueAt);
    return due.length ? Math.min(...due) : undefined;
  }

  /** A machine has no steps in flight to wait for. */
  drain(): Promise<void> {
    return this.detach();
  }

  // ---- CheckpointSource ------------------------------------------------------------------

  take(): CheckpointContent {
    return {
      snapshot: this.stoppedAt ?? this.checkpointSnapshot(),
      state: this.state,
      error: this.failure ?? this.snapshotError(),
      recorded: this.recorded.splice(0),
      inboxCursor: this.inbox?.position ?? this.writer?.inboxCursor ?? 0,
    };
  }

  onStored(content: CheckpointContent): void {
    this.inbox?.stored(content.inboxCursor);
  }

  onFatalWrite(error: CheckpointConflictError | CheckpointTooLargeError): Error {
    // Once: a write still in flight when the ownership check fenced the agent answers with a conflict too.
    if (this.halted === 'fenced') return error;
    this.logger.error({ err: error }, 'checkpoint write failed for good; the agent stops here');
    if (error.name === 'CheckpointTooLargeError') this.failure = serializeError(error);
    this.settle.reject(error);
    this.halt(error.name === 'CheckpointTooLargeError' ? 'failed' : 'fenced');
    this.actor.stop();
    this.emit(this.failure ? { type: 'failed', error: this.failure } : { type: 'fenced', error: serializeError(error) });
    return error;
  }

  // ---- internals -------------------------------------------------------------------------

  private persisted(): PersistedMachineSnapshot {
    return this.actor.getPersistedSnapshot() as unknown as PersistedMachineSnapshot;
  }

  /** The persisted snapshot, with the delayed events pending now (or, before the actor's first start, its input). */
  private checkpointSnapshot(): PersistedMachineSnapshot {
    const snapshot = this.persisted();
    if (!this.started && this.notStarted) return { ...snapshot, notStarted: this.notStarted };
    const delayed = this.pendingDelayedEvents();
    return delayed.length ? { ...snapshot, delayedEvents: delayed } : snapshot;
  }

  /**
   * The machine's delayed events to itself (those to or from other actors are not restored).
   * Before the actor starts (the claim a recovering host writes), those it restored and will arm.
   */
  private pendingDelayedEvents(): PendingDelayedEvent[] {
    if (!this.started) return [...this.restoredDelays];
    const scheduled = Object.values(this.actor.system.getSnapshot()._scheduledEvents);
    return scheduled
      .filter((event) => event.source === this.actor && event.target === this.actor)
      .map((event) => ({ id: event.id, event: event.event, dueAt: this.dueAt.get(event) ?? event.startedAt + event.delay }));
  }

  /**
   * Notes when the delayed events just scheduled fall due, on the host's clock (XState stamps
   * them with `Date.now()`, which a test's clock does not move). Called as XState arms the
   * timer of one, right after scheduling it.
   */
  private stampDelays(): void {
    const now = this.clock.now();
    for (const event of Object.values(this.actor.system.getSnapshot()._scheduledEvents)) {
      if (!this.dueAt.has(event)) this.dueAt.set(event, now + event.delay);
    }
  }

  /** Arms the delayed events the restored checkpoint had pending, for the time that remains. */
  private armRestoredDelays(): void {
    const { scheduler } = this.actor.system;
    for (const delayed of this.restoredDelays) {
      scheduler.cancel(this.actor, delayed.id); // in case XState armed it itself
      scheduler.schedule(this.actor, this.actor, delayed.event, Math.max(0, delayed.dueAt - this.clock.now()), delayed.id);
    }
  }

  private snapshotError(): SerializedError | undefined {
    const snapshot = this.persisted();
    return snapshot.status === 'error' ? serializeError(snapshot.error) : undefined;
  }

  private halt(reason: NonNullable<MachineAgentRuntime['halted']>): void {
    this.halted ??= reason;
  }

  /** The machine reached a final state or errored: a last checkpoint, then the outcome. */
  private finish(reason: 'completed' | 'failed', write: boolean): void {
    if (this.halted) return;
    this.halt(reason);
    const settle = (): void => {
      if (this.halted !== reason) return;
      if (reason === 'completed') {
        const output = this.persisted().output;
        this.inbox?.finished();
        this.settle.resolve(output);
        this.emit({ type: 'completed', result: output });
      } else {
        const error = this.snapshotError() ?? serializeError(new Error('machine failed'));
        this.settle.reject(deserializeError(error));
        this.emit({ type: 'failed', error });
      }
    };
    if (write && this.pipeline) void this.pipeline.commit('playbook').then(settle);
    else settle();
  }
}
