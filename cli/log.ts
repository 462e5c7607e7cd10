import { pino, type Logger } from 'pino';
import type { Output } from './output.js';

/*
 * The library logs, for a host the CLI runs: silent (or at `quietLevel`) unless --verbose,
 * and written as short readable lines on stderr rather than pino's JSON, so that they never
 * clutter the terminal or mix with --json output on stdout.
 */

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

export function hostLogger(out: Output, quietLevel: 'warn' | 'silent'): Logger {
  const level = out.verbose ? 'debug' : quietLevel;
  return pino({ level, base: undefined, timestamp: false }, { write: (line: string) => out.stderrLine(readable(out, line)) });
}

function readable(out: Output, line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const { level, msg, err, hostId: _hostId, ...fields } = record;
  const { red, yellow, dim } = out.errStyle;
  const paint = Number(level) >= 50 ? red : Number(level) >= 40 ? yellow : dim;
  const context = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const reason = err && typeof err === 'object' && 'message' in err ? `: ${String((err as { message: unknown }).message)}` : '';
  return `${paint(`${LEVELS[Number(level)] ?? 'log'}:`)} ${String(msg ?? '')}${reason}${context ? ` ${dim(context)}` : ''}`;
}
