import type { AgentLifecycleEvent } from '../actors/events.js';
import type { AgentStatus } from '../actors/running-agent.js';
import type { SerializedError } from '../actors/serialize.js';
import type { Host } from './host.js';
import type { AgentSummary } from './dashboard/types.js';
import { MetricsRegistry } from './metrics.js';

const SWEEP_MIN = 1_024;
const STATES = ['running', 'waiting', 'completed', 'failed', 'stopped'] as const;
const CHECKPOINT_SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * What a host knows about its agents beyond their status — when each last checkpointed — and
 * its Prometheus metrics, both fed by the host's lifecycle events.
 */
export class HostObservability {
  readonly metrics = new MetricsRegistry();
  private readonly lastCheckpointAt = new Map<string, number>();
  /** The last failure of each agent, shown even after its supervisor restarted it. */
  private readonly lastErrors = new Map<string, AgentSummary['lastError']>();
  private readonly unsubscribe: () => void;
  /** Size of the per-agent maps at which agents the host no longer holds are dropped from it. */
  private sweepAt = SWEEP_MIN;

  constructor(private readonly host: Host) {
    const checkpoints = this.metrics.counter('playbooks_checkpoints_total', 'Checkpoints stored.');
    const checkpointSeconds = this.metrics.histogram(
      'playbooks_checkpoint_duration_seconds',
      'Time to store one checkpoint, in seconds.',
      CHECKPOINT_SECONDS_BUCKETS,
    );
    const checkpointBytes = this.metrics.counter('playbooks_checkpoint_bytes_total', 'Bytes of checkpoints stored.');
    const restarts = this.metrics.counter('playbooks_agent_restarts_total', 'Agent restarts by their supervisors.');
    const escalations = this.metrics.counter('playbooks_supervisor_escalations_total', 'Supervisors that exceeded their restart intensity.');
    const failures = this.metrics.counter('playbooks_agent_failures_total', 'Agent runs that failed.');
    const rejected = this.metrics.counter('playbooks_messages_rejected_total', 'Inbox messages rejected (malformed, schema, unknown agent).');
    this.metrics.gauge('playbooks_agents', 'Agents on this host, by state.', () => {
      const counts = countStates(host.list());
      return STATES.map((state) => ({ labels: { state }, value: counts[state] }));
    });
    this.metrics.gauge('playbooks_agents_evicted', 'Waiting agents let go of from memory (brought back by a message or timer).', () => [
      { value: host.evictedCount },
    ]);
    this.metrics.gauge('playbooks_nats_connected', '1 when the host is connected to NATS, 0 when not (absent without NATS).', () =>
      host.messaging ? [{ value: host.messaging.state.connected ? 1 : 0 }] : [],
    );
    this.metrics.gauge('playbooks_host_healthy', '1 while the root supervisor has not escalated and the host is not shutting down.', () => [
      { value: host.escalation || host.isClosing ? 0 : 1 },
    ]);

    const store = host.store?.kind ?? 'none';
    this.unsubscribe = host.onEvent((event: AgentLifecycleEvent) => {
      switch (event.type) {
        case 'checkpointed':
          checkpoints.inc({ store });
          checkpointSeconds.observe(event.durationMs / 1000);
          checkpointBytes.inc({ store }, event.bytes);
          this.lastCheckpointAt.set(event.agentId, host.clock.now());
          this.sweepIfGrown();
          break;
        case 'supervisor.restarting':
          restarts.inc({ supervisor: event.supervisor });
          break;
        case 'supervisor.escalated':
          escalations.inc({ supervisor: event.supervisor });
          break;
        case 'failed':
          failures.inc({ playbook: event.playbook });
          this.lastErrors.set(event.agentId, errorSummary(event.error));
          this.sweepIfGrown();
          break;
        case 'message.rejected':
          rejected.inc();
          break;
        default:
          break;
      }
    });
  }

  /** This host's agents, as the dashboard and heartbeats show them. */
  summaries(): AgentSummary[] {
    return this.host.list().map((status) => this.summary(status));
  }

  summary(status: AgentStatus): AgentSummary {
    const at = this.lastCheckpointAt.get(status.agentId);
    return {
      agentId: status.agentId,
      host: this.host.id,
      playbook: status.playbook,
      state: status.state,
      seq: status.seq,
      lastCheckpointAgeMs: at === undefined ? null : Math.max(0, this.host.clock.now() - at),
      restarts: status.restarts ?? 0,
      lastError: status.error ? errorSummary(status.error) : (this.lastErrors.get(status.agentId) ?? null),
      callStack: status.callStack,
      quarantined: status.quarantined === true,
      supervisor: status.supervisor ?? null,
    };
  }

  close(): void {
    this.unsubscribe();
  }

  /**
   * Drops what it knows of agents the host no longer has in memory (finished long ago, or let go
   * of): a host that runs agents for months must not keep an entry for each. Run when the map
   * has doubled since the last sweep, so the cost per checkpoint stays constant.
   */
  private sweepIfGrown(): void {
    if (this.lastCheckpointAt.size + this.lastErrors.size <= this.sweepAt) return;
    for (const agentId of this.lastCheckpointAt.keys()) if (!this.host.holds(agentId)) this.lastCheckpointAt.delete(agentId);
    for (const agentId of this.lastErrors.keys()) if (!this.host.holds(agentId)) this.lastErrors.delete(agentId);
    this.sweepAt = Math.max(SWEEP_MIN, 2 * (this.lastCheckpointAt.size + this.lastErrors.size));
  }
}

export function countStates(agents: { state: string }[]): Record<(typeof STATES)[number], number> {
  const counts = { running: 0, waiting: 0, completed: 0, failed: 0, stopped: 0 };
  for (const agent of agents) if (agent.state in counts) counts[agent.state as keyof typeof counts]++;
  return counts;
}

function errorSummary(error: SerializedError): NonNullable<AgentSummary['lastError']> {
  return { name: error.name, message: error.message, ...(error.code ? { code: error.code } : {}) };
}
