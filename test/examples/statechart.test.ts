import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runTs } from '../helpers/child.js';

const EXAMPLE = 'examples/statechart';
const checkpointsDir = join(repoRoot, EXAMPLE, '.checkpoints');

describe('examples/statechart', () => {
  const hadCheckpoints = existsSync(checkpointsDir);
  let agentId: string | undefined;
  afterAll(async () => {
    // Only what this test made: the whole directory if it was new, else this agent's checkpoints.
    if (!hadCheckpoints) await rm(checkpointsDir, { recursive: true, force: true });
    else if (agentId) await rm(join(checkpointsDir, agentId), { recursive: true, force: true });
  });

  it('restores the machine after SIGKILL, in the state and context it had, and drives it to its final output', async () => {
    const demo = await runTs(`${EXAMPLE}/run.ts`, [], { timeoutMs: 20_000 });
    agentId = /Spawning (review-\d+)/.exec(demo.stdout)?.[1];
    expect(demo.code, demo.stderr).toBe(0);
    const [first, second] = demo.stdout.split('── Process 2');
    expect(second, demo.stdout).toBeDefined();

    expect(first).toContain('now inReview: revision 1, approvals [bob], comments []');
    expect(first).toContain('now changesRequested: revision 1, approvals [], comments ["carol: add the benchmark numbers"]');
    expect(first).toContain('💥 SIGKILL');
    expect(first).toContain('Process 1 ended by SIGKILL');
    expect(first).not.toContain('Result:');

    // The second process starts where the first was killed, with its context.
    expect(second).toContain(`Recovering ${agentId} from checkpoint 4`);
    expect(second).toContain('resumes at machine documentReview in state changesRequested');
    expect(second).toContain('restored context: revision 1, approvals [], comments ["carol: add the benchmark numbers"]');
    expect(second).toContain('running again in state changesRequested');
    expect(second).not.toContain('→ submit');
    expect(second).toContain('now inReview: revision 2, approvals [], comments');
    // The author's approval is ignored by the guard; two reviewers approve.
    const afterAnn = second!.slice(second!.indexOf('→ approve {"reviewer":"ann"}'));
    expect(afterAnn.split('\n')[2]).toContain('now inReview: revision 2, approvals [],');
    expect(second).toContain('now approved: revision 2, approvals [bob, carol]');
    expect(second).toContain(
      'Result: {"title":"Storage design for Q3","revision":2,"approvedBy":["bob","carol"],"comments":["carol: add the benchmark numbers"]}',
    );
  });
});
