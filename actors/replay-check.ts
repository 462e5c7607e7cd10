import { NonDeterminismError } from '../errors.js';
import type { FrameCursor } from './context.js';
import { findEntry, findFrame, frameExtent, type CallSite, type Frame, type JournalEntry } from './journal.js';

/*
 * Replay checks: a playbook run again from its journal must make the same durable calls, in the
 * same order, as the run that recorded it. Where it does not, the code changed under the agent,
 * and the agent fails with a `NonDeterminismError` naming both calls.
 */

/** The agent replayed (its runtime): its journal, and its names for the error's message. */
export interface ReplayedAgent {
  readonly agentId: string;
  /** The root playbook's name (the frame's own name is used where the journal has it). */
  readonly name: string;
  readonly context: { journal: Frame };
}

/**
 * The journal's entry at `site` from an earlier run: `undefined` when none was recorded there,
 * a `NonDeterminismError` when the recorded call is of another kind or name.
 */
export function journaledCall(agent: ReplayedAgent, site: CallSite, kind: JournalEntry['kind'], name: string): JournalEntry | undefined | NonDeterminismError {
  const entry = findEntry(agent.context.journal, site);
  if (!entry || (entry.kind === kind && entry.name === name)) return entry;
  return nonDeterminism(agent, site, `${entry.kind} "${entry.name}"`, `${kind} "${name}"`);
}

/**
 * As a frame returns: a `NonDeterminismError` if its journal recorded a call that replay has
 * not made (the playbook now returns earlier), else `undefined`.
 */
export function callLeftUnreplayed(agent: ReplayedAgent, cursor: FrameCursor): NonDeterminismError | undefined {
  const frame = findFrame(agent.context.journal, cursor.path);
  if (!frame || frameExtent(frame) <= cursor.next) return undefined;
  let leftover = cursor.next; // the first recorded position at or after it (one exists, below the extent)
  while (!frame.entries[leftover]) leftover++;
  const entry = frame.entries[leftover]!;
  return nonDeterminism(agent, { frame: cursor.path, position: leftover }, `${entry.kind} "${entry.name}"`, `a return from playbook "${cursor.playbook}"`);
}

function nonDeterminism(agent: ReplayedAgent, site: CallSite, expected: string, actual: string): NonDeterminismError {
  const frame = findFrame(agent.context.journal, site.frame)?.playbook ?? agent.name;
  return new NonDeterminismError(
    `agent "${agent.agentId}": replay does not match the journal at ${frame} call #${site.position + 1}: ` +
      `the journal has ${expected}, the playbook now makes ${actual}`,
    expected,
    actual,
  );
}
