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
  // Plain data (what steps return, most of the time) is copied as JSON would rebuild it, without
  // writing and parsing the text: about a third of the cost.
  const copied = plainCopy(value, 0);
  if (copied !== NOT_PLAIN) return copied;
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

const NOT_PLAIN = Symbol('not plain JSON data');
const hasOwn = Object.prototype.hasOwnProperty;
/** Deeper than this, the JSON path decides (and names a cycle, if that is what it is). */
const PLAIN_COPY_MAX_DEPTH = 32;

/**
 * What `JSON.parse(JSON.stringify(value))` gives, for plain data only: objects of the plain
 * prototype (or none) without `toJSON`, arrays, strings, booleans, null and finite numbers
 * (-0 becomes 0); undefined, functions and symbols in an object are left out, as JSON leaves
 * them. Anything else (a Date, a Map, a class instance, a `toJSON`, a hole or undefined in an
 * array, a `__proto__` key, a cycle) gives NOT_PLAIN, and the caller goes through JSON.
 * Keys come out in the same order: JSON.parse makes them in the text's order, which is this one.
 */
function plainCopy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value + 0 : null; // -0 + 0 is 0
    case 'object':
      break;
    default:
      return NOT_PLAIN;
  }
  if (value === null) return null;
  if (depth >= PLAIN_COPY_MAX_DEPTH) return NOT_PLAIN;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = plainCopy(value[i], depth + 1);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      copy[i] = item;
    }
    return copy;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if ((prototype !== Object.prototype && prototype !== null) || typeof (value as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    if (!hasOwn.call(value, key)) continue; // enumerable on a polluted Object.prototype: JSON skips it too
    if (key === '__proto__') return NOT_PLAIN;
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
    const item = plainCopy(field, depth + 1);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    copy[key] = item;
  }
  return copy;
}
