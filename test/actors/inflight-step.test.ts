import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runTs } from '../helpers/child.js';
import { until } from '../helpers/hosts.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURE = 'test/fixtures/inflight-step.ts';

describe('a step in flight when the process dies', () => {
  it('runs again on resume with the same idempotency key', async () => {
    await using dir = await tempDir();
    const store = join(dir.path, 'store');
    const log = join(dir.path, 'effects.log');
    const lines = async (): Promise<string[]> =>
      (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);

    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, store, log, 'hang'], {
      cwd: repoRoot,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      await until(async () => (await lines()).length === 1, 20_000, 'the step to start');
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');

    const resumed = await runTs(FIXTURE, [store, log]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toBe('charged order-1');
    const keys = await lines();
    expect(keys).toEqual(['checkout-1/1', 'checkout-1/1']);
  });
});
