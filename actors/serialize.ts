import { ensureError, NonDeterminismError, PlaybooksError, TerminalError, TimeoutError, ValidationError } from '../errors.js';

/** An error as the journal stores it. Part of the checkpoint format. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export function serializeError(thrown: unknown): SerializedError {
  const error = ensureError(thrown);
  const serialized: SerializedError = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') serialized.code = code;
  if (error.stack) serialized.stack = error.stack;
  return serialized;
}

/**
 * Rebuilds a journaled error. Errors of this package come back as their own class; any other
 * error comes back as an `Error` with the same name, message, code and stack, so a playbook's
 * `catch` sees the same thing live and on replay (the runtime always throws the rebuilt form).
 */
export function deserializeError(serialized: SerializedError): Error {
  const error = rebuild(serialized);
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}

function rebuild({ name, message, code }: SerializedError): Error {
  switch (name) {
    case 'TerminalError':
      return new TerminalError(message, code === undefined ? undefined : { code });
    case 'TimeoutError':
      return new TimeoutError(message);
    case 'NonDeterminismError':
      return new NonDeterminismError(message, '', '');
  }
  const error = code === undefined ? new Error(message) : new PlaybooksError(code, message);
  Object.defineProperty(error, 'name', { value: name, enumerable: false, configurable: true, writable: true });
  return error;
}

/**
 * Passes a value through JSON, as the journal will: the live value equals the replayed one.
 * `undefined` stays `undefined`.
 */
export function toJournalValue(value: unknown, what: string): unknown {
  if (value === undefined || value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null; // as JSON has it
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError(`${what} cannot be stored as JSON: ${ensureError(error).message}`, {
      cause: error,
    });
  }
  return json === undefined ? undefined : JSON.parse(json);
}
