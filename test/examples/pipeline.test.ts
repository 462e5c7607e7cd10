import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runTs } from '../helpers/child.js';

const EXAMPLE = 'examples/pipeline';
const dataDir = join(repoRoot, EXAMPLE, '.playbooks');

const occurrences = (text: string, part: string): number => text.split(part).length - 1;

describe('examples/pipeline', () => {
  const hadDataDir = existsSync(dataDir);
  afterAll(async () => {
    if (!hadDataDir) await rm(dataDir, { recursive: true, force: true }); // the private nats-server's data
  });

  it('completes despite a crash at item 5: the supervisor restarts Transformer and every item is processed once', async () => {
    // No PLAYBOOKS_NATS_SERVERS: the example starts (and stops) its own private nats-server.
    const run = await runTs(`${EXAMPLE}/run.ts`, [], { env: { PLAYBOOKS_NATS_SERVERS: undefined }, timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toContain('(private nats-server, data in examples/pipeline/.playbooks/nats), namespace "pipeline"');

    // Each item squared once and stored once (the crashed attempt does not complete).
    for (let n = 1; n <= 8; n++) {
      expect(occurrences(out, `▶ transformer: Square(${n}) = ${n * n} `), `Square(${n})`).toBe(1);
      expect(occurrences(out, `▶ sink: Store ${n}² = ${n * n}\n`), `Store ${n}`).toBe(1);
    }
    expect(occurrences(out, '💥 transformer: Square(5) throws')).toBe(1);

    // The story, in order: items 1–4, the crash, the restart from an earlier checkpoint, item 5 again.
    const at = (part: string): number => {
      const index = out.indexOf(part);
      expect(index, `"${part}" in the output`).toBeGreaterThanOrEqual(0);
      return index;
    };
    const crashed = /✖ transformer-\S+ crashed: simulated crash while squaring item 5 \(checkpoint (\d+) records the error\)/.exec(out);
    const resumed = /↻ transformer-\S+ resumes from checkpoint (\d+), its last good one — Transformer: after receive "item"/.exec(out);
    expect(crashed, out).not.toBeNull();
    expect(resumed, out).not.toBeNull();
    expect(Number(resumed![1])).toBeLessThan(Number(crashed![1]));
    expect(at('Square(4) = 16')).toBeLessThan(at('💥 transformer: Square(5) throws'));
    expect(at('💥 transformer: Square(5) throws')).toBeLessThan(crashed!.index);
    expect(crashed!.index).toBeLessThan(at('↻ supervisor "pipeline" restarts transformer-'));
    expect(at('↻ supervisor "pipeline" restarts transformer-')).toBeLessThan(resumed!.index);
    expect(resumed!.index).toBeLessThan(at('Square(5) = 25'));
    // The retry after the restart has the crashed attempt's idempotency key.
    const crashKey = /Square\(5\) throws — a simulated crash +\(idempotency key (\S+)\)/.exec(out)?.[1];
    expect(out).toContain(`Square(5) = 25   (idempotency key ${crashKey})`);

    expect(out).toMatch(/✔ sink-\S+ completed: \{"items":8,"sum":204,"order":\[1,2,3,4,5,6,7,8\]\}/);
    expect(out).toContain('✔ all 8 items processed exactly once; sum of squares 204 (expected 204)');
    expect(out).toContain('transformer restarts: 1');
  });
});
