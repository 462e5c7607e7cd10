import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runTs } from './child.js';
import { tempDir } from './temp-dir.js';

const WORKFLOW = 'test/fixtures/crash-workflow.ts';

interface Run {
  result: unknown;
  seq: number;
}

async function runToEnd(storeDir: string, log: string, env?: NodeJS.ProcessEnv): Promise<Run> {
  const outcome = await runTs(WORKFLOW, [storeDir, log], env ? { env } : {});
  expect(outcome.code, outcome.stderr).toBe(0);
  return JSON.parse(outcome.stdout.trim()) as Run;
}

async function effects(log: string): Promise<string[]> {
  return (await readFile(log, 'utf8')).trim().split('\n').sort();
}

/**
 * The crash matrix: the workflow has three levels of nested playbooks, a loop, a durable
 * sleep and a step that fails twice then succeeds. For every checkpoint k, a child process is
 * SIGKILLed right after checkpoint k is stored, then restarted to recover. The result must
 * equal an uninterrupted run's, and every step attempt must have run exactly once in all.
 * `store(dir, name)` gives the store argument of the child for one run.
 */
export async function crashMatrix(store: (dir: string, name: string) => string): Promise<void> {
  await crashAt(store, (seq) => Array.from({ length: seq }, (_, i) => i + 1), undefined, (reference) => {
    expect(reference.seq).toBeGreaterThanOrEqual(8);
    expect(reference.effects).toHaveLength(10);
  });
}

/**
 * The same, for the `LongJournal` playbook (a journal stored in segments), at the checkpoints
 * `points` picks from the reference run's last seq.
 */
export async function crashLongJournal(store: (dir: string, name: string) => string, points: (lastSeq: number) => number[]): Promise<void> {
  await crashAt(store, points, { CRASH_PLAYBOOK: 'LongJournal' }, (reference) => expect(reference.effects).toHaveLength(180));
}

async function crashAt(
  store: (dir: string, name: string) => string,
  points: (lastSeq: number) => number[],
  env: NodeJS.ProcessEnv | undefined,
  checkReference: (reference: { seq: number; effects: string[] }) => void,
): Promise<void> {
  await using reference = await tempDir();
  const expected = await runToEnd(store(reference.path, 'reference'), join(reference.path, 'effects.log'), env);
  const expectedEffects = await effects(join(reference.path, 'effects.log'));
  checkReference({ seq: expected.seq, effects: expectedEffects });

  const crashPoints = points(expected.seq);
  const runCrashAt = async (k: number): Promise<void> => {
    await using dir = await tempDir();
    const where = store(dir.path, `crash-${k}`);
    const log = join(dir.path, 'effects.log');
    const crashed = await runTs(WORKFLOW, [where, log, String(k)], env ? { env } : {});
    expect(crashed.signal, `run meant to crash after checkpoint ${k}: ${crashed.stderr}`).toBe('SIGKILL');

    const resumed = await runToEnd(where, log, env);
    expect(resumed.result, `result after a crash at checkpoint ${k}`).toEqual(expected.result);
    expect(await effects(log), `side effects after a crash at checkpoint ${k}`).toEqual(expectedEffects);
  };
  // Two at a time: the CI machine has two cores.
  for (let i = 0; i < crashPoints.length; i += 2) {
    await Promise.all(crashPoints.slice(i, i + 2).map(runCrashAt));
  }
}

