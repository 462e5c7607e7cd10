import type { Frame } from '../actors/journal.js';
import type { SerializedError } from '../actors/serialize.js';
import type { CheckpointManager } from '../persistence/checkpoint-manager.js';
import type { CheckpointRecord } from '../persistence/envelope.js';

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
