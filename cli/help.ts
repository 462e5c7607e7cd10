import { readFileSync } from 'node:fs';
import { usageLine } from './args.js';
import { COMMON_OPTIONS, type Command, type OptionSpec } from './command.js';
import { EXIT_CODES_HELP } from './errors.js';

/* Help text, generated from the command specs so that it documents exactly what is parsed. */

export function topLevelHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => signature(c).length));
  return [
    'playbooks: durable, supervised agents (durable-playbooks)',
    '',
    'Usage: playbooks <command> [arguments] [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${signature(c).padEnd(width)}  ${c.summary}`),
    '',
    'Common options (every command):',
    ...optionLines({ ...COMMON_OPTIONS, version: { type: 'boolean', description: 'print the package version' } }),
    '',
    'Exit codes:',
    ...EXIT_CODES_HELP.map(([code, text]) => `  ${code}  ${text}`),
    '',
    'Run "playbooks <command> --help" for a command\'s arguments, options and exit codes.',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: ${usageLine(command)}`, '', ...command.description.flatMap((p) => [p, ''])];
  if (command.args.length) {
    const width = Math.max(...command.args.map((a) => a.name.length + 2));
    lines.push('Arguments:', ...command.args.map((a) => `  ${`<${a.name}>`.padEnd(width)}  ${a.description}${a.optional ? ' (optional)' : ''}`), '');
  }
  if (Object.keys(command.options).length) lines.push('Options:', ...optionLines(command.options), '');
  lines.push('Common options:', ...optionLines(COMMON_OPTIONS), '');
  lines.push('Exit codes:', ...command.exitCodes.map(([code, text]) => `  ${String(code).padEnd(3)}  ${text}`));
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

function signature(command: Command): string {
  return [command.name, ...command.args.map((a) => (a.optional ? `[${a.name}]` : `<${a.name}>`))].join(' ');
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const left = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` <${spec.value}>` : ''}`;
    return [flag, `${spec.description}${spec.multiple ? ' (repeatable)' : ''}`] as const;
  });
  const width = Math.max(20, ...left.map(([flag]) => flag.length));
  return left.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

/** The package version, from package.json next to the sources (cli/) or the build (dist/cli/). */
export function packageVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'durable-playbooks' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next place
    }
  }
  return 'unknown';
}
