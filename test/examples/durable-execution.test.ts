import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runTs } from '../helpers/child.js';

const EXAMPLE = 'examples/durable-execution';

describe('examples/durable-execution', () => {
  afterAll(() => rm(join(repoRoot, EXAMPLE, '.checkpoints'), { recursive: true, force: true }));

  it('runs FetchData → Process → Save to the end', async () => {
    const run = await runTs(`${EXAMPLE}/run.ts`, ['--id', `example-test-${Date.now()}`]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('checkpoint 4 stored (completed)');
    expect(run.stdout).toContain('Result: {"result":{"rows":5,"total":200,"largest":60},"receipt":"saved summary of 5 rows"}');
  });

  it('crash demo: SIGKILL after Process, then resumes at Save with data and result restored', async () => {
    const demo = await runTs(`${EXAMPLE}/crash-demo.ts`, [], { timeoutMs: 60_000 });
    expect(demo.code, demo.stderr).toBe(0);
    const [first, second] = demo.stdout.split('── Run 2');
    expect(first).toContain('Run 1 ended by SIGKILL');
    expect(first).toContain('running FetchData');
    expect(first).toContain('running Clean');
    expect(first).not.toContain('running Save');
    // The second process replays FetchData and Process from the journal and runs only Save.
    expect(second).toContain('resumes at MyWorkflow: after call "Process"');
    expect(second).not.toContain('running FetchData');
    expect(second).not.toContain('running Clean');
    expect(second).toContain('running Save');
    expect(second).toContain('Save sees result = {"rows":5,"total":200,"largest":60} and data.length = 5');
    expect(second).toContain('Result: {"result":{"rows":5,"total":200,"largest":60},"receipt":"saved summary of 5 rows"}');
  });
});
