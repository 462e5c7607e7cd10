import type { AgentStatus } from '../actors/running-agent.js';
import { systemClock, type Clock } from '../actors/clock.js';
import { validateAgentId } from '../actors/definitions.js';
import type { AgentEventBody } from '../actors/events.js';
import type { Playbook } from '../actors/playbook.js';
import { serializeError, toJournalValue } from '../actors/serialize.js';
import type { PlaybooksConfig } from '../config.js';
import { AgentNotFoundError, AgentNotRunningError, ErrorCode, PlaybooksError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { NatsMessaging } from '../messaging/nats-messaging.js';
import { CheckpointManager } from '../persistence/checkpoint-manager.js';
import type { CheckpointStore } from '../persistence/checkpoint-store.js';
import type { CheckpointRecord } from '../persistence/envelope.js';
import { RecoveryCoordinator, type RecoveryReport } from '../persistence/recovery-coordinator.js';
import type { AgentRef, AgentDirectory } from './agent-ref.js';
import { AgentTable } from './agent-table.js';
import type { AdoptOptions, AgentEventListener, HostOptions, HostWiring, SpawnOptions } from './host-options.js';
import { AgentRegistry, type RunContext } from './agent-registry.js';
import { AgentLauncher } from './agent-launcher.js';
import { AgentEvents } from './agent-events.js';
import { recordOutcome } from '../persistence/record-views.js';
import type { AnyStateMachine } from 'xstate';
import { serveControl } from '../messaging/control-service.js';
import { StrayMessages } from '../messaging/stray-messages.js';
import { carryInbox } from './restart-point.js';
import { SupervisedAgents } from './supervised-agents.js';
import { HostServices, type StartOptions } from './host-services.js';
import type { HostLease } from './host-lease.js';
import { IdleEviction, type ParkedAgent } from './idle-eviction.js';
import type { SupervisorSpec } from './supervision-tree.js';
import type { SupervisorTree } from './supervisor.js';

/**
 * Runs agents: spawns them, hands them messages, checkpoints them through its store, and
 * recovers unfinished ones from their latest checkpoints.
 */
export class Host implements AgentDirectory {
  readonly id: string;
  readonly config: PlaybooksConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  /** `undefined` when durability is off. */
  readonly store: CheckpointStore | undefined;
  readonly checkpoints: CheckpointManager | undefined;
  readonly recovery: RecoveryCoordinator | undefined;
  private readonly registry = new AgentRegistry();
  private readonly table = new AgentTable(this);
  /** Each agent's current run (`table.running`). */
  private readonly agents = this.table.running;
  private readonly quarantined = this.table.quarantined;
  private closed = false;
  private draining = false;
  private readonly supervision: SupervisedAgents;
  private readonly strays: StrayMessages | undefined;
  private readonly launcher: AgentLauncher;
  private readonly events: AgentEvents;
  private readonly eviction: IdleEviction | undefined;

  /** Set when the host talks NATS: inboxes, events and the control API. */
  readonly messaging: NatsMessaging | undefined;
  /** Set once `start()` ran: the dashboard, heartbeats and metrics. */
  services: HostServices | undefined;
  /** The host's lease on its agents (with the NATS store). */
  readonly lease: HostLease | undefined;

  /** Use `createHost`. */
  constructor(config: PlaybooksConfig, options: HostOptions, wiring: HostWiring) {
    this.id = wiring.hostId;
    this.config = config;
    this.logger = wiring.logger;
    this.clock = options.clock ?? systemClock;
    this.events = new AgentEvents(this.clock, this.logger);
    this.store = wiring.store;
    this.messaging = wiring.messaging;
    this.lease = wiring.lease;
    this.checkpoints = this.store && new CheckpointManager(this.store);
    this.recovery = this.checkpoints && new RecoveryCoordinator(this.checkpoints, this);
    this.supervision = new SupervisedAgents(config.supervisor, this.clock, this.logger, {
      restart: (agentId, exit) => this.launcher.restart(agentId, exit),
      quarantine: (agentId, error) => this.quarantine(agentId, this.agents.get(agentId)?.name ?? 'unknown', error),
      emit: (agentId, body) => this.emit(agentId, this.agents.get(agentId)?.name ?? '', body),
      finished: (agentId, outcome) => this.retire(agentId, outcome),
    });
    const runContext: RunContext = {
      hostId: this.id,
      store: this.store,
      messaging: this.messaging,
      clock: this.clock,
      logger: this.logger,
      sendToAgent: (target, type, payload, msgId) => this.sendTo(target, type, payload, msgId),
      emit: (agentId, playbook, event) => this.emit(agentId, playbook, event),
      gate: this.lease,
      keepLastN: config.durability.keepLastN,
    };
    this.launcher = new AgentLauncher({
      hostId: this.id,
      logger: this.logger,
      registry: this.registry,
      table: this.table,
      supervision: this.supervision,
      runContext,
      checkpoints: this.checkpoints,
      recovery: this.recovery,
      restartSource: this,
      emit: (agentId, playbook, body) => this.emit(agentId, playbook, body),
      assertOpen: () => this.assertOpen(),
    });
    this.strays = this.messaging && new StrayMessages(this.messaging, this.checkpoints, this.logger, () => this.clock.now());
    this.register(...(options.playbooks ?? []));
    const idleMs = config.supervisor.idleEvictionSeconds * 1000;
    if (this.store && idleMs > 0) {
      this.eviction = new IdleEviction(
        {
          logger: this.logger,
          clock: this.clock,
          waitingAgents: () => this.waitingAgents(),
          park: (agentId) => this.park(agentId),
          unpark: (agentId) => this.unpark(agentId),
        },
        idleMs,
      );
      this.eviction.start();
    }
  }

  /** Makes playbooks (and XState machines) known by name, so agents running them can be recovered. */
  register(...items: (Playbook<never, unknown> | AnyStateMachine)[]): this {
    for (const item of items) this.registry.register(item);
    return this;
  }

  /**
   * Starts an agent running `playbook` and resolves once its first checkpoint (its input) is
   * stored. Spawning an id that exists, with the same playbook, returns the existing agent
   * (so a retried spawn starts one agent); with another playbook it is an `AgentExistsError`.
   */
  spawn<Input, Output>(
    target: Playbook<Input, Output> | AnyStateMachine | string,
    options: SpawnOptions<Input> = {},
  ): Promise<AgentRef<Output>> {
    return this.launcher.spawn(target, options);
  }

  /**
   * Adds a supervisor to the host's tree (under `spec.parent`, default the root). Agents
   * spawned with `{ supervisor: id }` run under it.
   */
  async supervisor(id: string, spec: SupervisorSpec = {}): Promise<void> {
    this.assertOpen();
    await this.supervision.addSupervisor(id, spec);
  }

  /** The supervision tree, from the root supervisor (configured by `[supervisor]`). */
  supervisors(): SupervisorTree {
    return this.supervision.describe();
  }

  /** Set when the root supervisor gave up (its restart intensity was exceeded): the host is unhealthy. */
  get escalation(): Error | undefined {
    return this.supervision.escalated;
  }

  /** The agent with this id, if this host runs it (or has it quarantined, or parked while it waits). */
  get(agentId: string): AgentRef | undefined {
    const known = this.table.has(agentId) || this.eviction?.isParked(agentId);
    return known ? this.refFor(agentId) : undefined;
  }

  /** @internal Whether the agent is in this host's memory: running, quarantined or recently finished. */
  holds(agentId: string): boolean {
    return this.table.has(agentId);
  }

  /** Status of every agent this host has in memory (parked agents are counted by `evictedCount`). */
  list(): AgentStatus[] {
    return this.table.ids().map((id) => this.statusOf(id));
  }

  /** Agents let go of from memory while they wait (`[supervisor] idle_eviction_seconds`). */
  get evictedCount(): number {
    return this.eviction?.size ?? 0;
  }

  /** Resumes every unfinished agent in the store from its latest checkpoint; quarantines corrupt ones. */
  async recover(): Promise<RecoveryReport> {
    this.assertOpen();
    if (!this.recovery) return { resumed: [], quarantined: [], skipped: [] };
    return this.recovery.recoverAll();
  }

  /**
   * Starts the host's services: recovers its unfinished agents, serves the dashboard, health
   * and metrics, sends heartbeats (with NATS) and, if asked, drains on SIGTERM.
   */
  async start(options: StartOptions = {}): Promise<HostServices> {
    this.assertOpen();
    if (this.services) return this.services;
    this.services = new HostServices(this);
    await this.services.start(options, this.logger);
    return this.services;
  }

  /** Calls `listener` with every lifecycle event of every agent; returns an unsubscribe function. */
  onEvent(listener: AgentEventListener): () => void {
    return this.events.listen(listener);
  }

  /**
   * Stops running agents where they are (pending checkpoints are written first) and releases
   * the store. Agents keep their state: the next host to `recover()` resumes them.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.eviction?.stop();
    await this.services?.close();
    this.supervision.close();
    await Promise.all([...this.agents.values()].map((runtime) => runtime.detach()));
    await this.supervision.tree.stop();
    await this.lease?.release(); // the other hosts take the agents over now, not a lease later
    await this.messaging?.close();
    await this.store?.close();
    await this.messaging?.closeConnection();
  }

  /**
   * Graceful shutdown (what SIGTERM does): no new work is accepted, steps in flight get up to
   * `graceMs` (default `[supervisor] shutdown_grace_seconds`) to finish and be checkpointed,
   * then the host closes. Agents resume wherever a host recovers them.
   */
  async drain(graceMs = this.config.supervisor.shutdownGraceSeconds * 1000): Promise<void> {
    if (this.closed || this.draining) return;
    this.draining = true;
    this.logger.info({ graceMs }, 'draining');
    await Promise.all([...this.agents.values()].map((runtime) => runtime.drain(graceMs)));
    await this.close();
  }

  /** True once `drain` or `close` was called. */
  get isClosing(): boolean {
    return this.draining || this.closed;
  }

  // ---- AgentDirectory (what AgentRef uses) ------------------------------------------------

  /**
   * Sends a message to an agent: to its runtime if it runs here, else (with NATS) to its
   * inbox, wherever it runs. `msgId` deduplicates a resend.
   */
  async sendTo(agentId: string, type: string, payload: unknown, msgId?: string): Promise<void> {
    if (!this.messaging && this.eviction?.isParked(agentId)) await this.eviction.wake(agentId);
    if (!this.messaging && this.agents.get(agentId)?.isHalted && this.supervision.isRestarting(agentId)) {
      await this.supervision.nextRun(agentId); // its supervisor is about to restart it
    }
    const runtime = this.agents.get(agentId);
    if (runtime && !runtime.isHalted) return runtime.deliver(type, payload, msgId);
    if (this.messaging) {
      if (typeof type !== 'string' || type.length === 0) throw new ValidationError('a message needs a non-empty string "type"');
      validateAgentId(agentId);
      return this.messaging.publishToInbox(agentId, type, toJournalValue(payload, `payload of message "${type}"`), msgId);
    }
    if (runtime) return runtime.deliver(type, payload, msgId);
    if (this.quarantined.has(agentId)) throw new AgentNotRunningError(agentId, 'failed');
    throw new AgentNotFoundError(agentId);
  }

  resultOf(agentId: string): Promise<unknown> {
    if (this.eviction?.isParked(agentId)) return this.eviction.wake(agentId).then(() => this.resultOf(agentId));
    const finished = this.table.finishedOf(agentId);
    if (finished) return finished.outcome;
    const runtime = this.agents.get(agentId);
    if (runtime) return this.supervision.result(agentId) ?? runtime.result();
    const quarantined = this.quarantined.get(agentId);
    if (quarantined) return Promise.reject(quarantined.error);
    return this.storedOutcome(agentId);
  }

  /** The outcome of an agent that finished long ago, from its latest checkpoint. */
  private async storedOutcome(agentId: string): Promise<unknown> {
    const record = await this.checkpoints?.getLatestCheckpoint(agentId);
    if (!record) throw new AgentNotFoundError(agentId);
    return recordOutcome(record);
  }

  statusOf(agentId: string): AgentStatus {
    const parked = this.eviction?.statusOf(agentId);
    if (parked) return parked;
    const finished = this.table.finishedOf(agentId);
    if (finished) return finished.status;
    const runtime = this.agents.get(agentId);
    const quarantined = this.quarantined.get(agentId);
    if (runtime) {
      // The runtime's status is made afresh for each call: completed here rather than spread
      // into another object (this runs for every agent that finishes, and the finished keep it).
      const status = runtime.status();
      if (quarantined && status.state === 'failed') status.quarantined = true;
      status.restarts = this.supervision.restarts(agentId);
      const supervisor = this.supervision.supervisorOf(agentId);
      if (supervisor) status.supervisor = supervisor;
      return status;
    }
    const status = this.table.quarantinedStatus(agentId);
    if (!status) throw new AgentNotFoundError(agentId);
    return status;
  }

  async stopAgent(agentId: string): Promise<void> {
    if (this.eviction?.isParked(agentId)) await this.eviction.wake(agentId);
    const runtime = this.agents.get(agentId);
    if (!runtime) {
      if (this.quarantined.has(agentId)) return;
      throw new AgentNotFoundError(agentId);
    }
    await runtime.stop();
  }

  // ---- used by RecoveryCoordinator ----------------------------------------------------------

  /** @internal Runs an agent from a stored snapshot. */
  adopt(options: AdoptOptions): Promise<AgentRef> {
    return this.launcher.adopt(options);
  }

  /** @internal */
  isRunning(agentId: string): boolean {
    const runtime = this.agents.get(agentId);
    return runtime !== undefined && !runtime.isHalted;
  }

  /** @internal Marks an agent whose checkpoint cannot be used: it is reported, not run. */
  quarantine(agentId: string, playbook: string, error: PlaybooksError): void {
    this.logger.error({ agentId, err: error }, 'agent quarantined');
    const forgotten = this.table.quarantine(agentId, playbook, error);
    if (forgotten) this.supervision.dropFinished(forgotten);
    // An agent that failed while running has announced it already.
    if (!this.agents.has(agentId)) this.emit(agentId, playbook, { type: 'failed', error: serializeError(error) });
  }

  /**
   * @internal Whether another host that wrote an agent's checkpoint is still running (it
   * answers on NATS). Without NATS there is one host per store: no.
   */
  async ownerIsAlive(owner: string | undefined): Promise<boolean> {
    if (!owner || owner === this.id) return false;
    const leased = this.lease?.statusOf(owner);
    if (leased === 'alive' || leased === 'dead') return leased === 'alive';
    // Not known yet (this host just started): a host whose process is gone has no subscriber,
    // so the request fails at once; a paused one does not answer either, and its lease will tell.
    return this.messaging ? this.messaging.isHostAlive(owner) : false;
  }

  /** @internal The lease lapsed and was renewed: stop every agent another host took meanwhile. */
  async revalidateAgents(): Promise<void> {
    await Promise.all([...this.agents.values()].map((runtime) => runtime.verifyOwnership()));
  }

  /** @internal */
  hasPlaybook(name: string): boolean {
    return this.registry.has(name);
  }

  // ---- used by NATS messaging -------------------------------------------------------------

  /** @internal Starts publishing events and serving control requests (with NATS). */
  startServing(): void {
    const messaging = this.messaging;
    if (!messaging) return;
    this.onEvent((event) => messaging.publishEvent(event));
    serveControl(this, messaging);
  }

  /** @internal A message was published to an agent's inbox. */
  inboxNotified(agentId: string): void {
    if (this.eviction?.isParked(agentId)) return void this.eviction.wake(agentId);
    const runtime = this.agents.get(agentId);
    if (runtime && !runtime.isHalted) runtime.wakeInbox();
    // A run that ended while its supervisor restarts it: the next run reads its inbox.
    else if (runtime && this.supervision.isRestarting(agentId)) return;
    else if (!this.closed) void this.strays?.handle(agentId);
  }

  /** @internal NATS came back: look at every inbox (messages may have come while it was away). */
  reconnected(): void {
    for (const runtime of this.agents.values()) if (!runtime.isHalted) runtime.wakeInbox();
  }

  /** A finished agent leaves memory (its status and outcome stay for a while). */
  private retire(agentId: string, outcome: Promise<unknown>): void {
    const runtime = this.agents.get(agentId);
    if (!runtime?.isHalted || runtime.state === 'running' || runtime.state === 'waiting') return;
    const forgotten = this.table.retire(agentId, this.statusOf(agentId), outcome);
    this.supervision.forget(agentId);
    if (forgotten) this.supervision.dropFinished(forgotten); // a failed one was kept in its supervisor's record
  }

  // ---- used by idle eviction ------------------------------------------------------------

  /** @internal Agents idle now, and for how long (ms). */
  waitingAgents(): { agentId: string; waitingMs: number }[] {
    return this.table.waiting(this.clock.now());
  }

  /** @internal Lets go of a waiting agent: its state is in its checkpoints. */
  async park(agentId: string): Promise<ParkedAgent | undefined> {
    const runtime = this.agents.get(agentId);
    if (!runtime || runtime.isHalted || runtime.idleSince() === undefined || this.isClosing) return undefined;
    const wakeAt = runtime.nextWakeAt();
    const parked: ParkedAgent = { playbook: runtime.name, seq: runtime.status().seq, ...(wakeAt === undefined ? {} : { wakeAt }) };
    await this.supervision.park(agentId);
    await runtime.detach();
    this.table.release(agentId);
    return parked;
  }

  /** @internal Brings a parked agent back from its latest checkpoint. */
  async unpark(agentId: string): Promise<void> {
    if (this.isClosing) return;
    await this.recovery!.recover(agentId);
  }

  // ---- internals ------------------------------------------------------------------------

  /**
   * @internal A restart point with the messages that came after it. With NATS the restarted run
   * reads the inbox stream again from the point's cursor; without, they are carried over from
   * the newest checkpoint.
   */
  withCarriedInbox(point: CheckpointRecord, newest: CheckpointRecord | undefined): CheckpointRecord {
    return this.messaging ? point : carryInbox(point, newest);
  }

  private refFor(agentId: string): AgentRef {
    return this.table.refFor(agentId);
  }

  private emit(agentId: string, playbook: string, body: AgentEventBody): void {
    this.events.emit(agentId, playbook, body);
  }

  private assertOpen(): void {
    if (this.closed) throw new PlaybooksError(ErrorCode.HostClosed, 'this host is closed');
    if (this.draining) throw new PlaybooksError(ErrorCode.HostClosed, 'this host is shutting down and takes no new work');
  }
}
