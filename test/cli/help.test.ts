import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/child.js';
import { tempDir } from '../helpers/temp-dir.js';
import { COMMANDS } from '../../cli/commands/index.js';
import { commandHelp } from '../../cli/help.js';
import { Output } from '../../cli/output.js';
import { FIXTURES, jsonOf, runCli } from './cli-process.js';

const NAMES = ['dev', 'run', 'spawn', 'send', 'status', 'ls', 'stop', 'resume', 'checkpoints', 'doctor'];

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('playbooks: help, usage errors and exit codes', () => {
  it('--help lists every command, the common options and the exit codes', async () => {
    await using dir = await tempDir();
    const result = await runCli(['--help'], { cwd: dir.path });
    expect(result.code).toBe(0);
    for (const name of NAMES) expect(result.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    expect(result.stdout).toContain('--config <path>');
    expect(result.stdout).toContain('--json');
    expect(result.stdout).toMatch(/Exit codes:[\s\S]*2 {2}usage error[\s\S]*3 {2}cannot reach NATS/);
  });

  it('<command> --help documents the arguments, options and exit codes of every command', async () => {
    // Every command's help is generated from its spec: checked in-process for all of them,
    // and through the CLI for two.
    for (const command of COMMANDS) {
      const help = commandHelp(command);
      expect(help).toContain(`Usage: playbooks ${command.name}`);
      for (const arg of command.args) expect(help).toContain(`<${arg.name}>`);
      for (const option of Object.keys(command.options)) expect(help).toContain(`--${option}`);
      expect(help).toMatch(/Common options:[\s\S]*--nats <url,\.\.\.>[\s\S]*--json/);
      expect(help).toMatch(/Exit codes:\n {2}0 /);
      for (const [code] of command.exitCodes) expect(help).toMatch(new RegExp(`^  ${code} `, 'm'));
    }
    expect(COMMANDS.map((c) => c.name)).toEqual(NAMES);
    await using dir = await tempDir();
    const [run, send] = await Promise.all([runCli(['run', '--help'], { cwd: dir.path }), runCli(['help', 'send'], { cwd: dir.path })]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: playbooks run <module>[\s\S]*--playbook <Name>[\s\S]*--input <JSON>[\s\S]*--id <ID>[\s\S]*130 {2}interrupted/);
    expect(send.code).toBe(0);
    expect(send.stdout).toContain('--msg-id <ID>');
  });

  it('colours output only on a terminal, and never with NO_COLOR', () => {
    const printed = (isTTY: boolean, env: NodeJS.ProcessEnv): string => {
      let text = '';
      const stream = { isTTY, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
      const out = new Output({ json: false, verbose: false, stdout: stream, stderr: stream, env });
      out.line(out.style.green('ok'));
      return text;
    };
    expect(printed(true, {})).toBe('\u001b[32mok\u001b[39m\n');
    expect(printed(true, { NO_COLOR: '1' })).toBe('ok\n');
    expect(printed(false, {})).toBe('ok\n');
  });

  it('bin/playbooks.js runs the CLI (tsx from a checkout) and prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'playbooks.js'), '--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });

  it('exits 2 on usage errors: unknown command or option, missing argument, bad --input', async () => {
    await using dir = await tempDir();
    const cwd = dir.path;
    const [unknown, option, missing, input, inputJson, bare, ambiguous] = await Promise.all([
      runCli(['stauts', 'x'], { cwd }),
      runCli(['ls', '--bogus'], { cwd }),
      runCli(['status'], { cwd }),
      runCli(['run', join(FIXTURES, 'steps.ts'), '--input', '{bad'], { cwd }),
      runCli(['spawn', 'Quick', '--input', '{bad', '--json'], { cwd }),
      runCli([], { cwd }),
      runCli(['run', join(FIXTURES, 'agents.ts')], { cwd }),
    ]);
    for (const result of [unknown, option, missing, input, inputJson, bare, ambiguous]) expect(result.code, result.stderr).toBe(2);
    expect(unknown.stderr).toContain('unknown command "stauts"');
    expect(unknown.stderr).toContain('did you mean "playbooks status"');
    expect(option.stderr).toMatch(/Unknown option '--bogus'/);
    expect(missing.stderr).toContain('missing <agent>');
    expect(input.stderr).toMatch(/^error: --input is not valid JSON/m);
    expect(input.stderr).toMatch(/^hint: /m);
    expect(jsonOf(inputJson)).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringContaining('--input') } });
    expect(inputJson.stderr).toBe('');
    expect(bare.stderr).toContain('Usage: playbooks <command>');
    expect(ambiguous.stderr).toContain('choose one with --playbook');
    expect(ambiguous.stderr).toContain('Approval, Broken, Quick');
  });

  it('exits 3 when the config is invalid (the message names the file and key) or NATS cannot be reached', async () => {
    await using dir = await tempDir();
    await writeFile(join(dir.path, 'playbooks.toml'), '[durability]\nkeep_last = 5\n');
    const invalid = await runCli(['ls'], { cwd: dir.path });
    expect(invalid.code).toBe(3);
    expect(invalid.stderr).toContain('playbooks.toml');
    expect(invalid.stderr).toContain('unknown key "keep_last"');

    await using other = await tempDir();
    const port = await closedPort();
    const unreachable = await runCli(['status', 'x', '--nats', `nats://127.0.0.1:${port}`, '--json'], { cwd: other.path });
    expect(unreachable.code).toBe(3);
    expect(jsonOf(unreachable)).toMatchObject({ ok: false, error: { code: 'NATS_UNREACHABLE', message: expect.stringContaining(`127.0.0.1:${port}`) } });
  });
});
