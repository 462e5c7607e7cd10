import { randomUUID } from 'node:crypto';
import type { RunningAgent } from '../actors/running-agent.js';
import { validateAgentId } from '../actors/definitions.js';
import type { AgentEventBody } from '../actors/events.js';
import type { Playbook } from '../actors/playbook.js';
import { toJournalValue } from '../actors/serialize.js';
import { AgentExistsError, CheckpointConflictError, NotRecoverableError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CheckpointManager } from '../persistence/checkpoint-manager.js';
import type { CheckpointRecord } from '../persistence/envelope.js';
import { recordResumeAt } from '../persistence/record-views.js';
import type { RecoveryCoordinator } from '../persistence/recovery-coordinator.js';
import type { AnyStateMachine } from 'xstate';
import type { AgentRef } from './agent-ref.js';
import { createRun, type AgentBlueprint, type AgentRegistry, type RunContext, type RunStart, type Spawnable } from './agent-registry.js';
import type { AgentTable } from './agent-table.js';
import type { AdoptOptions, SpawnOptions } from './host-options.js';
import { supervisorRestart, type RestartSource } from './restart-point.js';
import type { SupervisedAgents } from './supervised-agents.js';
import type { ChildExit, RestartType } from './supervisor.js';

/** What the launcher works with: the host's records of its agents, and its ways to tell of them. */
export interface LauncherWiring {
  hostId: string;
  logger: Logger;
  registry: AgentRegistry;
  table: AgentTable;
  supervision: SupervisedAgents;
  runContext: RunContext;
  checkpoints: CheckpointManager | undefined;
  recovery: RecoveryCoordinator | undefined;
  /** Where a supervisor's restart starts from (the host: its store and its inbox policy). */
  restartSource: RestartSource;
  emit: (agentId: string, playbook: string, body: AgentEventBody) => void;
  /** Throws once the host is closing. */
  assertOpen: () => void;
}

/**
 * How an agent's run starts on a host: spawned afresh, adopted from a stored checkpoint
 * (recovery, a fork, another host's agent taken over), or restarted by its supervisor. Each
 * writes the run's first checkpoint before the playbook runs, and puts the run under its
 * supervisor.
 */
export class AgentLauncher {
  constructor(private readonly wiring: LauncherWiring) {}

  /** See `Host.spawn`. */
  async spawn<Input, Output>(target: Playbook<Input, Output> | AnyStateMachine | string, options: SpawnOptions<Input>): Promise<AgentRef<Output>> {
    const { registry, table, supervision, logger } = this.wiring;
    this.wiring.assertOpen();
    const blueprint = registry.resolve(target as Spawnable);
    const agentId = options.id === undefined ? randomUUID() : validateAgentId(options.id);
    const running = table.running.get(agentId);
    if (running) return this.existing(agentId, running.name, blueprint) as AgentRef<Output>;
    const finished = table.finishedOf(agentId);
    if (finished) return this.existing(agentId, finished.status.playbook, blueprint) as AgentRef<Output>;
    const supervised = { supervisor: options.supervisor ?? 'root', restart: options.restart ?? 'transient' } as const;
    if (!supervision.tree.has(supervised.supervisor)) {
      throw new ValidationError(`no supervisor "${supervised.supervisor}": create it with host.supervisor(id, options) first`);
    }

    const input = toJournalValue(options.input, `input of agent "${agentId}"`);
    const runtime = this.createRuntime(agentId, blueprint, { input, after: { seq: 0, revision: undefined }, supervision: supervised });
    table.running.set(agentId, runtime);
    try {
      await runtime.persistNew();
    } catch (error) {
      table.running.delete(agentId);
      if (error instanceof CheckpointConflictError) return (await this.spawnExisting(agentId, blueprint)) as AgentRef<Output>;
      throw error;
    }
    table.inputs.set(agentId, input);
    table.quarantined.delete(agentId);
    this.wiring.emit(agentId, blueprint.name, { type: 'spawned' });
    logger.info({ agentId, playbook: blueprint.name }, 'agent spawned');
    runtime.run();
    await supervision.supervise(agentId, runtime, supervised);
    return table.refFor(agentId) as AgentRef<Output>;
  }

  /** See `Host.adopt`. */
  async adopt({ record, after, resumeStopped, persistFirst }: AdoptOptions): Promise<AgentRef> {
    const { registry, table, supervision, logger } = this.wiring;
    this.wiring.assertOpen();
    const agentId = record.agentId;
    const blueprint = registry.byName(record.playbook);
    if (record.playbookVersion !== blueprint.version) {
      logger.warn(
        { agentId, stored: record.playbookVersion, running: blueprint.version },
        'checkpoint was written by another version of the playbook; replay may not match',
      );
    }
    if (table.running.get(agentId)?.isHalted === false) throw new AgentExistsError(agentId, 'it is running on this host');
    if (record.kind !== 'machine') table.inputs.set(agentId, record.snapshot.context.input);
    const runtime = this.createRuntime(agentId, blueprint, {
      snapshot: record.snapshot,
      after,
      resumeStopped,
      inboxCursor: persistFirst ? 0 : record.inboxCursor,
      supervision: this.supervisionOf(record),
    });
    const willRun = runtime.state === 'running' || runtime.state === 'waiting';
    // Claim the agent with a compare-and-set write before running anything: of two hosts
    // resuming the same agent, exactly one wins and runs it.
    if (persistFirst || willRun) await runtime.persistNew(persistFirst ? 'forked' : `resumed by host ${this.wiring.hostId}`);
    table.running.set(agentId, runtime);
    table.quarantined.delete(agentId);
    const resumeAt = recordResumeAt(record);
    this.wiring.emit(agentId, blueprint.name, { type: 'restarted', seq: record.seq, resumeAt });
    logger.info({ agentId, seq: record.seq, resumeAt }, 'agent recovered');
    runtime.run();
    if (willRun || persistFirst) await supervision.supervise(agentId, runtime, this.supervisionOf(record));
    else supervision.track(agentId, runtime);
    return table.refFor(agentId);
  }

  /**
   * Runs a supervised agent again. After a crash (or a stop by its supervisor) it resumes from
   * its last good checkpoint — completed steps are not run again; after a normal exit (a
   * permanent agent) it starts afresh with its first input. Without durability it starts afresh.
   */
  async restart(agentId: string, exit: ChildExit | undefined): Promise<RunningAgent> {
    const { registry, table, supervision, logger } = this.wiring;
    const previous = table.running.get(agentId);
    if (!previous) throw new NotRecoverableError(agentId, 'this host does not know it');
    const blueprint = registry.byName(previous.name);
    const supervisor = supervision.supervisorOf(agentId) ?? 'root';
    const { record, start } = await supervisorRestart(this.wiring.restartSource, agentId, exit, table.inputs.get(agentId));
    const runtime = this.createRuntime(agentId, blueprint, { ...start, supervision: { supervisor, restart: 'transient' } });
    await runtime.persistNew(record ? `restarted from checkpoint ${record.seq}` : 'restarted afresh');
    table.running.set(agentId, runtime);
    this.wiring.emit(agentId, blueprint.name, {
      type: 'restarted',
      seq: record?.seq ?? runtime.status().seq,
      resumeAt: record ? recordResumeAt(record) : 'the start',
    });
    logger.warn({ agentId, fromSeq: record?.seq, exit: exit?.reason }, 'agent restarted by its supervisor');
    runtime.run();
    return runtime;
  }

  /** Where a recovered agent goes back: its recorded supervisor if this host has it, else the root. */
  private supervisionOf(record: CheckpointRecord): { supervisor: string; restart: RestartType } {
    const recorded = record.supervision;
    const supervisor = recorded && this.wiring.supervision.tree.has(recorded.supervisor) ? recorded.supervisor : 'root';
    return { supervisor, restart: recorded?.restart ?? 'transient' };
  }

  private createRuntime(agentId: string, blueprint: AgentBlueprint, start: RunStart): RunningAgent {
    return createRun(this.wiring.runContext, agentId, blueprint, start);
  }

  /** The id is taken in the store: same playbook → that agent; another → an error. */
  private async spawnExisting(agentId: string, blueprint: AgentBlueprint): Promise<AgentRef> {
    const latest = await this.wiring.checkpoints!.getLatestCheckpoint(agentId);
    if (!latest) throw new AgentExistsError(agentId, 'its checkpoints are being written by another host');
    this.existing(agentId, latest.playbook, blueprint);
    const unfinished = latest.status === 'running' || latest.status === 'waiting';
    if (unfinished && latest.owner !== undefined && latest.owner !== this.wiring.hostId) {
      throw new AgentExistsError(agentId, `it runs on host "${latest.owner}" (recover() takes it over from its checkpoint)`);
    }
    if (this.wiring.table.running.has(agentId)) return this.wiring.table.refFor(agentId);
    return this.wiring.recovery!.recover(agentId, { includeFinished: true });
  }

  private existing(agentId: string, playbook: string, requested: AgentBlueprint): AgentRef {
    if (playbook !== requested.name) {
      throw new AgentExistsError(agentId, `it runs playbook "${playbook}", not "${requested.name}"`);
    }
    return this.wiring.table.refFor(agentId);
  }
}
