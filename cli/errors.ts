import { ConfigError, PlaybooksError, ensureError } from '../errors.js';

/*
 * Exit codes are the CLI's contract with scripts: they are documented in every command's help
 * and must not change meaning.
 */
export const ExitCode = {
  Ok: 0,
  /** The operation ran and failed: an agent failed, a host replied ok:false, doctor found problems. */
  Failed: 1,
  /** The command line is wrong: unknown command or option, a missing or malformed argument. */
  Usage: 2,
  /** NATS cannot be reached, or the configuration is invalid. */
  Unreachable: 3,
  /** Ctrl-C: `run` drained and stopped; the same command resumes it. */
  Interrupted: 130,
} as const;

export const EXIT_CODES_HELP: [number, string][] = [
  [0, 'success'],
  [1, 'the operation failed (agent failed, a host replied ok:false, doctor found problems)'],
  [2, 'usage error (unknown command or option, missing or malformed argument, bad JSON)'],
  [3, 'cannot reach NATS (connection refused or timed out), or the configuration is invalid'],
];

/** An error the CLI raises on purpose: it knows its code, exit code and what to suggest. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
    /** More fields for the `--json` error object (agentId, state, …). */
    readonly details?: Record<string, unknown>,
    /** The underlying error: its stack is printed with --verbose. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError('USAGE', message, ExitCode.Usage, hint);
}

export interface Failure {
  code: string;
  message: string;
  exitCode: number;
  hint?: string;
  details?: Record<string, unknown>;
}

/** Anything thrown, as the one line (and hint) the user sees and the exit code scripts see. */
export function describeFailure(thrown: unknown): Failure {
  if (thrown instanceof CliError) {
    return { code: thrown.code, message: thrown.message, exitCode: thrown.exitCode, ...optional(thrown.hint, thrown.details) };
  }
  const error = ensureError(thrown);
  if (error instanceof ConfigError) {
    // Config messages already name the file, the key and what is allowed: print them as they are.
    return { code: error.code, message: error.message, exitCode: ExitCode.Unreachable, hint: 'fix the configuration (see "playbooks doctor")' };
  }
  const errno = (error as NodeJS.ErrnoException).code;
  if (errno === 'EADDRINUSE' || errno === 'EACCES') {
    return { code: errno, message: error.message, exitCode: ExitCode.Failed, hint: 'choose another dashboard port: --port N or [dashboard] port' };
  }
  const code = error instanceof PlaybooksError ? error.code : typeof errno === 'string' ? errno : 'FAILED';
  return { code, message: error.message, exitCode: ExitCode.Failed };
}

function optional(hint: string | undefined, details: Record<string, unknown> | undefined): Pick<Failure, 'hint' | 'details'> {
  return { ...(hint === undefined ? {} : { hint }), ...(details === undefined ? {} : { details }) };
}
