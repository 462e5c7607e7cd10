import { z } from 'zod';
import type { AgentContext } from '../actors/agent-machine.js';
import type { AgentState } from '../actors/agent-machine.js';
import type { Frame, JournalEntry } from '../actors/journal.js';
import type { SerializedError } from '../actors/serialize.js';
import { CorruptCheckpointError, ensureError } from '../errors.js';
import type { StoredCheckpoint } from './checkpoint-store.js';

/**
 * Version of the checkpoint record format. Bump it, and keep decoding old fixtures, on any change.
 * 2: a frame may name journal segments stored apart (`segments`); stores splice them back on load.
 */
export const CHECKPOINT_FORMAT = 2;
/** Formats this version reads. */
const READABLE_FORMATS = [1, 2] as const;

/** The XState persisted snapshot of a playbook agent's actor, as stored. */
export interface PersistedAgentSnapshot {
  status: 'active' | 'done' | 'error' | 'stopped';
  value: unknown;
  context: AgentContext;
  [xstateField: string]: unknown;
}

/** The XState persisted snapshot of a plain machine run as an agent: its context is the machine's own. */
export interface PersistedMachineSnapshot {
  status: 'active' | 'done' | 'error' | 'stopped';
  value: unknown;
  context?: unknown;
  output?: unknown;
  error?: unknown;
  [xstateField: string]: unknown;
}

interface CheckpointRecordFields {
  format: (typeof READABLE_FORMATS)[number];
  agentId: string;
  seq: number;
  /** The playbook's name, or the machine's id for a machine agent. */
  playbook: string;
  /** The playbook's `version` option when the checkpoint was written. */
  playbookVersion?: string;
  /** ISO 8601. */
  savedAt: string;
  status: AgentState;
  /** Why the agent failed, when `status` is "failed". */
  error?: SerializedError;
  /** The last inbox stream sequence taken into the agent (NATS messaging); absent means 0. */
  inboxCursor?: number;
  /** Id of the host that wrote the checkpoint. */
  owner?: string;
  /** The supervisor the agent runs under, and how it is restarted (set back after a recovery). */
  supervision?: { supervisor: string; restart: 'permanent' | 'transient' | 'temporary' };
}

/** A checkpoint of an agent running a playbook (`kind` is absent). */
export interface PlaybookCheckpointRecord extends CheckpointRecordFields {
  kind?: 'playbook';
  snapshot: PersistedAgentSnapshot;
}

/** A checkpoint of a plain XState machine run as an agent. */
export interface MachineCheckpointRecord extends CheckpointRecordFields {
  kind: 'machine';
  snapshot: PersistedMachineSnapshot;
}

/** A checkpoint: the public, versioned JSON record a store holds. */
export type CheckpointRecord = PlaybookCheckpointRecord | MachineCheckpointRecord;

const serializedErrorSchema: z.ZodType<SerializedError> = z.object({
  name: z.string(),
  message: z.string(),
  code: z.string().optional(),
  stack: z.string().optional(),
});

const entrySchema: z.ZodType<JournalEntry> = z.lazy(() =>
  z.object({
    kind: z.enum(['step', 'call', 'sleep', 'receive', 'now', 'random', 'uuid', 'send']),
    name: z.string(),
    done: z.literal(true).optional(),
    value: z.unknown().optional(),
    error: serializedErrorSchema.optional(),
    frame: frameSchema.optional(),
    until: z.number().optional(),
    timedOut: z.literal(true).optional(),
    messageId: z.string().optional(),
  }),
);

const frameSchema: z.ZodType<Frame> = z.lazy(() =>
  z.object({
    playbook: z.string(),
    entries: z.record(z.string().regex(/^\d+$/, 'entry positions are whole numbers'), entrySchema),
  }),
);

const contextSchema = z.object({
  agentId: z.string(),
  playbook: z.string(),
  input: z.unknown().optional(),
  journal: frameSchema,
  inbox: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      payload: z.unknown().optional(),
      sentAt: z.number(),
      msgId: z.string().optional(),
    }),
  ),
  recentMessageIds: z.array(z.string()).optional(),
  run: z.number().int().nonnegative().optional(),
  messagesReceived: z.number().int().nonnegative(),
  result: z.unknown().optional(),
  error: serializedErrorSchema.optional(),
});

const snapshotStatus = z.enum(['active', 'done', 'error', 'stopped']);

const recordSchema = z.object({
  format: z.literal([...READABLE_FORMATS], {
    error: `an unknown checkpoint format (this version reads formats ${READABLE_FORMATS.join(' and ')})`,
  }),
  kind: z.enum(['playbook', 'machine']).optional(),
  agentId: z.string().min(1),
  seq: z.number().int().positive(),
  playbook: z.string().min(1),
  playbookVersion: z.string().optional(),
  savedAt: z.string(),
  status: z.enum(['running', 'waiting', 'completed', 'failed', 'stopped']),
  error: serializedErrorSchema.optional(),
  inboxCursor: z.number().int().nonnegative().optional(),
  owner: z.string().optional(),
  supervision: z.object({ supervisor: z.string(), restart: z.enum(['permanent', 'transient', 'temporary']) }).optional(),
  snapshot: z.looseObject({ status: snapshotStatus, value: z.unknown() }),
});

const playbookSnapshotSchema = z.looseObject({ status: snapshotStatus, value: z.unknown(), context: contextSchema });

/** A machine's snapshot: XState's own, the delayed events it had pending, or the input of one never started (see machine-runtime.ts). */
const machineSnapshotSchema = z.looseObject({
  status: snapshotStatus,
  value: z.unknown(),
  delayedEvents: z.array(z.strictObject({ id: z.string(), event: z.looseObject({ type: z.string() }), dueAt: z.number() })).optional(),
  notStarted: z.strictObject({ input: z.unknown().optional() }).optional(),
});

/** Decodes and validates a stored checkpoint; anything off is a `CorruptCheckpointError`. */
export function decodeCheckpoint(stored: StoredCheckpoint): CheckpointRecord {
  let json: unknown;
  try {
    json = JSON.parse(stored.data);
  } catch (error) {
    throw new CorruptCheckpointError(stored.agentId, stored.seq, `not valid JSON (${ensureError(error).message})`, {
      cause: error,
    });
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'record';
    throw new CorruptCheckpointError(stored.agentId, stored.seq, `${where}: ${issue?.message ?? 'invalid'}`, {
      cause: parsed.error,
    });
  }
  const snapshotSchema = parsed.data.kind === 'machine' ? machineSnapshotSchema : playbookSnapshotSchema;
  const snapshot = snapshotSchema.safeParse(parsed.data.snapshot);
  if (!snapshot.success) {
    const issue = snapshot.error.issues[0];
    const where = ['snapshot', ...(issue?.path ?? [])].join('.');
    throw new CorruptCheckpointError(stored.agentId, stored.seq, `${where}: ${issue?.message ?? 'invalid'}`, {
      cause: snapshot.error,
    });
  }
  const record = parsed.data as CheckpointRecord;
  if (record.agentId !== stored.agentId) {
    throw new CorruptCheckpointError(stored.agentId, stored.seq, `it belongs to agent "${record.agentId}"`);
  }
  if (record.seq !== stored.seq) {
    throw new CorruptCheckpointError(stored.agentId, stored.seq, `it says it is checkpoint ${record.seq}`);
  }
  return record;
}
