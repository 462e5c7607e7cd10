import { ValidationError } from '../errors.js';

/** A duration: milliseconds, or a string such as `'250ms'`, `'10s'`, `'5m'`, `'2h'`, `'1d'`. */
export type Duration = number | `${number}${DurationUnit}`;
type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function toMilliseconds(duration: Duration): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new ValidationError(`invalid duration ${duration}: expected a number of milliseconds ≥ 0`);
    }
    return duration;
  }
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(String(duration).trim());
  if (!match) {
    throw new ValidationError(`invalid duration "${duration}": expected e.g. 500, "250ms", "10s", "5m", "2h" or "1d"`);
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as DurationUnit]);
}
