import type { Clock } from '../actors/clock.js';
import type { AgentEventBody } from '../actors/events.js';
import type { RunningAgent } from '../actors/running-agent.js';
import type { SupervisorConfig } from '../config.js';
import { AgentStoppedError, ensureError, HostClosedError, type PlaybooksError } from '../errors.js';
import type { Logger } from '../logger.js';
import { agentChild, exitOf } from './agent-supervision.js';
import { ROOT_SUPERVISOR, SupervisionTree, type SupervisorSpec } from './supervision-tree.js';
import type { ChildExit, RestartType, SupervisorEvent, SupervisorTree } from './supervisor.js';

/** What supervised agents need from their host. */
export interface AgentRestarter {
  /** Runs the agent again after `exit`: from its last good checkpoint, or afresh after a normal exit. */
  restart(agentId: string, exit: ChildExit | undefined): Promise<RunningAgent>;
  quarantine(agentId: string, error: PlaybooksError): void;
  emit(agentId: string, body: AgentEventBody): void;
  /** The agent's outcome is final (it completed, failed for good, or was stopped). */
  finished(agentId: string, outcome: Promise<unknown>): void;
}

interface Outcome {
  promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  settled: boolean;
  /** Someone asked for it: kept while the agent is parked. */
  observed?: boolean;
  /** The error of the last run that crashed, reported if the supervisor gives up. */
  lastError?: Error;
}

/**
 * The host's agents under supervision: each agent is a child of a supervisor in the host's
 * tree, restarted from its last good checkpoint when it crashes. An agent's result is its
 * final outcome across restarts: it settles when the agent completes, is stopped or
 * quarantined, or its supervisor gives up on it.
 */
export class SupervisedAgents {
  readonly tree: SupervisionTree;
  private readonly outcomes = new Map<string, Outcome>();
  /** Kept after an agent leaves the tree (it completed or was stopped), for its record. */
  private readonly restartCounts = new Map<string, number>();
  private readonly lastSupervisor = new Map<string, string>();
  private escalation: Error | undefined;
  /** Agents let go of while they wait (parked): their run ended, the agent did not. */
  private readonly parked = new Set<string>();
  private readonly runWaiters = new Map<string, { resolve: () => void; reject: (error: Error) => void }[]>();

  constructor(
    config: SupervisorConfig,
    clock: Clock,
    private readonly logger: Logger,
    private readonly host: AgentRestarter,
  ) {
    this.tree = new SupervisionTree(
      config,
      clock,
      logger,
      (event) => this.onSupervisorEvent(event),
      (error) => {
        this.escalation = error;
        this.logger.error({ err: error }, 'the root supervisor escalated: this host gives up its agents');
        for (const [agentId] of this.outcomes) this.giveUp(agentId);
      },
    );
  }

  /** Set once the root supervisor exceeded its restart intensity. */
  get escalated(): Error | undefined {
    return this.escalation;
  }

  /** Supervises a run that just started (spawned or recovered) under `supervisor`. */
  async supervise(agentId: string, run: RunningAgent, options: { restart: RestartType; supervisor?: string | undefined }): Promise<void> {
    this.parked.delete(agentId);
    this.watch(agentId, run);
    const spec = agentChild({
      agentId,
      restart: options.restart,
      firstRun: run,
      restartAgent: async (exit) => {
        const next = await this.host.restart(agentId, exit);
        this.watch(agentId, next);
        return next;
      },
    });
    const supervisor = options.supervisor ?? ROOT_SUPERVISOR;
    this.lastSupervisor.set(agentId, supervisor);
    await this.tree.addAgent(supervisor, spec);
  }

  /**
   * Lets go of an agent's run without ending the agent (it is parked): its child leaves the
   * tree, its outcome stays pending if someone waits for it (and is dropped otherwise).
   */
  async park(agentId: string): Promise<void> {
    this.parked.add(agentId);
    await this.tree.terminateAgent(agentId);
    const outcome = this.outcomes.get(agentId);
    if (outcome && !outcome.observed) this.outcomes.delete(agentId);
  }

  /** Whether the agent's last run ended and its supervisor is (about to be) restarting it. */
  isRestarting(agentId: string): boolean {
    const outcome = this.outcomes.get(agentId);
    return outcome !== undefined && !outcome.settled && this.tree.supervisorOf(agentId) !== undefined;
  }

  /** Resolves when the agent's next run starts; rejects if its supervisor gives up on it. */
  nextRun(agentId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = this.runWaiters.get(agentId) ?? [];
      waiters.push({ resolve, reject });
      this.runWaiters.set(agentId, waiters);
    });
  }

  /** Follows an unsupervised run (durability-independent: its outcome is its result). */
  track(agentId: string, run: RunningAgent): void {
    this.watch(agentId, run);
  }

  /** The agent's final outcome. */
  result(agentId: string): Promise<unknown> | undefined {
    const outcome = this.outcomes.get(agentId);
    if (outcome) outcome.observed = true;
    return outcome?.promise;
  }

  /** Restarts of the agent by its supervisors, on this host. */
  restarts(agentId: string): number {
    return this.restartCounts.get(agentId) ?? 0;
  }

  /** The supervisor the agent runs (or last ran) under. */
  supervisorOf(agentId: string): string | undefined {
    return this.tree.supervisorOf(agentId) ?? this.lastSupervisor.get(agentId);
  }

  addSupervisor(id: string, spec: SupervisorSpec): Promise<void> {
    return this.tree.addSupervisor(id, spec);
  }

  describe(): SupervisorTree {
    return this.tree.describe();
  }

  /** The host closes: pending outcomes end with `HostClosedError`. */
  close(): void {
    for (const [agentId, outcome] of this.outcomes) this.settle(agentId, outcome, new HostClosedError(agentId));
  }

  private outcomeOf(agentId: string): Outcome {
    let outcome = this.outcomes.get(agentId);
    if (!outcome || outcome.settled) {
      let resolve!: (value: unknown) => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<unknown>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => undefined); // an outcome nobody asks for is not an unhandled rejection
      outcome = { promise, resolve, reject, settled: false };
      this.outcomes.set(agentId, outcome);
    }
    return outcome;
  }

  private watch(agentId: string, run: RunningAgent): void {
    const outcome = this.outcomeOf(agentId);
    for (const waiter of this.runWaiters.get(agentId) ?? []) waiter.resolve();
    this.runWaiters.delete(agentId);
    run.result().then(
      (value) => this.settle(agentId, outcome, undefined, value),
      (thrown: unknown) => {
        if (this.parked.has(agentId)) return; // let go of while it waits: the agent goes on later
        const error = ensureError(thrown);
        const exit = exitOf(error);
        if (error instanceof AgentStoppedError) return this.settle(agentId, outcome, error);
        if (exit.reason === 'quarantine') {
          if (error.name !== 'TerminalError') this.host.quarantine(agentId, error as PlaybooksError);
          return this.settle(agentId, outcome, error);
        }
        if (exit.reason === 'crash') outcome.lastError = error;
        // A crash, or a stop by the supervisor itself: the supervisor decides (see onSupervisorEvent).
        if (!this.tree.supervisorOf(agentId)) this.settle(agentId, outcome, error);
      },
    );
  }

  private onSupervisorEvent(event: SupervisorEvent): void {
    if (event.type === 'child.restarting') {
      if (this.outcomes.has(event.child)) this.restartCounts.set(event.child, (this.restartCounts.get(event.child) ?? 0) + 1);
      this.host.emit(event.child, { type: 'supervisor.restarting', supervisor: event.supervisor, restarts: event.restarts, delayMs: event.delayMs });
    } else if (event.type === 'escalated') {
      this.host.emit(event.supervisor, { type: 'supervisor.escalated', supervisor: event.supervisor, reason: event.reason });
    } else if (event.type === 'child.exited' && this.outcomes.has(event.child)) {
      // The supervisor has judged the exit once its current operation is done.
      setImmediate(() => {
        // Given up: it exited for good, or its supervisor stopped (escalated). A child stopped
        // for a group restart is 'stopped' only until its supervisor starts it again.
        const found = this.tree.childState(event.child);
        if (!found || found.child === 'exited' || found.supervisor !== 'running') this.giveUp(event.child);
      });
    }
  }

  private giveUp(agentId: string): void {
    if (this.parked.has(agentId)) return;
    const outcome = this.outcomes.get(agentId);
    if (!outcome || outcome.settled) return;
    this.settle(agentId, outcome, outcome.lastError ?? this.escalation ?? new HostClosedError(agentId));
  }

  private settle(agentId: string, outcome: Outcome, error: Error | undefined, value?: unknown): void {
    if (outcome.settled) return;
    outcome.settled = true;
    for (const waiter of this.runWaiters.get(agentId) ?? []) waiter.reject(error ?? new HostClosedError(agentId));
    this.runWaiters.delete(agentId);
    if (error) outcome.reject(error);
    else outcome.resolve(value);
    setImmediate(() => {
      // A finished child no longer needs a place in the tree (a quarantined or failed one keeps it, for the record).
      if (!error || error instanceof AgentStoppedError) this.tree.removeAgent(agentId);
      if (this.outcomes.get(agentId) === outcome) this.host.finished(agentId, outcome.promise);
    });
  }

  /** An agent finished long ago leaves its supervisor's record (failed ones stay there until then). */
  dropFinished(agentId: string): void {
    this.tree.removeAgent(agentId);
  }

  /** Forgets a finished agent (the host keeps what it needs of it). */
  forget(agentId: string): void {
    if (this.outcomes.get(agentId)?.settled) this.outcomes.delete(agentId);
    this.restartCounts.delete(agentId);
    this.lastSupervisor.delete(agentId);
  }
}
