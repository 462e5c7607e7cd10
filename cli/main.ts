#!/usr/bin/env node
import { parseCommandLine, splitCommand, suggest } from './args.js';
import { COMMANDS } from './commands/index.js';
import { describeFailure, ExitCode, usageError } from './errors.js';
import { commandHelp, packageVersion, topLevelHelp } from './help.js';
import { Output } from './output.js';

/*
 * `playbooks`: parses the command line, runs one command, and turns what it returns or
 * throws into an exit code (see EXIT_CODES_HELP) and, on failure, one clear line on stderr
 * (or a JSON error object on stdout with --json).
 */

async function main(argv: string[], out: Output, cwd = process.cwd()): Promise<number> {
  const { command: name, rest } = splitCommand(argv, COMMANDS);
  if (name === undefined || name === 'help') {
    const target = name === 'help' ? rest.find((arg) => !arg.startsWith('-')) : undefined;
    if (target !== undefined) return main([target, '--help'], out, cwd);
    if (name === undefined && rest.includes('--version')) {
      out.raw(out.json ? JSON.stringify({ version: packageVersion() }) : packageVersion());
      return ExitCode.Ok;
    }
    const asked = name === 'help' || rest.includes('--help') || rest.includes('-h');
    // Asked for, help goes to stdout; as the answer to a bare `playbooks`, it is a usage error.
    if (asked) out.raw(topLevelHelp(COMMANDS));
    else process.stderr.write(`${topLevelHelp(COMMANDS)}\n`);
    return asked ? ExitCode.Ok : ExitCode.Usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const close = suggest(name, COMMANDS.map((c) => c.name));
    throw usageError(`unknown command "${name}"`, close ? `did you mean "playbooks ${close}"? ("playbooks --help" lists commands)` : '"playbooks --help" lists the commands');
  }
  const parsed = parseCommandLine(command, rest);
  if (parsed.help) {
    out.raw(commandHelp(command));
    return ExitCode.Ok;
  }
  return command.run({ args: parsed.positionals, options: parsed.options, common: parsed.common, out, cwd, argv });
}

async function cli(): Promise<void> {
  const argv = process.argv.slice(2);
  // Known before parsing, so that even a usage error is reported in the requested form.
  const out = new Output({ json: argv.includes('--json'), verbose: argv.includes('--verbose') });
  let code: number;
  try {
    code = await main(argv, out);
  } catch (error) {
    const failure = describeFailure(error);
    out.failure(failure);
    if (out.verbose) {
      const underlying = (error as Error).cause ?? error;
      if (underlying instanceof Error && underlying.stack) process.stderr.write(`${underlying.stack}\n`);
    }
    code = failure.exitCode;
  }
  await out.flush();
  // Exit explicitly: a command is done when it returns, whatever handles user code left open.
  process.exit(code);
}

await cli();
