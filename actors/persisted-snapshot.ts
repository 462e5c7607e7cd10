import type { PersistedAgentSnapshot } from '../persistence/envelope.js';
import type { AgentSnapshot } from './agent-machine.js';

/**
 * @internal The actor's persisted snapshot, as `actor.getPersistedSnapshot()` makes it, without its deep
 * walk of the context looking for actor refs: an agent's context is plain JSON (no spawned
 * actors), and this runs for every checkpoint.
 */
export function persistedSnapshot(snapshot: AgentSnapshot): PersistedAgentSnapshot {
  const persisted: PersistedAgentSnapshot = {
    status: snapshot.status,
    value: snapshot.value,
    historyValue: persistedHistory(snapshot.historyValue),
    context: snapshot.context,
    children: {},
  };
  if (snapshot.output !== undefined) persisted.output = snapshot.output;
  if (snapshot.error !== undefined) persisted.error = snapshot.error;
  return persisted;
}

/** XState's own form of a history value: the ids of the remembered state nodes. */
function persistedHistory(history: unknown): Record<string, { id: string }[]> {
  const result: Record<string, { id: string }[]> = {};
  if (!history || typeof history !== 'object') return result;
  for (const [key, nodes] of Object.entries(history as Record<string, unknown>)) {
    if (Array.isArray(nodes)) result[key] = nodes.map((node: { id: string }) => ({ id: node.id }));
  }
  return result;
}
