import { CheckpointConflictError, CheckpointTooLargeError, ensureError, HostClosedError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CheckpointWriter } from '../persistence/checkpoint-writer.js';
import type { PersistedAgentSnapshot, PersistedMachineSnapshot } from '../persistence/envelope.js';
import type { AgentState } from './agent-machine.js';
import type { Clock } from './clock.js';
import type { AgentEventBody } from './events.js';
import { ALWAYS_OPEN, type ActGate } from './act-gate.js';
import { scheduleFlush } from './flush-scheduler.js';
import type { SerializedError } from './serialize.js';

const STORE_RETRY_MAX_MS = 2_000;

/** What the pipeline stores: the agent's state at the moment a write starts. */
export interface CheckpointContent {
  snapshot: PersistedAgentSnapshot | PersistedMachineSnapshot;
  state: AgentState;
  error: SerializedError | undefined;
  /** What was recorded since the previous write (for the `checkpointed` event). */
  recorded: string[];
  /** The inbox position the snapshot has taken messages up to. */
  inboxCursor: number;
}

export interface CheckpointSource {
  agentId: string;
  take(): CheckpointContent;
  /** A write that can never succeed. The agent reacts; the returned error goes to callers outside the playbook. */
  onFatalWrite(error: CheckpointConflictError | CheckpointTooLargeError): Promise<Error> | Error;
  /** A checkpoint is stored (with the content `take` returned). */
  onStored(content: CheckpointContent): void;
}

interface PendingCommit {
  resolve: () => void;
  /** Set for callers outside the playbook (send, stop): they hear why a write can never succeed. */
  reject?: (error: Error) => void;
}

/**
 * Checkpoints one agent: one write in flight at a time; commits that arrive meanwhile share
 * the next write, and each resolves once a write that contains it is stored. A store that is
 * unavailable is retried (with `blockedOn` saying why) until it comes back or the host closes.
 */
export class CheckpointPipeline {
  blockedOn: string | undefined;
  private pending: PendingCommit[] = [];
  /** The commits the write in flight stores. */
  private inFlight: PendingCommit[] | undefined;
  private writing: Promise<void> | undefined;
  private flushScheduled = false;
  private ended = false;
  private readonly detached = new AbortController();

  constructor(
    private readonly writer: CheckpointWriter,
    private readonly source: CheckpointSource,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly emit: (event: AgentEventBody) => void,
    private readonly gate: ActGate = ALWAYS_OPEN,
  ) {}

  /** Resolves once a checkpoint containing the current state is stored. */
  commit(caller: 'playbook' | 'outside'): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve, reject) => this.enqueue(caller === 'outside' ? { resolve, reject } : { resolve }));
  }

  /**
   * Calls `stored` once a checkpoint containing the current state is stored (at once if the
   * pipeline ended): `commit` for the playbook's own calls, with no promise made. Each step
   * asks twice, and each promise costs an `AsyncLocalStorage` hook and a microtask.
   */
  afterCommit(stored: () => void): void {
    if (this.ended) stored();
    else this.enqueue({ resolve: stored });
  }

  /** A write is out (or waiting to be retried). */
  get isWriting(): boolean {
    return this.inFlight !== undefined;
  }

  /**
   * Calls `written` once the write in flight is stored, or at once when none is (for a caller
   * that knows nothing was recorded since that write took the state).
   */
  afterWriteInFlight(written: () => void): void {
    if (this.inFlight) this.inFlight.push({ resolve: written });
    else written();
  }

  private enqueue(commit: PendingCommit): void {
    this.pending.push(commit);
    if (!this.writing && !this.flushScheduled) {
      this.flushScheduled = true;
      // In the next turn rather than a microtask: everything the playbook records in this
      // turn (parallel completions, a message and its consumer) goes into one checkpoint.
      scheduleFlush(this.startFlush);
    }
  }

  private readonly startFlush = (): void => {
    this.flushScheduled = false;
    if (!this.writing && this.pending.length > 0 && !this.ended) this.writing = this.flush();
  };

  /** No more writes: another copy of the agent took over. Pending commits stay pending. */
  end(): void {
    this.ended = true;
  }

  /** The host is closing: write what is pending now, stop retrying, and wait for the write. */
  async drain(): Promise<void> {
    this.detached.abort();
    if (this.pending.length > 0 && !this.writing && !this.ended) this.writing = this.flush();
    await this.writing;
  }

  /**
   * Writes the pending commits, one batch per write, until none is left; commits that arrive
   * while a write is out share the next one. (Promise chains rather than async functions: this
   * runs for every checkpoint, and each async layer cost two more promises.)
   */
  private flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.inFlight = batch;
    return this.writeCurrentState(1, []).then((failure) => {
      this.inFlight = undefined;
      if (failure) {
        // Commits from the playbook stay pending: its code is abandoned, as a crash would.
        for (const commit of [...batch, ...this.pending.splice(0)]) commit.reject?.(failure);
      } else {
        for (const commit of batch) commit.resolve();
        if (this.pending.length > 0 && !this.ended) return this.flush();
      }
      this.writing = undefined;
      return undefined;
    });
  }

  /** Resolves to `undefined` once stored, or to the error that ends the agent's writes. */
  private writeCurrentState(attempt: number, recordedBefore: string[]): Promise<Error | undefined> {
    if (!this.gate.isValid) return this.writeOnceValid(attempt, recordedBefore);
    const content = this.source.take();
    // A retried write carries what the failed one would have.
    const recorded = recordedBefore.length > 0 ? [...recordedBefore, ...content.recorded] : content.recorded;
    const started = performance.now();
    return this.writer.write(content.snapshot, content.state, content.error, content.inboxCursor).then(
      ({ seq, bytes }) => {
        this.blockedOn = undefined;
        this.source.onStored(content);
        const state = content.state;
        if (this.logger.isLevelEnabled('debug')) this.logger.debug({ seq, state, bytes, recorded }, 'checkpointed');
        this.emit({ type: 'checkpointed', seq, state, bytes, durationMs: performance.now() - started, recorded });
        return undefined;
      },
      (thrown: unknown) => this.writeFailed(ensureError(thrown), attempt, recorded),
    );
  }

  private async writeOnceValid(attempt: number, recordedBefore: string[]): Promise<Error | undefined> {
    this.blockedOn = "this host's lease lapsed: waiting to renew it and to check the agent is still its own";
    await this.gate.whenValid();
    if (this.ended) return new HostClosedError(this.source.agentId);
    return this.writeCurrentState(attempt, recordedBefore);
  }

  /** A write failed: the error that ends the agent's writes, or (the store is unavailable) a retry. */
  private async writeFailed(error: Error, attempt: number, recorded: string[]): Promise<Error | undefined> {
    if (error instanceof CheckpointConflictError || error instanceof CheckpointTooLargeError) {
      this.ended = true;
      return this.source.onFatalWrite(error);
    }
    if (this.detached.signal.aborted) return new HostClosedError(this.source.agentId);
    this.blockedOn = `checkpoint store: ${error.message}`;
    const delayMs = Math.min(10 * 2 ** (attempt - 1), STORE_RETRY_MAX_MS);
    this.logger.warn({ err: error, attempt, delayMs }, 'checkpoint write failed; retrying');
    await this.pauseUnlessDetached(delayMs);
    return this.writeCurrentState(attempt + 1, recorded);
  }

  private pauseUnlessDetached(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.detached.signal;
      const timer = this.clock.setTimer(() => {
        signal.removeEventListener('abort', cancel);
        resolve();
      }, ms);
      const cancel = (): void => {
        this.clock.clearTimer(timer);
        resolve();
      };
      signal.addEventListener('abort', cancel, { once: true });
    });
  }
}
