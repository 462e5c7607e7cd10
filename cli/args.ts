import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, type Command, type CommonOptions, type OptionSpec } from './command.js';
import { usageError } from './errors.js';

/*
 * Command-line parsing with node:util parseArgs (strict: unknown options are usage errors).
 * Common options may come before or after the command name.
 */

export interface ParsedLine {
  command: string | undefined;
  /** The arguments without the command name. */
  rest: string[];
}

/**
 * Finds the command name: the first argument that is neither an option nor an option's value.
 * Options that take a value (of any command) are skipped with their value.
 */
export function splitCommand(argv: string[], commands: Command[]): ParsedLine {
  const takesValue = new Set<string>();
  const specs = [COMMON_OPTIONS, ...commands.map((c) => c.options)];
  for (const options of specs) {
    for (const [name, spec] of Object.entries(options)) {
      if (spec.type !== 'string') continue;
      takesValue.add(`--${name}`);
      if (spec.short) takesValue.add(`-${spec.short}`);
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { command: argv[i + 1], rest: [...argv.slice(0, i), ...argv.slice(i + 2)] };
    if (arg.startsWith('-')) {
      if (takesValue.has(arg)) i++;
      continue;
    }
    return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: undefined, rest: argv };
}

export interface ParsedCommand {
  positionals: string[];
  options: Record<string, string | boolean | string[] | undefined>;
  common: CommonOptions;
  help: boolean;
}

export function parseCommandLine(command: Command, rest: string[]): ParsedCommand {
  const options: Record<string, OptionSpec> = { ...COMMON_OPTIONS, ...command.options };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: Object.fromEntries(
        Object.entries(options).map(([name, spec]) => [
          name,
          { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs messages are clear ("Unknown option '--x'", "Option '--id <value>' argument missing").
    throw usageError(`${(error as Error).message.replace(/\. To specify a positional argument.*$/s, '')}`, `see "playbooks ${command.name} --help"`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const help = values.help === true;
  if (!help) checkPositionals(command, parsed.positionals);
  const common: CommonOptions = {
    config: values.config as string | undefined,
    nats: values.nats as string | undefined,
    namespace: values.namespace as string | undefined,
    json: values.json === true,
    verbose: values.verbose === true,
  };
  const own = Object.fromEntries(Object.keys(command.options).map((name) => [name, values[name]]));
  return { positionals: parsed.positionals, options: own, common, help };
}

function checkPositionals(command: Command, positionals: string[]): void {
  const required = command.args.filter((a) => !a.optional);
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).map((a) => `<${a.name}>`);
    throw usageError(`${command.name}: missing ${missing.join(' ')}`, `usage: ${usageLine(command)}`);
  }
  if (positionals.length > command.args.length) {
    const extra = positionals.slice(command.args.length).map((p) => JSON.stringify(p));
    throw usageError(`${command.name}: unexpected argument${extra.length > 1 ? 's' : ''} ${extra.join(' ')}`, `usage: ${usageLine(command)}`);
  }
}

export function usageLine(command: Command): string {
  const args = command.args.map((a) => (a.optional ? `[${a.name}]` : `<${a.name}>`));
  return ['playbooks', command.name, ...args, Object.keys(command.options).length ? '[options]' : '[common options]'].join(' ');
}

/** Closest command name, for "did you mean …?" (edit distance at most 2). */
export function suggest(input: string, names: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(input, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name ?? names.find((name) => name.startsWith(input));
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
