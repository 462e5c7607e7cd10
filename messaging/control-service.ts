import { z } from 'zod';
import { AgentNotFoundError, ensureError, PlaybooksError, ValidationError } from '../errors.js';
import type { CheckpointRecord } from '../persistence/envelope.js';
import { recordCallStack, recordResult } from '../persistence/record-views.js';
import type { Host } from '../supervisor/host.js';
import { actOnAgent, type AgentAction } from '../supervisor/agent-actions.js';
import type { NatsMessaging } from './nats-messaging.js';
import { hostsQueue, subjects } from './subjects.js';

/*
 * The control API: request/reply on playbooks.<ns>.control.<verb>, served by every host of
 * the namespace in a queue group (and on playbooks.<ns>.host.<hostId>.control.<verb> for
 * requests forwarded to the host that runs an agent). Requests are validated; replies are
 * { ok: true, ... } or { ok: false, error: { code, message } }. Bad input never crashes a host.
 */

const agentRequest = z.strictObject({ agentId: z.string().min(1) });
const requests = {
  spawn: z.strictObject({ playbook: z.string().min(1), agentId: z.string().min(1).optional(), input: z.unknown().optional() }),
  status: agentRequest,
  list: z.strictObject({
    state: z.enum(['running', 'waiting', 'completed', 'failed', 'stopped']).optional(),
    /** Agents per page (default 1,000): a reply must fit the server's max payload. */
    limit: z.number().int().min(1).max(5_000).optional(),
    /** The `next` of the previous page: the agents with ids after this one. */
    after: z.string().min(1).optional(),
  }),
  stop: agentRequest,
  resume: agentRequest,
  /** Resumes a failed agent from its last good checkpoint. */
  retry: agentRequest,
  /** Resumes an agent from an older checkpoint (time travel). */
  recover: z.strictObject({ agentId: z.string().min(1), fromSeq: z.number().int().positive() }),
  /** Liveness: the answering host's id (hosts ask an agent's owner before taking the agent over). */
  ping: z.strictObject({}),
};
type Verb = keyof typeof requests;
const VERBS = Object.keys(requests) as Verb[];

export type ControlReply = { ok: true; [field: string]: unknown } | { ok: false; error: { code: string; message: string } };

const FORWARD_TIMEOUT_MS = 5_000;
const LIST_PAGE = 1_000;
/** Agents whose status a `list` reads at once (each may be a store read). */
const LIST_READS_AT_ONCE = 16;
/** Agents a `list` page looks at, at most (more if its `limit` is higher), so that a page filtered by state answers in time. */
const LIST_SCAN_PER_PAGE = 2_000;
/** How long a listing of the store's agents serves the pages that continue it. */
const LIST_IDS_REUSE_MS = 60_000;
/** The ids a host listed for a page that had a `next`, for the pages that continue it (see agentIds); dropped after LIST_IDS_REUSE_MS. */
const listings = new WeakMap<Host, string[]>();
const decoder = new TextDecoder();

export function serveControl(host: Host, messaging: NatsMessaging): void {
  const ns = messaging.namespace;
  const handle = (forwarded: boolean) => (data: Uint8Array, subject: string, reply: string | undefined) => {
    if (!reply) return; // a publish without a reply subject cannot be answered
    const verb = subject.split('.').at(-1) ?? '';
    void answer(host, messaging, verb, data, forwarded).then((body) => sendReply(messaging, reply, verb, body));
  };
  messaging.serve(subjects.allControl(ns), hostsQueue(ns), handle(false));
  messaging.serve(subjects.allHostControl(ns, host.id), undefined, handle(true));
}

async function answer(host: Host, messaging: NatsMessaging, verb: string, data: Uint8Array, forwarded: boolean): Promise<ControlReply> {
  try {
    if (!(VERBS as string[]).includes(verb)) {
      throw new ValidationError(`unknown control verb "${verb}" (verbs: ${VERBS.join(', ')})`);
    }
    const request = parseRequest(verb as Verb, data);
    switch (verb as Verb) {
      case 'spawn':
        return await spawn(host, messaging, request as z.infer<typeof requests.spawn>, data, forwarded);
      case 'status':
        return { ok: true, ...(await describe(host, (request as { agentId: string }).agentId)) };
      case 'list':
        return { ok: true, ...(await list(host, request as z.infer<typeof requests.list>)) };
      case 'ping':
        return { ok: true, host: host.id };
      case 'stop':
      case 'resume':
      case 'retry':
      case 'recover': {
        const { agentId, fromSeq } = request as { agentId: string; fromSeq?: number };
        return await actOnAgent(host, agentId, verb as AgentAction, { ...(fromSeq === undefined ? {} : { fromSeq }), forwarded });
      }
    }
  } catch (error) {
    return failure(error);
  }
  return failure(new ValidationError(`unknown control verb "${verb}"`));
}

function parseRequest(verb: Verb, data: Uint8Array): unknown {
  let json: unknown;
  const text = decoder.decode(data);
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`${verb} request is not JSON: ${ensureError(error).message}`);
  }
  const parsed = requests[verb].safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `"${issue.path.join('.')}": ` : '';
    const keys = issue && 'keys' in issue ? ` ${JSON.stringify(issue.keys)}` : '';
    throw new ValidationError(`invalid ${verb} request: ${where}${issue?.message ?? 'invalid'}${keys}`);
  }
  return parsed.data;
}

/**
 * A new agent goes to the least loaded host (see HostHeartbeats.placeAgent): this host, or
 * another one the request is forwarded to. A forwarded request is served where it lands.
 */
async function spawn(
  host: Host,
  messaging: NatsMessaging,
  request: z.infer<typeof requests.spawn>,
  data: Uint8Array,
  forwarded: boolean,
): Promise<ControlReply> {
  const target = forwarded ? host.id : (host.services?.heartbeats?.placeAgent() ?? host.id);
  if (target !== host.id) {
    const reply = await forward(messaging, target, 'spawn', data);
    if (reply) return reply;
  }
  const agent = await host.spawn(request.playbook, {
    ...(request.agentId === undefined ? {} : { id: request.agentId }),
    input: request.input,
  });
  return { ok: true, agentId: agent.id, state: agent.status().state };
}

/** An agent's status: live if it runs here, else from its latest checkpoint. */
export async function describe(host: Host, agentId: string): Promise<Record<string, unknown>> {
  const local = host.get(agentId);
  if (local && (host.isRunning(agentId) || !host.checkpoints)) {
    const status = local.status();
    const result = status.state === 'completed' ? await local.result() : undefined;
    return { ...status, ...(result === undefined ? {} : { result }), host: host.id };
  }
  const record = await host.checkpoints?.getLatestCheckpoint(agentId);
  if (!record) {
    if (local) return { ...local.status(), host: host.id };
    throw new AgentNotFoundError(agentId);
  }
  return fromRecord(record);
}

function fromRecord(record: CheckpointRecord): Record<string, unknown> {
  const result = recordResult(record);
  const error = record.error ?? (record.kind === 'machine' ? undefined : record.snapshot.context.error);
  return {
    agentId: record.agentId,
    state: record.status,
    seq: record.seq,
    playbook: record.playbook,
    callStack: recordCallStack(record),
    savedAt: record.savedAt,
    ...(result === undefined ? {} : { result }),
    ...(error ? { error } : {}),
    ...(record.owner ? { host: record.owner } : {}),
  };
}

/**
 * One page of the agents, in id order: those with checkpoints in the store (or, without
 * durability, in this host's memory) after `after`, up to `limit` of them in `state`. `next`,
 * when more agents remain, is the id to pass as `after` for the next page. A page filtered by
 * state looks at a bounded number of agents, so it may hold fewer than `limit` (even none)
 * and still have a `next`.
 */
async function list(host: Host, request: z.infer<typeof requests.list>): Promise<{ agents: Record<string, unknown>[]; next?: string }> {
  const { state, after, limit = LIST_PAGE } = request;
  const ids = await agentIds(host, after !== undefined);
  let next = after === undefined ? 0 : firstAfter(ids, after);
  const scanEnd = Math.min(ids.length, next + Math.max(limit, LIST_SCAN_PER_PAGE));
  const agents: Record<string, unknown>[] = [];
  while (next < scanEnd && agents.length < limit) {
    const batch = await Promise.all(ids.slice(next, Math.min(scanEnd, next + LIST_READS_AT_ONCE)).map((agentId) => listEntry(host, agentId)));
    for (const agent of batch) {
      next++;
      if (agent && (state === undefined || agent.state === state)) agents.push(agent);
      if (agents.length === limit) break;
    }
  }
  if (next === ids.length) return { agents };
  if (host.checkpoints) keepListing(host, ids);
  return { agents, next: ids[next - 1]! };
}

/**
 * The ids of every agent of the store (or of the host, without durability), sorted. Listing a
 * store's keys reads all of them, so a page that continues a listing (`after`) takes the ids
 * this host listed for an earlier page, if that was less than LIST_IDS_REUSE_MS ago: paging
 * through n agents reads the keys once, not once per page. A first page always lists afresh.
 */
async function agentIds(host: Host, continuing: boolean): Promise<string[]> {
  if (!host.checkpoints) return [...new Set(host.list().map((s) => s.agentId))].sort();
  const listed = continuing ? listings.get(host) : undefined;
  if (listed) return listed;
  return [...new Set(await host.checkpoints.listAgents())].sort();
}

/** Keeps a listing for the pages that continue it, and lets it go once it is too old to serve them. */
function keepListing(host: Host, ids: string[]): void {
  if (listings.get(host) === ids) return; // a page that continued it
  listings.set(host, ids);
  setTimeout(() => {
    if (listings.get(host) === ids) listings.delete(host);
  }, LIST_IDS_REUSE_MS).unref();
}

/** An agent's line in a list; undefined for one gone since the ids were listed (deleted). */
async function listEntry(host: Host, agentId: string): Promise<Record<string, unknown> | undefined> {
  try {
    const { agentId: id, state, seq, playbook, host: owner } = await describe(host, agentId);
    return { agentId: id, state, seq, playbook, ...(owner ? { host: owner } : {}) };
  } catch (error) {
    if (error instanceof AgentNotFoundError) return undefined;
    return { agentId, state: 'failed', error: { code: (error as PlaybooksError).code ?? 'INTERNAL', message: ensureError(error).message } };
  }
}

/** The index of the first id greater than `after` in sorted `ids`. */
function firstAfter(ids: string[], after: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (ids[middle]! <= after) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Sends the reply; one the server cannot take (larger than its max payload) is answered with
 * an error that says so, and nothing thrown here reaches the host.
 */
function sendReply(messaging: NatsMessaging, to: string, verb: string, body: ControlReply): void {
  try {
    messaging.reply(to, body);
  } catch (error) {
    const maxPayload = messaging.connection.info?.max_payload;
    const tooLarge = /max_payload/i.test(ensureError(error).message);
    const message = tooLarge
      ? `the ${verb} reply exceeds the server's max payload${maxPayload ? ` (${maxPayload} bytes)` : ''}${verb === 'list' ? ': ask for fewer agents at a time with "limit"' : ''}`
      : `the ${verb} reply could not be sent: ${ensureError(error).message}`;
    try {
      messaging.reply(to, { ok: false, error: { code: tooLarge ? 'REPLY_TOO_LARGE' : 'INTERNAL', message } });
    } catch {
      // the connection is gone: the requester times out
    }
  }
}

/** Sends the request to another host; undefined when no host answers there. */
async function forward(messaging: NatsMessaging, hostId: string, verb: string, data: Uint8Array): Promise<ControlReply | undefined> {
  try {
    const reply = await messaging.connection.request(subjects.hostControl(messaging.namespace, hostId, verb), data, {
      timeout: FORWARD_TIMEOUT_MS,
    });
    return JSON.parse(decoder.decode(reply.data)) as ControlReply;
  } catch {
    return undefined;
  }
}

function failure(thrown: unknown): ControlReply {
  const error = ensureError(thrown);
  const code = error instanceof PlaybooksError ? error.code : 'INTERNAL';
  return { ok: false, error: { code, message: error.message } };
}
