import { validateAgentId } from '../actors/definitions.js';
import type { PendingWait } from '../actors/journal.js';
import { CheckpointConflictError, CorruptCheckpointError, ensureError, NotRecoverableError, UnknownPlaybookError } from '../errors.js';
import type { AgentRef } from '../supervisor/agent-ref.js';
import type { Host } from '../supervisor/host.js';
import type { CheckpointManager } from './checkpoint-manager.js';
import { isRestartableFailure, restartPoint } from '../supervisor/restart-point.js';
import type { StoredCheckpoint } from './checkpoint-store.js';
import { decodeCheckpoint, type CheckpointRecord } from './envelope.js';
import { recordCallStack, recordForkedAs, recordInboxSize, recordPendingWaits, recordResumeAt } from './record-views.js';

/** Where an agent would resume, read from its checkpoint. */
export interface RecoveryInfo {
  agentId: string;
  seq: number;
  savedAt: string;
  playbook: string;
  status: CheckpointRecord['status'];
  /** A readable description of the await it resumes at. */
  resumeAt: string;
  /** Open playbook frames, outermost first. */
  callStack: string[];
  /** Sleeps and receives it was waiting in. */
  pendingWaits: PendingWait[];
  /** Messages waiting in its inbox. */
  inboxSize: number;
}

export interface RecoverOptions {
  /** Resume from this older checkpoint instead of the latest (time travel). Later checkpoints stay in the history. */
  fromSeq?: number;
  /** Start a new agent with this id from the checkpoint (a fork); the original is left as it is. */
  as?: string;
  /** @internal Also load a completed or failed agent (so its result can be read). */
  includeFinished?: boolean;
}

export interface RecoveryReport {
  resumed: AgentRef[];
  /** Agents whose latest checkpoint is corrupt: not run; `recover(id, { fromSeq })` can resume them. */
  quarantined: { agentId: string; error: CorruptCheckpointError }[];
  /** Agents this host cannot resume (for example, their playbook is not registered here). */
  skipped: { agentId: string; reason: string }[];
}

const RECOVERY_CONCURRENCY = 64;

/** Resumes agents from their checkpoints into a host. */
export class RecoveryCoordinator {
  constructor(
    readonly manager: CheckpointManager,
    private readonly host: Host,
  ) {}

  /** True when the agent has a usable latest checkpoint, is unfinished, and its playbook is registered. */
  async canRecover(agentId: string): Promise<boolean> {
    try {
      const latest = await this.manager.getLatestCheckpoint(agentId);
      return latest !== undefined && !isFinished(latest) && this.host.hasPlaybook(latest.playbook);
    } catch {
      return false;
    }
  }

  async getRecoveryInfo(agentId: string, options: { fromSeq?: number } = {}): Promise<RecoveryInfo> {
    const record = await this.checkpointToResume(agentId, options.fromSeq);
    return {
      agentId,
      seq: record.seq,
      savedAt: record.savedAt,
      playbook: record.playbook,
      status: record.status,
      resumeAt: recordResumeAt(record),
      callStack: recordCallStack(record),
      pendingWaits: recordPendingWaits(record),
      inboxSize: recordInboxSize(record),
    };
  }

  /**
   * Resumes the agent from its latest checkpoint, or from `fromSeq`. A corrupt latest
   * checkpoint quarantines the agent and throws `CorruptCheckpointError`.
   */
  async recover(agentId: string, options: RecoverOptions = {}): Promise<AgentRef> {
    const forkId = options.as === undefined ? undefined : validateAgentId(options.as);
    if (!forkId && this.host.isRunning(agentId)) {
      if (options.fromSeq !== undefined) throw new NotRecoverableError(agentId, 'it is running here; stop it first');
      return this.host.get(agentId)!;
    }
    const latest = await this.manager.store.latest(agentId);
    if (!latest) throw new NotRecoverableError(agentId, 'it has no checkpoint');
    let record: CheckpointRecord;
    try {
      record = await this.checkpointToResume(agentId, options.fromSeq, latest);
    } catch (error) {
      if (error instanceof CorruptCheckpointError && !forkId) {
        this.host.quarantine(agentId, await this.lastKnownPlaybook(agentId), error);
      }
      throw error;
    }
    const owner = ownerOf(latest);
    if (!forkId && !isFinished(record) && (await this.host.ownerIsAlive(owner))) {
      throw new NotRecoverableError(agentId, `it runs on host "${owner}"; stop it there first`);
    }
    if (isFinished(record) && options.fromSeq === undefined && !options.includeFinished && !forkId) {
      throw new NotRecoverableError(agentId, `it is ${record.status}; pass fromSeq to resume from an earlier checkpoint`);
    }
    if (forkId) {
      return this.host.adopt({
        record: recordForkedAs(record, forkId),
        after: { seq: 0, revision: undefined },
        resumeStopped: true,
        persistFirst: true,
      });
    }
    return this.host.adopt({
      record,
      after: { seq: latest.seq, revision: latest.revision },
      resumeStopped: record.status === 'stopped',
    });
  }

  /** Resumes every unfinished agent in the store that is not already running here. */
  async recoverAll(): Promise<RecoveryReport> {
    const report: RecoveryReport = { resumed: [], quarantined: [], skipped: [] };
    const ids = (await this.manager.listAgents()).filter((id) => !this.host.isRunning(id));
    for (let i = 0; i < ids.length; i += RECOVERY_CONCURRENCY) {
      await Promise.all(ids.slice(i, i + RECOVERY_CONCURRENCY).map((id) => this.recoverOne(id, report)));
    }
    return report;
  }

  private async recoverOne(agentId: string, report: RecoveryReport): Promise<void> {
    try {
      const latest = await this.manager.store.latest(agentId);
      if (!latest) return;
      let record = decodeCheckpoint(latest);
      const crashed = isRestartableFailure(record);
      if (record.status !== 'running' && record.status !== 'waiting' && !crashed) return;
      if (await this.host.ownerIsAlive(record.owner)) {
        report.skipped.push({ agentId, reason: `it runs on host "${record.owner}"` });
        return;
      }
      if (!this.host.hasPlaybook(record.playbook)) {
        report.skipped.push({ agentId, reason: new UnknownPlaybookError(record.playbook).message });
        return;
      }
      if (crashed) {
        // Its host went away while its supervisor waited to restart it: restart it here.
        const point = await restartPoint(this.manager, agentId, record.error);
        if (!point) {
          report.skipped.push({ agentId, reason: 'it crashed and no checkpoint from before the crash is kept' });
          return;
        }
        record = this.host.withCarriedInbox(point, record);
      }
      report.resumed.push(await this.host.adopt({ record, after: { seq: latest.seq, revision: latest.revision } }));
    } catch (error) {
      if (error instanceof CorruptCheckpointError) {
        this.host.quarantine(agentId, await this.lastKnownPlaybook(agentId), error);
        report.quarantined.push({ agentId, error });
      } else if (error instanceof CheckpointConflictError) {
        report.skipped.push({ agentId, reason: 'another host resumed it first' });
      } else {
        report.skipped.push({ agentId, reason: ensureError(error).message });
      }
    }
  }

  private async checkpointToResume(agentId: string, fromSeq?: number, latest?: StoredCheckpoint): Promise<CheckpointRecord> {
    if (fromSeq === undefined) {
      const stored = latest ?? (await this.manager.store.latest(agentId));
      if (!stored) throw new NotRecoverableError(agentId, 'it has no checkpoint');
      return decodeCheckpoint(stored);
    }
    const record = await this.manager.loadCheckpoint(agentId, fromSeq);
    if (!record) {
      const kept = await this.manager.store.history(agentId);
      throw new NotRecoverableError(agentId, `checkpoint ${fromSeq} is not kept (kept: ${kept.join(', ') || 'none'})`);
    }
    return record;
  }

  /** The playbook named by the newest checkpoint that still decodes (for reporting a corrupt agent). */
  private async lastKnownPlaybook(agentId: string): Promise<string> {
    const seqs = await this.manager.store.history(agentId);
    for (const seq of seqs.reverse()) {
      try {
        const record = await this.manager.loadCheckpoint(agentId, seq);
        if (record) return record.playbook;
      } catch {
        // keep looking further back
      }
    }
    return 'unknown';
  }
}

function isFinished(record: CheckpointRecord): boolean {
  return record.status === 'completed' || record.status === 'failed';
}


/** The host that wrote a stored checkpoint, if it decodes. */
function ownerOf(stored: StoredCheckpoint): string | undefined {
  try {
    return decodeCheckpoint(stored).owner;
  } catch {
    return undefined;
  }
}
