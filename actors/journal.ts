import type { SerializedError } from './serialize.js';

/**
 * The journal: what an agent's durable calls returned, organised as its call tree.
 *
 * Each playbook frame numbers its durable calls in program order (the position is taken when
 * the call is made, not when it completes, so `Promise.all` replays the same way). An open
 * child call holds its own frame; a finished one collapses to a single entry holding its
 * return value, so the journal stays as small as the open call stack plus the entries of
 * the frames on it. This shape is part of the checkpoint format.
 */
export interface Frame {
  /** The playbook running in this frame. */
  playbook: string;
  /** Recorded calls by position. */
  entries: Record<string, JournalEntry>;
}

export const EntryKind = {
  Step: 'step',
  Call: 'call',
  Sleep: 'sleep',
  Receive: 'receive',
  Now: 'now',
  Random: 'random',
  Uuid: 'uuid',
  Send: 'send',
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export interface JournalEntry {
  kind: EntryKind;
  /** Step or playbook name, message type for `receive`, the kind for the others. */
  name: string;
  /** Set once the call has its outcome; an entry without it is still waiting (sleep, receive) or open (call). */
  done?: true;
  value?: unknown;
  error?: SerializedError;
  /** The open frame of a child playbook call. */
  frame?: Frame;
  /** Sleep: when it wakes. Receive: when it times out. Epoch milliseconds. */
  until?: number;
  /** Receive: it timed out rather than getting a message. */
  timedOut?: true;
  /** Receive: the inbox id of the message it took. */
  messageId?: string;
}

/** Where a call sits: the path of positions from the root frame to its frame, and its position there. */
export interface CallSite {
  frame: readonly number[];
  position: number;
}

export function emptyFrame(playbook: string): Frame {
  return { playbook, entries: {} };
}

export function findFrame(root: Frame, path: readonly number[]): Frame | undefined {
  let frame: Frame | undefined = root;
  for (const position of path) {
    frame = frame?.entries[position]?.frame;
    if (!frame) return undefined;
  }
  return frame;
}

export function findEntry(root: Frame, site: CallSite): JournalEntry | undefined {
  return findFrame(root, site.frame)?.entries[site.position];
}

/**
 * Returns a new root with `update` applied to the entry at `site`, copying only the frames on
 * the path (the rest is shared with the previous journal).
 */
export function updateEntry(
  root: Frame,
  site: CallSite,
  update: (entry: JournalEntry | undefined) => JournalEntry,
): Frame {
  return updateFrameAt(root, site.frame, 0, (frame) => ({
    ...frame,
    entries: { ...frame.entries, [site.position]: update(frame.entries[site.position]) },
  }));
}

function updateFrameAt(frame: Frame, path: readonly number[], depth: number, update: (f: Frame) => Frame): Frame {
  if (depth === path.length) return update(frame);
  const position = path[depth]!;
  const entry = frame.entries[position];
  if (!entry?.frame) throw new Error(`journal has no open frame at ${path.slice(0, depth + 1).join('.')}`);
  return {
    ...frame,
    entries: { ...frame.entries, [position]: { ...entry, frame: updateFrameAt(entry.frame, path, depth + 1, update) } },
  };
}

/**
 * The open call stack, outermost first. Where several children are open at once (parallel
 * calls), it follows the latest one.
 */
export function callStack(root: Frame): string[] {
  const stack = [root.playbook];
  let frame = root;
  for (;;) {
    const open = openChildren(frame).at(-1);
    if (!open) return stack;
    stack.push(open.playbook);
    frame = open;
  }
}

function openChildren(frame: Frame): Frame[] {
  return sortedPositions(frame)
    .map((p) => frame.entries[p]?.frame)
    .filter((f): f is Frame => f !== undefined);
}

export function sortedPositions(frame: Frame): number[] {
  return Object.keys(frame.entries)
    .map(Number)
    .sort((a, b) => a - b);
}

export interface PendingWait {
  kind: 'sleep' | 'receive';
  /** Message type for a receive. */
  name: string;
  until?: number;
  callStack: string[];
}

/** Every sleep and receive that was waiting when the journal was saved. */
export function pendingWaits(root: Frame): PendingWait[] {
  const waits: PendingWait[] = [];
  const visit = (frame: Frame, stack: string[]): void => {
    for (const position of sortedPositions(frame)) {
      const entry = frame.entries[position]!;
      if (entry.frame) visit(entry.frame, [...stack, entry.frame.playbook]);
      else if (!entry.done && (entry.kind === 'sleep' || entry.kind === 'receive')) {
        const wait: PendingWait = { kind: entry.kind, name: entry.name, callStack: stack };
        if (entry.until !== undefined) wait.until = entry.until;
        waits.push(wait);
      }
    }
  };
  visit(root, [root.playbook]);
  return waits;
}

/** A readable description of where replay of this journal will continue. */
export function describeResumePoint(root: Frame): string {
  const stack = callStack(root);
  let frame = root;
  for (;;) {
    const open = openChildren(frame).at(-1);
    if (!open) break;
    frame = open;
  }
  const positions = sortedPositions(frame);
  const last = positions.at(-1);
  const where = stack.join(' › ');
  if (last === undefined) return `${where}: at its first durable call`;
  const entry = frame.entries[last]!;
  if (!entry.done && (entry.kind === 'sleep' || entry.kind === 'receive')) {
    const until = entry.until === undefined ? '' : ` until ${new Date(entry.until).toISOString()}`;
    return `${where}: waiting in ${entry.kind} ${entry.kind === 'receive' ? `"${entry.name}"` : ''}${until}`.replace('  ', ' ');
  }
  return `${where}: after ${entry.kind} "${entry.name}" (call #${last + 1}), at call #${last + 2}`;
}
