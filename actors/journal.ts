import type { SerializedError } from './serialize.js';

/**
 * The journal: what an agent's durable calls returned, organised as its call tree.
 *
 * Each playbook frame numbers its durable calls in program order (the position is taken when
 * the call is made, not when it completes, so `Promise.all` replays the same way). An open
 * child call holds its own frame; a finished one collapses to a single entry holding its
 * return value, so the journal stays as small as the open call stack plus the entries of
 * the frames on it. This shape is part of the checkpoint format (where a checkpoint may store
 * a frame's older entries apart, as journal segments: persistence/journal-segments.ts).
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
 * Applies `update` to the entry at `site`, in place, and returns the root. The journal is
 * mutated rather than copied: copying a frame's entries on every update cost time in
 * proportion to the frame's length, so a long loop slowed down step by step. Nothing keeps
 * an older journal: a checkpoint is encoded in the same turn as its snapshot is taken.
 */
export function updateEntry(
  root: Frame,
  site: CallSite,
  update: (entry: JournalEntry | undefined) => JournalEntry,
): Frame {
  const frame = findFrame(root, site.frame);
  if (!frame) throw new Error(`journal has no open frame at ${site.frame.join('.')}`);
  frame.entries[site.position] = update(frame.entries[site.position]);
  const extent = extents.get(frame);
  if (extent !== undefined && site.position >= extent) extents.set(frame, site.position + 1);
  return root;
}

const extents = new WeakMap<Frame, number>();

/** One past the frame's highest recorded position: kept up to date by `updateEntry`, so reading it does not scan the frame. */
export function frameExtent(frame: Frame): number {
  let extent = extents.get(frame);
  if (extent === undefined) {
    extent = 0;
    for (const position in frame.entries) extent = Math.max(extent, Number(position) + 1);
    extents.set(frame, extent);
  }
  return extent;
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
