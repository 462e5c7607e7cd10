import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runTs } from '../helpers/child.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';

const EXAMPLE = 'examples/approval';
const dataDir = join(repoRoot, EXAMPLE, '.playbooks');

describe('examples/approval', () => {
  const hadDataDir = existsSync(dataDir);
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
    if (!hadDataDir) await rm(dataDir, { recursive: true, force: true }); // only what this test made
  });

  it('one request is approved over plain NATS, the other times out and is escalated', async () => {
    const run = await runTs(`${EXAMPLE}/run.ts`, ['--timeout', '2s'], {
      env: { PLAYBOOKS_NATS_SERVERS: server.url },
      timeoutMs: 20_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toContain(`NATS ${server.url}, namespace "approval"`);
    if (!hadDataDir) expect(existsSync(dataDir)).toBe(false); // no private nats-server when one is given

    // Both requests wait durably before anyone answers.
    const laptops = /⏳ (po-[a-z0-9]+-laptops) waits for an "approval" message until/.exec(out)?.[1];
    const gpu = /⏳ (po-[a-z0-9]+-gpu) waits for an "approval" message until .* \(in [12]\.\d s\)/.exec(out)?.[1];
    expect(laptops, out).toBeDefined();
    expect(gpu, out).toBeDefined();

    // The commands a human would type.
    expect(out).toContain(
      `npx playbooks send ${laptops} approval '{"approved":true,"by":"alice"}' --nats ${server.url} --namespace approval`,
    );
    expect(out).toContain(
      `nats --server ${server.url} pub playbooks.approval.agent.${laptops}.inbox '{"type":"approval","payload":{"approved":true,"by":"alice"}}'`,
    );

    // A malformed approval is rejected by the schema; the valid one is taken.
    expect(out).toMatch(new RegExp(`⚠ ${laptops} rejected a message and waits on: payload does not match the schema of receive\\("approval"\\): approved: .*boolean`));
    expect(out).toMatch(new RegExp(`▶ ${laptops}: PlaceOrder — approved by alice; order PO-[0-9A-F]{8} placed`));
    expect(out).toContain(`▶ ${gpu}: Escalate — no decision within 2s`);
    expect(out).not.toContain(`▶ ${gpu}: PlaceOrder`);
    expect(out).not.toContain('NotifyRejected');

    const outcomes = out.slice(out.indexOf('Outcomes:'));
    expect(outcomes).toMatch(new RegExp(`${laptops} +approved by alice → order PO-[0-9A-F]{8}`));
    expect(outcomes).toMatch(new RegExp(`${gpu} +no decision within 2s → escalated, ticket ESC-[0-9A-F]{8}`));
  });
});
