/**
 * The error taxonomy. Each error has a stable `name` and `code` (tests and callers match on
 * `code`, never on message text) and is shaped by what the runtime does with it:
 * retry it, stop retrying, fail the agent, quarantine the agent, or reject bad input.
 */

export const ErrorCode = {
  /** A step error that must not be retried. */
  Terminal: 'TERMINAL',
  /** A step or receive that ran out of time. */
  Timeout: 'TIMEOUT',
  /** Replay did not match the journal: the playbook code changed under a running agent. */
  NonDeterminism: 'NON_DETERMINISM',
  /** An encoded checkpoint exceeds `max_checkpoint_size_mb`. */
  CheckpointTooLarge: 'CHECKPOINT_TOO_LARGE',
  /** A stored checkpoint cannot be decoded. */
  CorruptCheckpoint: 'CORRUPT_CHECKPOINT',
  /** Another writer stored a checkpoint for this agent first: this copy is fenced off. */
  CheckpointConflict: 'CHECKPOINT_CONFLICT',
  /** `playbooks.toml` or host options are invalid. */
  ConfigInvalid: 'CONFIG_INVALID',
  /** Input from outside (an id, a message, a request) is invalid. */
  Validation: 'VALIDATION',
  AgentNotFound: 'AGENT_NOT_FOUND',
  AgentExists: 'AGENT_EXISTS',
  /** The agent has finished (completed, failed or stopped) and takes no more messages. */
  AgentNotRunning: 'AGENT_NOT_RUNNING',
  /** A durable call made by an agent that was stopped or whose host closed. */
  AgentStopped: 'AGENT_STOPPED',
  UnknownPlaybook: 'UNKNOWN_PLAYBOOK',
  /** The agent has no checkpoint it can be resumed from. */
  NotRecoverable: 'NOT_RECOVERABLE',
  /** The host was closed while the agent was running; it resumes when a host recovers it. */
  HostClosed: 'HOST_CLOSED',
  /** A durable primitive that needs a running agent was called outside a playbook. */
  OutsideAgent: 'OUTSIDE_AGENT',
  /** No NATS server answered (at start: later outages are waited out). */
  NatsUnreachable: 'NATS_UNREACHABLE',
  /** A supervisor exceeded its restart intensity and gave up on its children. */
  SupervisorEscalated: 'SUPERVISOR_ESCALATED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface PlaybooksErrorOptions {
  cause?: unknown;
}

/** Base class of every error this package throws on purpose. */
export class PlaybooksError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: PlaybooksErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** Thrown by a step to say: do not retry, this will not get better. */
export class TerminalError extends PlaybooksError {
  override readonly name = 'TerminalError';
  constructor(message: string, options?: PlaybooksErrorOptions & { code?: string }) {
    super(options?.code ?? ErrorCode.Terminal, message, options);
  }
}

export class TimeoutError extends PlaybooksError {
  override readonly name = 'TimeoutError';
  constructor(message: string, options?: PlaybooksErrorOptions) {
    super(ErrorCode.Timeout, message, options);
  }
}

export class NonDeterminismError extends PlaybooksError {
  override readonly name = 'NonDeterminismError';
  constructor(
    message: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(ErrorCode.NonDeterminism, message);
  }
}

export class CheckpointTooLargeError extends PlaybooksError {
  override readonly name = 'CheckpointTooLargeError';
  constructor(
    readonly agentId: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      ErrorCode.CheckpointTooLarge,
      `checkpoint for agent "${agentId}" is ${formatBytes(sizeBytes)}, above max_checkpoint_size_mb (${formatBytes(limitBytes)})`,
    );
  }
}

export class CorruptCheckpointError extends PlaybooksError {
  override readonly name = 'CorruptCheckpointError';
  constructor(
    readonly agentId: string,
    readonly seq: number | undefined,
    reason: string,
    options?: PlaybooksErrorOptions,
  ) {
    super(
      ErrorCode.CorruptCheckpoint,
      `checkpoint ${seq ?? '?'} of agent "${agentId}" is corrupt: ${reason}`,
      options,
    );
  }
}

export class CheckpointConflictError extends PlaybooksError {
  override readonly name = 'CheckpointConflictError';
  constructor(
    readonly agentId: string,
    readonly seq: number,
  ) {
    super(
      ErrorCode.CheckpointConflict,
      `checkpoint ${seq} of agent "${agentId}" was already written by another copy of the agent; this copy stops`,
    );
  }
}

export class ConfigError extends PlaybooksError {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: PlaybooksErrorOptions) {
    super(ErrorCode.ConfigInvalid, message, options);
  }
}

export class ValidationError extends PlaybooksError {
  override readonly name = 'ValidationError';
  constructor(message: string, options?: PlaybooksErrorOptions) {
    super(ErrorCode.Validation, message, options);
  }
}

export class AgentNotFoundError extends PlaybooksError {
  override readonly name = 'AgentNotFoundError';
  constructor(readonly agentId: string) {
    super(ErrorCode.AgentNotFound, `no agent "${agentId}"`);
  }
}

export class AgentExistsError extends PlaybooksError {
  override readonly name = 'AgentExistsError';
  constructor(
    readonly agentId: string,
    detail: string,
  ) {
    super(ErrorCode.AgentExists, `agent "${agentId}" already exists: ${detail}`);
  }
}

export class AgentNotRunningError extends PlaybooksError {
  override readonly name = 'AgentNotRunningError';
  constructor(
    readonly agentId: string,
    readonly state: string,
  ) {
    super(ErrorCode.AgentNotRunning, `agent "${agentId}" is ${state} and takes no more messages`);
  }
}

export class AgentStoppedError extends PlaybooksError {
  override readonly name = 'AgentStoppedError';
  constructor(readonly agentId: string) {
    super(ErrorCode.AgentStopped, `agent "${agentId}" was stopped`);
  }
}

export class HostClosedError extends PlaybooksError {
  override readonly name = 'HostClosedError';
  constructor(readonly agentId: string) {
    super(ErrorCode.HostClosed, `the host running agent "${agentId}" was closed; the agent resumes when a host recovers it`);
  }
}

export class OutsideAgentError extends PlaybooksError {
  override readonly name = 'OutsideAgentError';
  constructor(what: string) {
    super(ErrorCode.OutsideAgent, `${what} can only be used inside a playbook run by a host`);
  }
}

export class NatsUnreachableError extends PlaybooksError {
  override readonly name = 'NatsUnreachableError';
  constructor(message: string, options?: PlaybooksErrorOptions) {
    super(ErrorCode.NatsUnreachable, message, options);
  }
}

export class UnknownPlaybookError extends PlaybooksError {
  override readonly name = 'UnknownPlaybookError';
  constructor(readonly playbook: string) {
    super(ErrorCode.UnknownPlaybook, `no playbook named "${playbook}" is registered with this host`);
  }
}

export class NotRecoverableError extends PlaybooksError {
  override readonly name = 'NotRecoverableError';
  constructor(
    readonly agentId: string,
    reason: string,
  ) {
    super(ErrorCode.NotRecoverable, `agent "${agentId}" cannot be recovered: ${reason}`);
  }
}

/** Turns anything thrown into an Error, at every boundary where user code throws. */
export function ensureError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(`non-error thrown: ${JSON.stringify(thrown)}`);
  } catch {
    return new Error(`non-error thrown: ${String(thrown)}`);
  }
}

function formatBytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB (${bytes} bytes)`;
}
