import { usageError } from './errors.js';

/* JSON and id arguments: malformed ones are usage errors (exit 2), caught before any work. */

const AGENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Parses a JSON argument; `undefined` stays undefined (the argument was not given). */
export function parseJsonArgument(text: string | undefined, what: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw usageError(`${what} is not valid JSON: ${(error as Error).message}`, `quote it for the shell, e.g. ${what} '{"url":"https://example.com"}'`);
  }
}

export function checkAgentId(id: string, what = 'agent id'): string {
  if (!AGENT_ID.test(id)) throw usageError(`${what} ${JSON.stringify(id)} is invalid: use 1 to 128 letters, digits, "_" or "-"`);
  return id;
}

export function positiveInteger(text: string, what: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw usageError(`${what} must be a whole number ≥ 1, not ${JSON.stringify(text)}`);
  return value;
}

export function portNumber(text: string, what = '--port'): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535) throw usageError(`${what} must be a port number from 0 to 65535 (0 picks a free one), not ${JSON.stringify(text)}`);
  return value;
}
