import { validateAgentId } from '../actors/definitions.js';
import { AgentNotFoundError, ErrorCode, NotRecoverableError, PlaybooksError, ValidationError } from '../errors.js';
import { subjects } from '../messaging/subjects.js';
import type { AgentRef } from './agent-ref.js';
import type { Host } from './host.js';
import { restartPoint } from './restart-point.js';

/** What an operator can do to an agent (control API, dashboard, CLI). */
export type AgentAction = 'stop' | 'resume' | 'retry' | 'recover';

export type ActionReply = { ok: true; [field: string]: unknown } | { ok: false; error: { code: string; message: string } };

const FORWARD_TIMEOUT_MS = 5_000;

/**
 * Acts on an agent where it runs: here, or — with NATS — at the live host that wrote its
 * latest checkpoint (the request is forwarded there; a forwarded request is served where it
 * lands). With no live host running it, this host takes it over from its checkpoint.
 *   stop     — stops it for good, with a final checkpoint;
 *   resume   — resumes a stopped (or orphaned) agent from its latest checkpoint;
 *   retry    — resumes a failed agent from its last good checkpoint (before the failure);
 *   recover  — resumes it from checkpoint `fromSeq` (time travel); it must not be running.
 */
export async function actOnAgent(
  host: Host,
  agentId: string,
  action: AgentAction,
  options: { fromSeq?: number; forwarded?: boolean } = {},
): Promise<ActionReply> {
  validateAgentId(agentId);
  if (!host.isRunning(agentId) && !options.forwarded && host.messaging && action !== 'recover') {
    const record = await host.checkpoints?.getLatestCheckpoint(agentId).catch(() => undefined);
    const runsElsewhere = record?.owner && record.owner !== host.id && (record.status === 'running' || record.status === 'waiting');
    if (runsElsewhere && (await host.ownerIsAlive(record.owner))) {
      const reply = await forward(host, record.owner!, action, agentId);
      if (reply) return reply;
    }
  }
  switch (action) {
    case 'stop': {
      const agent = host.isRunning(agentId) ? host.get(agentId)! : await takeOver(host, agentId);
      await agent.stop();
      return { ok: true, agentId, state: agent.status().state };
    }
    case 'resume': {
      const agent = host.isRunning(agentId) ? host.get(agentId)! : await recovery(host).recover(agentId);
      return { ok: true, agentId, state: agent.status().state };
    }
    case 'retry':
      return retry(host, agentId);
    case 'recover': {
      const fromSeq = options.fromSeq;
      if (fromSeq === undefined || !Number.isInteger(fromSeq) || fromSeq < 1) {
        throw new ValidationError('recover needs "fromSeq": the number of the checkpoint to resume from');
      }
      if (host.isRunning(agentId)) throw new ValidationError(`agent "${agentId}" is running: stop it before recovering it from an older checkpoint`);
      const agent = await recovery(host).recover(agentId, { fromSeq });
      return { ok: true, agentId, state: agent.status().state, fromSeq };
    }
  }
}

async function retry(host: Host, agentId: string): Promise<ActionReply> {
  const local = host.get(agentId);
  const latest = await host.checkpoints?.getLatestCheckpoint(agentId).catch(() => undefined);
  if (!latest && !local) throw new AgentNotFoundError(agentId);
  const state = local?.status().state ?? latest?.status;
  if (state !== 'failed') throw new ValidationError(`agent "${agentId}" is ${state}: only a failed agent can be retried`);
  const point = await restartPoint(host.checkpoints!, agentId, local?.status().error ?? latest?.error);
  if (!point) throw new NotRecoverableError(agentId, 'no checkpoint from before the failure is kept');
  const agent = await recovery(host).recover(agentId, { fromSeq: point.seq });
  return { ok: true, agentId, state: agent.status().state, fromSeq: point.seq };
}

/** An agent no live host runs: this host takes it over (so it can be stopped, say). */
async function takeOver(host: Host, agentId: string): Promise<AgentRef> {
  const known = host.get(agentId) ?? (await host.recovery?.recover(agentId).catch(() => undefined));
  if (!known) throw new AgentNotFoundError(agentId);
  return known;
}

function recovery(host: Host): NonNullable<Host['recovery']> {
  if (!host.recovery) throw new PlaybooksError(ErrorCode.NotRecoverable, 'this host has durability off: nothing to resume');
  return host.recovery;
}

async function forward(host: Host, hostId: string, action: AgentAction, agentId: string): Promise<ActionReply | undefined> {
  try {
    const reply = await host.messaging!.connection.request(
      subjects.hostControl(host.messaging!.namespace, hostId, action),
      new TextEncoder().encode(JSON.stringify({ agentId })),
      { timeout: FORWARD_TIMEOUT_MS },
    );
    return JSON.parse(new TextDecoder().decode(reply.data)) as ActionReply;
  } catch {
    return undefined; // that host did not answer: act here
  }
}
