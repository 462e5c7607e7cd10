import type { Output } from './output.js';

/*
 * What every command file exports: its documentation (help is generated from it, so the help
 * and the parser cannot disagree) and its `run`.
 */

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder of the value in help: `--port <N>`. */
  value?: string;
  description: string;
}

export interface ArgumentSpec {
  name: string;
  description: string;
  optional?: boolean;
}

/** Options every command takes. */
export interface CommonOptions {
  config?: string | undefined;
  nats?: string | undefined;
  namespace?: string | undefined;
  json: boolean;
  verbose: boolean;
}

export interface CommandContext {
  /** Positional arguments, in the order of `args`. */
  args: string[];
  /** Values of the command's own options (strings, booleans, or string arrays for `multiple`). */
  options: Record<string, string | boolean | string[] | undefined>;
  common: CommonOptions;
  out: Output;
  cwd: string;
  /** The command line as typed after `playbooks`, to tell the user how to run it again. */
  argv: string[];
}

export interface Command {
  name: string;
  /** One line, for the command list. */
  summary: string;
  /** Paragraphs of the command's help. */
  description: string[];
  args: ArgumentSpec[];
  options: Record<string, OptionSpec>;
  /** The exit codes this command uses, with what they mean for it. */
  exitCodes: [number, string][];
  examples?: string[];
  run(context: CommandContext): Promise<number>;
}

export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', value: 'path', description: 'config file (default: ./playbooks.toml when it exists)' },
  nats: { type: 'string', value: 'url,...', description: 'NATS servers, comma-separated (overrides [nats] servers)' },
  namespace: { type: 'string', value: 'ns', description: 'NATS subject namespace (overrides [nats] namespace)' },
  json: { type: 'boolean', description: 'machine-readable JSON on stdout' },
  verbose: { type: 'boolean', description: 'more detail, and the library logs, on stderr' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** Reads a string option, for commands (parseArgs types values loosely). */
export function stringOption(context: CommandContext, name: string): string | undefined {
  const value = context.options[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(context: CommandContext, name: string): string[] {
  const value = context.options[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}
