import { serializeError } from '../../actors/serialize.js';
import { ensureError, PlaybooksError } from '../../errors.js';
import type { CheckpointRecord } from '../../persistence/envelope.js';
import { recordCallStack } from '../../persistence/record-views.js';
import type { HostHeartbeats } from '../heartbeats.js';
import type { Host } from '../host.js';
import { countStates, type HostObservability } from '../observability.js';
import { actOnAgent } from '../agent-actions.js';
import type { AgentSummary, DashboardApp, HostSummary, Readiness } from './types.js';

const READINESS_TIMEOUT_MS = 2_000;

/** The dashboard's view of a host: its agents, other hosts' (from heartbeats), health, actions. */
export function dashboardApp(host: Host, observability: HostObservability, heartbeats: HostHeartbeats | undefined): DashboardApp {
  const localAgents = (): AgentSummary[] => observability.summaries();
  const allAgents = (): AgentSummary[] => {
    const local = localAgents();
    const known = new Set(local.map((a) => a.agentId));
    return [...local, ...(heartbeats?.agents() ?? []).filter((a) => !known.has(a.agentId))];
  };

  return {
    async overview() {
      const agents = allAgents();
      const self: HostSummary = {
        hostId: host.id,
        namespace: host.config.nats.namespace,
        self: true,
        lastSeenMs: 0,
        agents: localAgents().length,
        nats: host.messaging ? host.messaging.state : null,
      };
      return { hosts: [self, ...(heartbeats?.hosts() ?? [])], counts: countStates(agents), generatedAt: new Date(host.clock.now()).toISOString() };
    },

    async agents() {
      return allAgents();
    },

    async agent(agentId) {
      const summary = allAgents().find((a) => a.agentId === agentId) ?? (await fromStore(host, agentId));
      if (!summary) return undefined;
      const checkpoints = (await host.checkpoints?.listCheckpoints(agentId)) ?? [];
      return { agent: summary, checkpoints };
    },

    supervisors() {
      return [host.supervisors()];
    },

    health() {
      if (host.escalation) return { ok: false, reason: `root supervisor escalated: ${host.escalation.message}` };
      if (host.isClosing) return { ok: false, reason: 'shutting down' };
      return { ok: true };
    },

    async readiness() {
      const checks: Readiness['checks'] = {};
      if (host.messaging) {
        const { connected, reason } = host.messaging.state;
        checks.nats = connected ? { ok: true } : { ok: false, detail: reason ?? 'not connected' };
      }
      if (host.store) checks.store = await storeReachable(host);
      const health = this.health();
      checks.supervisor = health.ok ? { ok: true } : { ok: false, detail: health.reason ?? 'unhealthy' };
      return { ok: Object.values(checks).every((c) => c.ok), checks };
    },

    metrics() {
      return observability.metrics.render();
    },

    async act(agentId, verb, body) {
      try {
        const fromSeq = (body as { fromSeq?: unknown } | undefined)?.fromSeq;
        if (verb === 'recover' && typeof fromSeq !== 'number') {
          return { ok: false, error: { code: 'VALIDATION', message: 'recover needs a JSON body { "fromSeq": <checkpoint number> }' } };
        }
        return await actOnAgent(host, agentId, verb, typeof fromSeq === 'number' ? { fromSeq } : {});
      } catch (error) {
        const e = ensureError(error);
        return { ok: false, error: { code: e instanceof PlaybooksError ? e.code : 'INTERNAL', message: e.message } };
      }
    },

    subscribe(listener) {
      const unsubscribe = host.onEvent(listener);
      const unwatch = heartbeats?.onHostsChanged(() => listener({ type: 'hosts' }));
      return () => {
        unsubscribe();
        unwatch?.();
      };
    },
  };
}

/** A summary for an agent known only from its checkpoints (it finished before this host started, say). */
async function fromStore(host: Host, agentId: string): Promise<AgentSummary | undefined> {
  let record: CheckpointRecord | undefined;
  try {
    record = await host.checkpoints?.getLatestCheckpoint(agentId);
  } catch (error) {
    return {
      agentId,
      host: null,
      playbook: 'unknown',
      state: 'failed',
      seq: 0,
      lastCheckpointAgeMs: null,
      restarts: 0,
      lastError: serializeError(error),
      callStack: [],
      quarantined: true,
      supervisor: null,
    };
  }
  if (!record) return undefined;
  const error = record.error ?? (record.kind === 'machine' ? undefined : record.snapshot.context.error);
  return {
    agentId,
    host: record.owner ?? null,
    playbook: record.playbook,
    state: record.status,
    seq: record.seq,
    lastCheckpointAgeMs: Math.max(0, host.clock.now() - Date.parse(record.savedAt)),
    restarts: 0,
    lastError: error ? { name: error.name, message: error.message, ...(error.code ? { code: error.code } : {}) } : null,
    callStack: recordCallStack(record),
    quarantined: false,
    supervisor: record.supervision?.supervisor ?? null,
  };
}

async function storeReachable(host: Host): Promise<{ ok: boolean; detail?: string }> {
  const probe = host.store!.latest('readiness-probe').then(() => ({ ok: true }));
  const timeout = new Promise<{ ok: boolean; detail: string }>((resolve) => {
    setTimeout(() => resolve({ ok: false, detail: `no answer within ${READINESS_TIMEOUT_MS} ms` }), READINESS_TIMEOUT_MS).unref();
  });
  return Promise.race([probe.catch((error: unknown) => ({ ok: false, detail: ensureError(error).message })), timeout]);
}
