import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/child.js';

/*
 * Runs `playbooks` (cli/main.ts through tsx) as a child process in a directory of the test's
 * choosing, as a user would: with its own working directory (where .playbooks/ goes) and an
 * environment without the developer's PLAYBOOKS_* variables.
 */

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAIN = join(repoRoot, 'cli', 'main.ts');
export const FIXTURES = join(repoRoot, 'test', 'fixtures', 'cli');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

export interface CliProcess {
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches; rejects if the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal: NodeJS.Signals): void;
  readonly exited: Promise<CliResult>;
}

function environment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PLAYBOOKS_') && key !== 'NO_COLOR') env[key] = value;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export function startCli(args: string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, ['--import', tsxLoader, MAIN, ...args], {
    cwd: options.cwd,
    env: environment(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  let done = false;
  void exited.finally(() => (done = true));
  return {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    kill: (signal) => child.kill(signal),
    exited,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = stdout.match(pattern);
        if (match) return match;
        if (done) throw new Error(`playbooks ${args.join(' ')} exited before printing ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`playbooks ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/** Runs `playbooks …` to the end. */
export async function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const process = startCli(args, options);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      process.kill('SIGKILL');
      reject(new Error(`playbooks ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${process.stdout()}\nstderr:\n${process.stderr()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([process.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The JSON document a `--json` command printed (the last line of stdout). */
export function jsonOf(result: CliResult): Record<string, any> {
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Record<string, any>;
  } catch {
    throw new Error(`not JSON on stdout (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** Lines of an effects log; empty when it does not exist yet. */
export async function linesOf(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

/** Polls `check` until it returns a value (not undefined); rejects after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
