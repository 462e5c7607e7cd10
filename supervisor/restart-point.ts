import type { InboxMessage } from '../actors/agent-machine.js';
import { ErrorCode, NotRecoverableError } from '../errors.js';
import type { Frame } from '../actors/journal.js';
import { serializeError, type SerializedError } from '../actors/serialize.js';
import type { CheckpointManager } from '../persistence/checkpoint-manager.js';
import type { CheckpointStore, StoredCheckpoint } from '../persistence/checkpoint-store.js';
import { decodeCheckpoint, type CheckpointRecord } from '../persistence/envelope.js';
import type { RunStart } from './agent-registry.js';
import type { ChildExit } from './supervisor.js';

/**
 * The checkpoint a crashed agent restarts from: the newest one written before the failure
 * that does not already hold the error that crashed it. A step whose final error escaped the
 * playbook is journaled before the crash; restarting after it would only replay the error,
 * so the restart goes back to just before it, and that step (and only it) runs again.
 * Completed steps stay journaled: they are not run again.
 */
export async function restartPoint(
  manager: CheckpointManager,
  agentId: string,
  failure: SerializedError | undefined,
): Promise<CheckpointRecord | undefined> {
  const seqs = await manager.store.history(agentId);
  for (const seq of seqs.reverse()) {
    let record: CheckpointRecord | undefined;
    try {
      record = await manager.loadCheckpoint(agentId, seq);
    } catch {
      continue; // a corrupt checkpoint is skipped, the next older one may do
    }
    if (!record || record.status === 'failed' || record.status === 'completed') continue;
    if (failure && record.kind !== 'machine' && holdsError(record.snapshot.context.journal, failure)) continue;
    return record;
  }
  return undefined;
}

function holdsError(frame: Frame, failure: SerializedError): boolean {
  return Object.values(frame.entries).some(
    (entry) => (entry.error !== undefined && sameError(entry.error, failure)) || (entry.frame !== undefined && holdsError(entry.frame, failure)),
  );
}

// A journaled error is rethrown with its stored stack, so the failure that escaped carries it too.
function sameError(a: SerializedError, b: SerializedError): boolean {
  return a.name === b.name && a.message === b.message && (a.stack === undefined || b.stack === undefined || a.stack === b.stack);
}

/**
 * Without NATS, an agent's messages live only in its checkpoints' inboxes. Restarting from an
 * older checkpoint must not lose the messages that arrived after it: those still waiting in
 * the newest checkpoint's inbox, and those consumed after the restart point (the restarted
 * run will receive them again). With NATS the inbox stream holds them instead.
 */
export function carryInbox(restart: CheckpointRecord, newest: CheckpointRecord | undefined): CheckpointRecord {
  if (!newest || newest.seq <= restart.seq || restart.kind === 'machine' || newest.kind === 'machine') return restart;
  const from = restart.snapshot.context;
  const to = newest.snapshot.context;
  const consumedBefore = new Set(consumedIds(from.journal));
  const known = new Set(from.inbox.map((m) => m.id));
  const later: InboxMessage[] = [
    ...to.inbox,
    ...consumedMessages(to.journal).filter((m) => !consumedBefore.has(m.id)),
  ].filter((m) => !known.has(m.id) && !consumedBefore.has(m.id));
  if (later.length === 0) return restart;
  const inbox = [...from.inbox, ...later].sort((a, b) => Number(a.id) - Number(b.id));
  return {
    ...restart,
    snapshot: {
      ...restart.snapshot,
      context: { ...from, inbox, messagesReceived: Math.max(from.messagesReceived, to.messagesReceived), ...(to.recentMessageIds ? { recentMessageIds: to.recentMessageIds } : {}) },
    },
  };
}

function consumedIds(frame: Frame): string[] {
  return Object.values(frame.entries).flatMap((entry) => [
    ...(entry.kind === 'receive' && entry.messageId !== undefined ? [entry.messageId] : []),
    ...(entry.frame ? consumedIds(entry.frame) : []),
  ]);
}

/** Messages taken by receives in the journal, as inbox messages again. */
function consumedMessages(frame: Frame): InboxMessage[] {
  return Object.values(frame.entries).flatMap((entry) => [
    ...(entry.kind === 'receive' && entry.messageId !== undefined && !entry.timedOut
      ? [{ id: entry.messageId, type: entry.name, payload: entry.value, sentAt: 0 }]
      : []),
    ...(entry.frame ? consumedMessages(entry.frame) : []),
  ]);
}

/** Failures a restart would only repeat: such an agent is quarantined, not restarted. */
const QUARANTINE_CODES = new Set<string>([ErrorCode.NonDeterminism, ErrorCode.CorruptCheckpoint, ErrorCode.CheckpointTooLarge]);

/**
 * A failed checkpoint of a supervised agent whose supervisor restarts it (the crash of a
 * `permanent` or `transient` agent): the agent is not finished. If its host went away before
 * the restart, the next host that recovers it restarts it.
 */
export function isRestartableFailure(record: CheckpointRecord): boolean {
  return (
    record.status === 'failed' &&
    record.supervision !== undefined &&
    record.supervision.restart !== 'temporary' &&
    !QUARANTINE_CODES.has(record.error?.code ?? '') &&
    record.error?.name !== 'TerminalError'
  );
}

/** What a supervisor's restart needs from the host. */
export interface RestartSource {
  readonly store: CheckpointStore | undefined;
  readonly checkpoints: CheckpointManager | undefined;
  withCarriedInbox(point: CheckpointRecord, newest: CheckpointRecord | undefined): CheckpointRecord;
}

/**
 * Where a supervisor's restart of an agent starts. After a crash (or a stop by its supervisor)
 * it resumes from its last good checkpoint — completed steps are not run again; after a normal
 * exit (a permanent agent) it starts afresh with its first input. Without durability it starts
 * afresh. The new run's first write follows the agent's newest checkpoint.
 */
export async function supervisorRestart(
  source: RestartSource,
  agentId: string,
  exit: ChildExit | undefined,
  firstInput: unknown,
): Promise<{ record: CheckpointRecord | undefined; start: Omit<RunStart, 'supervision'> }> {
  const latest = await source.store?.latest(agentId);
  const after = latest ? { seq: latest.seq, revision: latest.revision } : { seq: 0, revision: undefined };
  const failure = exit?.reason === 'crash' ? serializeError(exit.error) : undefined;
  const point = exit?.reason === 'normal' || !source.checkpoints ? undefined : await restartPoint(source.checkpoints, agentId, failure);
  if (!point && exit?.reason !== 'normal' && source.checkpoints) {
    throw new NotRecoverableError(agentId, 'no checkpoint from before the crash is kept');
  }
  const record = point && source.withCarriedInbox(point, latest && decodeOrUndefined(latest));
  const start = record ? { snapshot: record.snapshot, inboxCursor: record.inboxCursor, after } : { input: firstInput, after };
  return { record, start };
}

function decodeOrUndefined(stored: StoredCheckpoint): CheckpointRecord | undefined {
  try {
    return decodeCheckpoint(stored);
  } catch {
    return undefined; // a corrupt newest checkpoint carries no messages over
  }
}
