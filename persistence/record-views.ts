import { callStack, describeResumePoint, pendingWaits, type PendingWait } from '../actors/journal.js';
import { deserializeError } from '../actors/serialize.js';
import { AgentNotRunningError, AgentStoppedError } from '../errors.js';
import type { CheckpointRecord } from './envelope.js';

/*
 * Readings of a checkpoint record that do not depend on the agent's kind (a playbook with a
 * journal, or a plain XState machine).
 */

/** A machine's state value as a readable path: "green", "active.waiting", "(parallel: a | b)". */
export function stateValueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) return `${entries[0]![0]}.${stateValueText(entries[0]![1])}`;
    return `(${entries.map(([key, child]) => `${key}.${stateValueText(child)}`).join(' | ')})`;
  }
  return String(value);
}

export function recordCallStack(record: CheckpointRecord): string[] {
  if (record.status === 'completed' || record.status === 'failed') return [];
  if (record.kind === 'machine') return [record.playbook, stateValueText(record.snapshot.value)];
  return callStack(record.snapshot.context.journal);
}

export function recordResumeAt(record: CheckpointRecord): string {
  if (record.kind === 'machine') return `machine ${record.playbook} in state ${stateValueText(record.snapshot.value)}`;
  return describeResumePoint(record.snapshot.context.journal);
}

export function recordPendingWaits(record: CheckpointRecord): PendingWait[] {
  return record.kind === 'machine' ? [] : pendingWaits(record.snapshot.context.journal);
}

export function recordInboxSize(record: CheckpointRecord): number {
  return record.kind === 'machine' ? 0 : record.snapshot.context.inbox.length;
}

/** The agent's return value (a playbook's result, a machine's output), when it completed. */
export function recordResult(record: CheckpointRecord): unknown {
  if (record.status !== 'completed') return undefined;
  return record.kind === 'machine' ? record.snapshot.output : record.snapshot.context.result;
}

/** The record as the first checkpoint of a new agent `agentId` (a fork). */
export function recordForkedAs(record: CheckpointRecord, agentId: string): CheckpointRecord {
  if (record.kind === 'machine') return { ...record, agentId };
  return { ...record, agentId, snapshot: { ...record.snapshot, context: { ...record.snapshot.context, agentId } } };
}

/**
 * What `result()` gives for an agent known only by its latest checkpoint: its result, or the
 * error it failed with, stopped with, or that says it is not finished (and where it runs).
 */
export function recordOutcome(record: CheckpointRecord): unknown {
  const agentId = record.agentId;
  if (record.status === 'completed') return recordResult(record);
  if (record.status === 'stopped') throw new AgentStoppedError(agentId);
  const error = record.error ?? (record.kind === 'machine' ? undefined : record.snapshot.context.error);
  if (record.status === 'failed' && error) throw deserializeError(error);
  throw new AgentNotRunningError(agentId, `${record.status} on host "${record.owner ?? 'unknown'}"`);
}
