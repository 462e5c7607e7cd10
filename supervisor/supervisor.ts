import { systemClock, type Clock } from '../actors/clock.js';
import { ensureError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { backoffDelay, PendingRestarts, resolveBackoff, type BackoffOptions } from './backoff.js';
import { RestartIntensity, SupervisorEscalatedError } from './restart-intensity.js';
import { childInfo, shouldRestart, type ChildRecord } from './child-record.js';
import type {
  ChildExit,
  ChildHandle,
  ChildInfo,
  ChildSpec,
  RestartType,
  SupervisorEvent,
  SupervisorOptions,
  SupervisorStrategy,
  SupervisorTree,
} from './supervisor-types.js';

export type { BackoffOptions } from './backoff.js';
export type * from './supervisor-types.js';

export { SupervisorEscalatedError } from './restart-intensity.js';


type Phase = 'idle' | 'running' | 'stopping' | 'stopped' | 'escalated';

/**
 * Supervises children as an Erlang/OTP supervisor does: restarts them by exit reason, restart
 * type and strategy, backs off between restarts, and escalates to its own parent when the
 * restart intensity is exceeded. Everything that changes the children runs one operation at a
 * time, as the messages of an OTP supervisor do, so exits that arrive during a group restart
 * are judged against the tree as it is once that restart is done. The flip side, as in OTP:
 * a child must not await a call on its own supervisor inside its start() or stop(), since
 * that call queues behind the very operation that awaits the child.
 */
export class Supervisor {
  readonly id: string;
  private readonly strategy: SupervisorStrategy;
  private readonly maxRestarts: number;
  private readonly periodSeconds: number;
  private readonly backoff: Required<BackoffOptions>;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger | undefined;
  private readonly onEvent: ((event: SupervisorEvent) => void) | undefined;
  private readonly intensity: RestartIntensity;
  private readonly pending: PendingRestarts<ChildRecord>;
  private readonly children: ChildRecord[] = [];
  /** The same children by id: lookups stay cheap with thousands of agents. */
  private readonly byId = new Map<string, ChildRecord>();
  private readonly handle: ChildHandle;
  private resolveExit: (exit: ChildExit) => void = () => undefined;
  private phase: Phase = 'idle';
  private queue: Promise<void> = Promise.resolve();
  /** Operations queued or running: none, and the supervisor may act at once (see `startChild`). */
  private operations = 0;

  constructor(options: SupervisorOptions) {
    if (typeof options.id !== 'string' || options.id === '') throw new ValidationError('a supervisor needs a non-empty id');
    this.id = options.id;
    this.strategy = options.strategy ?? 'one_for_one';
    this.maxRestarts = options.maxRestarts ?? 5;
    this.periodSeconds = options.periodSeconds ?? 60;
    this.intensity = new RestartIntensity(this.id, this.maxRestarts, this.periodSeconds);
    this.backoff = resolveBackoff(this.id, options.backoff);
    this.clock = options.clock ?? systemClock;
    this.pending = new PendingRestarts(this.clock);
    this.random = options.random ?? Math.random;
    this.logger = options.logger?.child({ supervisor: this.id });
    this.onEvent = options.onEvent;
    const exit = new Promise<ChildExit>((resolve) => (this.resolveExit = resolve));
    this.handle = { exit, stop: () => this.stop() };
  }

  /** Starts the given children in order; resolves to the supervisor's own handle. */
  async start(children: ChildSpec[] = []): Promise<ChildHandle> {
    if (this.phase !== 'idle') throw new ValidationError(`supervisor "${this.id}" can be started only once`);
    const ids = new Set<string>();
    for (const spec of children) {
      if (ids.has(spec.id)) throw new ValidationError(`supervisor "${this.id}": two children have the id "${spec.id}"`);
      ids.add(spec.id);
    }
    this.phase = 'running';
    this.logger?.debug({ children: [...ids] }, 'supervisor starting');
    for (const spec of children) {
      await this.enqueue(async () => {
        if (this.phase === 'running') await this.addChild(spec);
      });
    }
    return this.handle;
  }

  /** Adds and starts a child (appended to the start order). */
  startChild(spec: ChildSpec): Promise<void> {
    // With no operation queued or running, adding a child that can start at once is what the
    // queue would do next anyway: done now, without the queue's promises (one agent spawned,
    // one child: this runs for each).
    if (this.operations === 0 && this.phase === 'running' && spec.startNow) {
      let rec: ChildRecord;
      try {
        rec = this.recordChild(spec);
      } catch (error) {
        return Promise.reject(error);
      }
      let handle: ChildHandle | undefined;
      try {
        handle = spec.startNow({ restarts: 0 });
      } catch (thrown) {
        return this.enqueue(() => this.childExited(rec, { reason: 'crash', error: ensureError(thrown) }));
      }
      if (!handle) return this.enqueue(() => this.launch(rec));
      this.started(rec, handle);
      return STARTED;
    }
    return this.enqueue(async () => {
      this.requireRunning('start a child');
      await this.addChild(spec);
    });
  }

  /** Stops a child and keeps it stopped (no restart); it stays listed with state 'stopped'. */
  async terminateChild(id: string): Promise<void> {
    // Cancelled at once, not when the queue gets here: a pending restart could fire in between.
    this.pending.cancel(this.find(id));
    await this.enqueue(async () => {
      const rec = this.byId.get(id);
      if (!rec) return;
      this.pending.cancel(rec);
      if (rec.handle) await this.shutdownChild(rec, 'stopped');
      else if (rec.state === 'restarting' || rec.state === 'starting') rec.state = 'stopped';
    });
  }

  /** Starts again a child that is stopped or exited; its restart count goes on, its backoff and the intensity are untouched. */
  restartChild(id: string): Promise<void> {
    return this.enqueue(async () => {
      this.requireRunning('restart a child');
      const rec = this.find(id);
      if (rec.state !== 'stopped' && rec.state !== 'exited') {
        throw new ValidationError(`child "${id}" of supervisor "${this.id}" is ${rec.state}; only a stopped or exited child can be restarted`);
      }
      rec.restarts += 1;
      await this.launch(rec);
    });
  }

  /** Removes a child that is not running (state 'stopped' or 'exited'). */
  deleteChild(id: string): void {
    const rec = this.find(id);
    if (rec.state !== 'stopped' && rec.state !== 'exited') {
      throw new ValidationError(`child "${id}" of supervisor "${this.id}" is ${rec.state}; terminate it before deleting it`);
    }
    this.children.splice(this.children.indexOf(rec), 1);
    this.byId.delete(id);
  }

  /** Stops every child in reverse start order; the supervisor's exit resolves { reason: 'shutdown' }. */
  stop(): Promise<void> {
    if (this.phase === 'idle') {
      this.phase = 'stopped';
      this.resolveExit({ reason: 'shutdown' });
      return Promise.resolve();
    }
    if (this.phase === 'running') {
      this.phase = 'stopping';
      // Now rather than in the queued operation, so that no pending restart fires before it runs.
      this.pending.cancelAll();
    }
    return this.enqueue(async () => {
      if (this.phase !== 'stopping') return;
      await this.stopAll();
      this.phase = 'stopped';
      this.logger?.info('supervisor stopped');
      this.resolveExit({ reason: 'shutdown' });
    });
  }

  /** One child's state and this supervisor's, without describing the whole tree. */
  childState(id: string): { child: ChildInfo['state']; restarts: number; supervisor: SupervisorTree['state'] } | undefined {
    const rec = this.byId.get(id);
    if (!rec) return undefined;
    const supervisor = this.phase === 'running' ? 'running' : this.phase === 'escalated' ? 'escalated' : 'stopped';
    return { child: rec.state, restarts: rec.restarts, supervisor };
  }

  describe(): SupervisorTree {
    const state = this.phase === 'running' ? 'running' : this.phase === 'escalated' ? 'escalated' : 'stopped';
    return {
      id: this.id,
      strategy: this.strategy,
      maxRestarts: this.maxRestarts,
      periodSeconds: this.periodSeconds,
      restartsInPeriod: this.intensity.count(this.clock.now()),
      state,
      children: this.children.map((rec) => childInfo(rec)),
    };
  }

  private async addChild(spec: ChildSpec): Promise<void> {
    await this.launch(this.recordChild(spec));
  }

  /** A new child's record, appended to the start order (not started yet). */
  private recordChild(spec: ChildSpec): ChildRecord {
    if (typeof spec.id !== 'string' || spec.id === '') throw new ValidationError(`supervisor "${this.id}": a child needs a non-empty id`);
    if (this.byId.has(spec.id)) {
      throw new ValidationError(`supervisor "${this.id}" already has a child "${spec.id}"`);
    }
    const rec: ChildRecord = { spec, state: 'starting', restarts: 0, consecutive: 0, handle: undefined, exit: undefined };
    this.children.push(rec);
    this.byId.set(spec.id, rec);
    return rec;
  }

  /** Starts a child; a start that fails is handled as the child crashing. */
  private async launch(rec: ChildRecord): Promise<void> {
    rec.state = 'starting';
    rec.startedAt = undefined;
    let handle: ChildHandle;
    try {
      handle = await rec.spec.start({ restarts: rec.restarts });
    } catch (thrown) {
      await this.childExited(rec, { reason: 'crash', error: ensureError(thrown) });
      return;
    }
    this.started(rec, handle);
  }

  /** A child's run began: it is running, and its exit will be judged. */
  private started(rec: ChildRecord, handle: ChildHandle): void {
    const exit = handle.exit.then(
      (value) => value,
      (thrown: unknown): ChildExit => ({ reason: 'crash', error: ensureError(thrown) }),
    );
    rec.handle = handle;
    rec.exit = exit;
    rec.state = 'running';
    rec.startedAt = this.clock.now();
    this.logger?.debug({ child: rec.spec.id, restarts: rec.restarts }, 'child started');
    this.emit({ type: 'child.started', supervisor: this.id, child: rec.spec.id, restarts: rec.restarts });
    // `exit` never rejects.
    void exit.then((value) => this.exitArrived(rec, handle, value));
  }

  /**
   * A child's run ended. An exit that leads to no restart (a transient child that finished)
   * needs no decision: with no operation queued or running it is recorded at once, as the
   * queued operation would; any other goes through the queue (`background` handles what it throws).
   */
  private exitArrived(rec: ChildRecord, handle: ChildHandle, exit: ChildExit): void {
    if (this.operations > 0 || !this.isFinal(rec, exit)) {
      this.background(() => this.onExit(rec, handle, exit));
      return;
    }
    if (!this.release(rec, handle)) return;
    this.recordExit(rec, exit);
    rec.state = 'exited';
  }

  private async onExit(rec: ChildRecord, handle: ChildHandle, exit: ChildExit): Promise<void> {
    if (this.release(rec, handle)) await this.childExited(rec, exit);
  }

  /** Takes the run off its record; false if the supervisor stopped this run itself and has recorded its exit. */
  private release(rec: ChildRecord, handle: ChildHandle): boolean {
    if (rec.handle !== handle) return false;
    rec.handle = undefined;
    rec.exit = undefined;
    return true;
  }

  /** Whether the exit ends the child for good (no restart follows it). */
  private isFinal(rec: ChildRecord, exit: ChildExit): boolean {
    return this.phase !== 'running' || !shouldRestart(rec.spec.restart, exit);
  }

  /** Decides what an exit (or a failed start) leads to: nothing, a restart, or escalation. */
  private async childExited(rec: ChildRecord, exit: ChildExit): Promise<void> {
    this.recordExit(rec, exit);
    if (this.isFinal(rec, exit)) {
      rec.state = 'exited';
      return;
    }
    const now = this.clock.now();
    if (rec.startedAt !== undefined && now - rec.startedAt >= this.periodSeconds * 1000) rec.consecutive = 0;
    rec.startedAt = undefined;
    if (!this.intensity.record(now)) {
      rec.state = 'exited';
      await this.escalate(`child "${rec.spec.id}" exited (${exit.reason}) and restarting it would make more than ${this.maxRestarts} restarts in ${this.periodSeconds} s`);
      return;
    }
    rec.consecutive += 1;
    const delayMs = backoffDelay(this.backoff, rec.consecutive, this.random);
    rec.state = 'restarting';
    const stopping = this.restartGroup(rec);
    for (const member of [...stopping].reverse()) {
      this.pending.cancel(member);
      // As in OTP, a temporary sibling is stopped along with the group but never restarted.
      const next = member.spec.restart === 'temporary' && member !== rec ? 'stopped' : 'restarting';
      if (member.handle) await this.shutdownChild(member, next);
      else member.state = next;
    }
    if (this.phase !== 'running') return; // stop() came during the group stop; it finishes the job
    const group = stopping.filter((member) => member.state === 'restarting');
    this.logger?.info({ child: rec.spec.id, group: group.map((c) => c.spec.id), delayMs }, 'restarting');
    for (const member of group) {
      this.emit({ type: 'child.restarting', supervisor: this.id, child: member.spec.id, restarts: member.restarts + 1, delayMs });
    }
    this.pending.schedule(group, delayMs, (take) => this.background(() => this.restartGroupNow(take())));
  }

  /** The children restarted along with `rec`, in start order. */
  private restartGroup(rec: ChildRecord): ChildRecord[] {
    const live = (c: ChildRecord): boolean => c === rec || c.state === 'running' || c.state === 'starting' || c.state === 'restarting';
    const group =
      this.strategy === 'one_for_one'
        ? [rec]
        : this.strategy === 'one_for_all'
          ? this.children.filter(live)
          : this.children.slice(this.children.indexOf(rec)).filter(live);
    // A restart already pending for some of them is folded into this one, so none is left behind.
    const members = this.pending.withGroups(group);
    return this.children.filter((c) => members.has(c));
  }

  private async restartGroupNow(group: ChildRecord[]): Promise<void> {
    for (const member of this.children.filter((c) => group.includes(c))) {
      // A failed start earlier in this loop may have rescheduled the rest, or escalated.
      if (this.phase !== 'running' || this.pending.has(member) || member.state !== 'restarting') continue;
      member.restarts += 1;
      await this.launch(member);
    }
  }

  private async escalate(reason: string): Promise<void> {
    this.phase = 'escalated';
    await this.stopAll();
    this.logger?.warn({ reason }, 'supervisor escalated');
    this.emit({ type: 'escalated', supervisor: this.id, reason });
    this.resolveExit({ reason: 'crash', error: new SupervisorEscalatedError(this.id, reason) });
  }

  private async stopAll(): Promise<void> {
    this.pending.cancelAll();
    for (const rec of [...this.children].reverse()) {
      if (rec.handle) await this.shutdownChild(rec, 'stopped');
      else if (rec.state === 'restarting' || rec.state === 'starting') rec.state = 'stopped';
    }
  }

  /** Stops a running child on the supervisor's behalf; its exit then triggers no restart of its own. */
  private async shutdownChild(rec: ChildRecord, next: 'restarting' | 'stopped'): Promise<void> {
    const { handle, exit } = rec;
    if (!handle || !exit) return;
    rec.handle = undefined;
    rec.exit = undefined;
    rec.state = next;
    let outcome: ChildExit;
    try {
      await handle.stop();
      outcome = await exit;
    } catch (thrown) {
      outcome = { reason: 'crash', error: ensureError(thrown) };
    }
    this.recordExit(rec, outcome);
  }

  private recordExit(rec: ChildRecord, exit: ChildExit): void {
    rec.lastExit = exit;
    const fields = { child: rec.spec.id, reason: exit.reason, restarts: rec.restarts };
    if (exit.reason === 'crash' || exit.reason === 'quarantine') this.logger?.warn({ ...fields, err: exit.error }, 'child exited');
    else this.logger?.info(fields, 'child exited');
    this.emit({ type: 'child.exited', supervisor: this.id, child: rec.spec.id, exit });
  }

  private find(id: string): ChildRecord {
    const rec = this.byId.get(id);
    if (!rec) throw new ValidationError(`supervisor "${this.id}" has no child "${id}"`);
    return rec;
  }

  private requireRunning(action: string): void {
    if (this.phase !== 'running') {
      throw new ValidationError(`supervisor "${this.id}" is ${this.phase === 'idle' ? 'not started' : this.phase}; cannot ${action}`);
    }
  }

  private emit(event: SupervisorEvent): void {
    try {
      this.onEvent?.(event);
    } catch (thrown) {
      this.logger?.warn({ err: ensureError(thrown), event: event.type }, 'supervisor event listener threw');
    }
  }

  /** Runs operations one at a time, in the order they were asked for. */
  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    this.operations++;
    const result = this.queue.then(operation);
    this.queue = result.then(this.operationDone, this.operationDone);
    return result;
  }

  private readonly operationDone = (): void => {
    this.operations--;
  };

  /** For operations nobody awaits (exits, restart timers): a failure is logged, not left unhandled. */
  private background(operation: () => Promise<void>): void {
    this.enqueue(operation).catch((thrown: unknown) => {
      this.logger?.warn({ err: ensureError(thrown) }, 'supervisor operation failed');
    });
  }
}

/** A ChildSpec that runs a nested supervisor (so supervisors can supervise supervisors). */
export function supervisorChild(options: SupervisorOptions, children: ChildSpec[], restart: RestartType = 'permanent'): ChildSpec {
  // Built now so bad options fail here, and so describe() has a tree before the first start.
  let current = new Supervisor(options);
  return {
    id: options.id,
    restart,
    type: 'supervisor',
    start: () => {
      current = new Supervisor(options); // a supervisor starts once; each restart gets a new one
      return current.start(children);
    },
    describe: () => current.describe(),
  };
}

/** What `startChild` returns when it started the child at once. */
const STARTED: Promise<void> = Promise.resolve();
