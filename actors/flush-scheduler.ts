/**
 * Runs the checkpoint flushes of every agent that asked for one, together, in one
 * setImmediate. Each flush issues its write synchronously up to its first await, so the
 * writes of many agents leave in the same turn — one socket write for all of them instead of
 * one per agent — and everything each playbook recorded in the turn is in its write. NATS
 * lifecycle events are published in the same turn, to share that socket write.
 */
const waiting = new Set<() => void>();
let scheduled = false;

export function scheduleFlush(flush: () => void): void {
  waiting.add(flush);
  if (scheduled) return;
  scheduled = true;
  setImmediate(runFlushes);
}

function runFlushes(): void {
  scheduled = false;
  const flushes = [...waiting];
  waiting.clear();
  for (const flush of flushes) flush();
}
