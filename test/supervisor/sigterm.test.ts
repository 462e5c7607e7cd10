import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runTs } from '../helpers/child.js';
import { until } from '../helpers/hosts.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('SIGTERM', () => {
  it('drains: the step in flight finishes and is checkpointed, the process exits 0, the next host goes on', async () => {
    await using dir = await tempDir();
    const store = join(dir.path, 'store');
    const log = join(dir.path, 'effects.log');
    const effects = async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);

    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/drain-host.ts', store, log], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    await until(() => output.includes('slow started'), 20_000, 'the slow step to start');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(await effects()).toEqual(['slow started', 'slow finished']); // finished, and nothing after it started

    const next = await runTs('test/fixtures/drain-host.ts', [store, log]);
    expect(next.code, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout.trim())).toEqual(['slow', 'after']);
    expect(await effects()).toEqual(['slow started', 'slow finished', 'after ran']); // Slow was checkpointed: not run again
  });
});
