import { z } from 'zod';
import { serializeError } from '../../actors/serialize.js';
import { AgentNotFoundError, ensureError, ErrorCode, NotRecoverableError, PlaybooksError, ValidationError } from '../../errors.js';
import { subjects } from '../../messaging/subjects.js';
import type { CheckpointRecord } from '../../persistence/envelope.js';
import { recordCallStack } from '../../persistence/record-views.js';
import type { HostHeartbeats } from '../heartbeats.js';
import type { Host } from '../host.js';
import { countStates, type HostObservability } from '../observability.js';
import { restartPoint } from '../restart-point.js';
import type { ActionReply, ActionVerb, AgentSummary, DashboardApp, HostSummary, Readiness } from './types.js';

const recoverBody = z.strictObject({ fromSeq: z.number().int().positive() });
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
        return await act(host, agentId, verb, body);
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

async function act(host: Host, agentId: string, verb: ActionVerb, body: unknown): Promise<ActionReply> {
  const local = host.get(agentId);
  const runsHere = host.isRunning(agentId);
  if (verb === 'stop') {
    if (runsHere) {
      await local!.stop();
      return { ok: true, agentId, state: local!.status().state };
    }
    return forward(host, agentId, 'stop');
  }
  const recovery = host.recovery;
  if (!recovery) throw new PlaybooksError(ErrorCode.NotRecoverable, 'this host has durability off: nothing to resume');
  if (verb === 'resume') {
    if (runsHere) return { ok: true, agentId, state: local!.status().state };
    if (!local && host.messaging) return forward(host, agentId, 'resume');
    const agent = await recovery.recover(agentId);
    return { ok: true, agentId, state: agent.status().state };
  }
  if (verb === 'retry') {
    const latest = await host.checkpoints!.getLatestCheckpoint(agentId).catch(() => undefined);
    if (!latest && !local) throw new AgentNotFoundError(agentId);
    const state = local?.status().state ?? latest?.status;
    if (state !== 'failed') throw new ValidationError(`agent "${agentId}" is ${state}: only a failed agent can be retried`);
    const failure = local?.status().error ?? latest?.error;
    const point = await restartPoint(host.checkpoints!, agentId, failure);
    if (!point) throw new NotRecoverableError(agentId, 'no checkpoint from before the failure is kept');
    const agent = await recovery.recover(agentId, { fromSeq: point.seq });
    return { ok: true, agentId, state: agent.status().state, fromSeq: point.seq };
  }
  const parsed = recoverBody.safeParse(body);
  if (!parsed.success) throw new ValidationError('recover needs a JSON body { "fromSeq": <checkpoint number> }');
  if (runsHere) throw new ValidationError(`agent "${agentId}" is running: stop it before recovering it from an older checkpoint`);
  const agent = await recovery.recover(agentId, { fromSeq: parsed.data.fromSeq });
  return { ok: true, agentId, state: agent.status().state, fromSeq: parsed.data.fromSeq };
}

/** An agent that runs elsewhere: the control API routes the request to its host. */
async function forward(host: Host, agentId: string, verb: 'stop' | 'resume'): Promise<ActionReply> {
  if (!host.messaging) throw new AgentNotFoundError(agentId);
  const reply = await host.messaging.connection.request(
    subjects.control(host.messaging.namespace, verb),
    new TextEncoder().encode(JSON.stringify({ agentId })),
    { timeout: 10_000 },
  );
  return JSON.parse(new TextDecoder().decode(reply.data)) as ActionReply;
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
