import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, FIXTURES, jsonOf, linesOf, runCli, startCli } from './cli-process.js';

const STEPS = join(FIXTURES, 'steps.ts');
const AGENTS = join(FIXTURES, 'agents.ts');
const EXPECTED = { one: 2, two: 4, three: 7 };
/** Every step's effect once: what an uninterrupted run leaves in the effects log. */
const ONCE = ['One', 'Two started', 'Two', 'Three'];

async function workspace() {
  const dir = await tempDir('playbooks-cli-run-');
  const log = join(dir.path, 'effects.log');
  const run = (args: string[], env: Record<string, string> = {}) => runCli(['run', STEPS, '--input', '{"n":1}', ...args], { cwd: dir.path, env: { EFFECTS_LOG: log, ...env } });
  return { dir, log, run };
}

// Independent runs in their own directories: concurrently, to keep the suite short.
describe.concurrent('playbooks run', () => {
  it('runs a playbook, printing each checkpoint and the result; a re-run prints the stored result', async () => {
    const { dir, log, run } = await workspace();
    await using _ = dir;
    const first = await run([]);
    expect(first.code, first.stderr).toBe(0);
    const id = /starting (Steps-[0-9a-f]{10}) \(playbook Steps; file store \.playbooks\/checkpoints\)/.exec(first.stdout)?.[1];
    expect(id, first.stdout).toBeDefined();
    expect(first.stdout).toMatch(/✔ checkpoint 2 \(running\): step One\n\s+✔ checkpoint 3 \(running\): step Two\n\s+✔ checkpoint 4 \(completed\): step Three, completed/);
    expect(first.stdout).toContain(`${id} completed at checkpoint 4; result:`);
    expect(JSON.parse(first.stdout.slice(first.stdout.indexOf('{')))).toEqual(EXPECTED);
    expect(first.stderr).toBe(''); // no library logs on the terminal
    expect(await linesOf(log)).toEqual(ONCE);

    const again = await run(['--json']);
    expect(again.code).toBe(0);
    expect(jsonOf(again)).toEqual({ ok: true, state: 'completed', agentId: id, playbook: 'Steps', seq: 4, resumed: false, alreadyCompleted: true, result: EXPECTED });
    expect(await linesOf(log)).toEqual(ONCE); // nothing ran again
  });

  it('after a crash (SIGKILL) mid-way, the same command resumes: completed steps do not run again', async () => {
    const { dir, log, run } = await workspace();
    await using _ = dir;
    const crashed = await run([], { CRASH_IN: 'Three' });
    expect(crashed.signal).toBe('SIGKILL');
    expect(crashed.stdout).toContain('checkpoint 3 (running): step Two');
    expect(await linesOf(log)).toEqual(['One', 'Two started', 'Two']);

    const resumed = await run([]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/↺ resuming Steps-[0-9a-f]{10} from checkpoint 3 at Steps: after step "Two"/);
    expect(resumed.stdout).toContain('step Three');
    expect(resumed.stdout).not.toMatch(/step (One|Two)\b/);
    expect(JSON.parse(resumed.stdout.slice(resumed.stdout.indexOf('{')))).toEqual(EXPECTED);
    expect(await linesOf(log)).toEqual(ONCE);
  });

  it('Ctrl-C drains: the step in flight finishes and is checkpointed, exit 130, and the re-run resumes', async () => {
    const { dir, log, run } = await workspace();
    await using _ = dir;
    const child = startCli(['run', STEPS, '--input', '{"n":1}'], { cwd: dir.path, env: { EFFECTS_LOG: log, PAUSE_IN: 'Two' } });
    await eventually(async () => ((await linesOf(log)).includes('Two started') ? true : undefined), 'step Two to start', 30_000);
    child.kill('SIGINT');
    const interrupted = await child.exited;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stdout).toContain('checkpoint 3 (running): step Two'); // finished during the drain
    expect(interrupted.stdout).toMatch(/To resume it, run the same command again:\n {2}playbooks run \S+steps\.ts --input '\{"n":1\}'/);
    expect(await linesOf(log)).toEqual(['One', 'Two started', 'Two']);

    const resumed = await run([]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resuming Steps-[0-9a-f]{10} from checkpoint 3/);
    expect(await linesOf(log)).toEqual(ONCE);
  });

  it('a failing playbook exits 1 with the agent error; --playbook picks one of several', async () => {
    await using dir = await tempDir();
    const failed = await runCli(['run', AGENTS, '--playbook', 'Broken', '--id', 'broken-1', '--json'], { cwd: dir.path });
    expect(failed.code).toBe(1);
    expect(jsonOf(failed)).toMatchObject({
      ok: false,
      error: { code: 'AGENT_FAILED', message: expect.stringContaining('the fixture always fails') },
      agentId: 'broken-1',
      state: 'failed',
      agentError: { name: 'TerminalError', code: 'FIXTURE_FAILURE' },
    });
    const quick = await runCli(['run', AGENTS, '--playbook', 'Quick', '--input', '{"n":5}', '--json'], { cwd: dir.path });
    expect(quick.code, quick.stderr).toBe(0);
    expect(jsonOf(quick)).toMatchObject({ ok: true, playbook: 'Quick', result: { doubled: 10 } });
  });
});

describe('playbooks checkpoints (file store)', () => {
  it('lists the history, shows one checkpoint readably, marks corrupt ones', async () => {
    const { dir, run } = await workspace();
    await using _ = dir;
    const done = await run(['--id', 'steps-1']);
    expect(done.code, done.stderr).toBe(0);
    const cwd = dir.path;

    const [list, show, raw] = await Promise.all([
      runCli(['checkpoints', 'steps-1'], { cwd }),
      runCli(['checkpoints', 'steps-1', '--show', '3'], { cwd }),
      runCli(['checkpoints', 'steps-1', '--show', '4', '--json'], { cwd }),
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('agent steps-1: 4 checkpoints kept (file store .playbooks/checkpoints)');
    expect(list.stdout).toMatch(/SEQ\s+SAVED AT\s+STATUS\s+SIZE\s+CALL STACK/);
    expect(list.stdout).toMatch(/^3\s+\S+Z\s+running\s+\d+ B\s+Steps$/m);
    expect(list.stdout).toMatch(/^4\s+\S+Z\s+completed\s+\d+ B$/m);

    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('checkpoint 3 of agent steps-1  running');
    expect(show.stdout).toMatch(/input: \{"n":1\}/);
    expect(show.stdout).toMatch(/journal:\n\s+0\s+step One → 2\n\s+1\s+step Two → 4\n/);
    expect(show.stdout).toContain('inbox: empty');

    expect(jsonOf(raw)).toMatchObject({ format: 2, agentId: 'steps-1', seq: 4, status: 'completed', snapshot: { context: { result: EXPECTED } } });

    await writeFile(join(cwd, '.playbooks', 'checkpoints', 'steps-1', '2.json'), '{ not json');
    const [marked, corrupt, unknown] = await Promise.all([
      runCli(['checkpoints', 'steps-1', '--json'], { cwd }),
      runCli(['checkpoints', 'steps-1', '--show', '2'], { cwd }),
      runCli(['checkpoints', 'nobody', '--json'], { cwd }),
    ]);
    expect(jsonOf(marked).checkpoints[1]).toMatchObject({ seq: 2, corrupt: expect.stringContaining('not valid JSON') });
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toContain('checkpoint 2 of agent "steps-1" is corrupt');
    expect(unknown.code).toBe(1);
    expect(jsonOf(unknown)).toMatchObject({ ok: false, error: { code: 'AGENT_NOT_FOUND', hint: expect.stringContaining('steps-1') } });
  });
});

describe('playbooks run and checkpoints (log store)', () => {
  it('runs on the log store, and lists and shows its checkpoints read-only', async () => {
    const { dir, run } = await workspace();
    await using _ = dir;
    const env = { PLAYBOOKS_DURABILITY_STORAGE: 'log' };
    const done = await run(['--id', 'steps-1'], env);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('(playbook Steps; log store .playbooks/checkpoints)');
    const cwd = dir.path;
    const [list, raw, again] = await Promise.all([
      runCli(['checkpoints', 'steps-1'], { cwd, env }),
      runCli(['checkpoints', 'steps-1', '--show', '4', '--json'], { cwd, env }),
      run(['--id', 'steps-1', '--json'], env),
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('agent steps-1: 4 checkpoints kept (log store .playbooks/checkpoints)');
    expect(list.stdout).toMatch(/^3\s+\S+Z\s+running\s+\d+ B\s+Steps$/m);
    expect(jsonOf(raw)).toMatchObject({ seq: 4, status: 'completed', snapshot: { context: { result: EXPECTED } } });
    expect(jsonOf(again)).toMatchObject({ ok: true, state: 'completed', seq: 4, alreadyCompleted: true, result: EXPECTED });
  });
});
