import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { FIXTURES, jsonOf, runCli, startCli, type CliProcess, type CliResult } from './cli-process.js';

/*
 * The control commands against a real host: `playbooks dev --module agents.ts --nats <url>`
 * in a child process, on this file's nats-server. Then `checkpoints` on a NATS store and
 * `doctor`, on the same server.
 */

let nats: NatsServer;
let workdir: { path: string } & AsyncDisposable;
let dev: CliProcess;
let devOutput: RegExpMatchArray;

const cli = (args: string[]): Promise<CliResult> => runCli([...args, '--nats', nats.url], { cwd: workdir.path });
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  nats = await startNatsServer();
  workdir = await tempDir('playbooks-cli-control-');
  dev = startCli(['dev', '--module', join(FIXTURES, 'agents.ts'), '--nats', nats.url, '--port', '0'], { cwd: workdir.path });
  await dev.waitFor(/^ready/m);
  devOutput = await dev.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/);
});

afterAll(async () => {
  if (dev) {
    dev.kill('SIGKILL');
    await dev.exited;
  }
  await nats?.stop();
  await workdir?.[Symbol.asyncDispose]();
});

describe('control commands against a running `playbooks dev`', () => {
  it('dev prints what it chose and serves the dashboard', async () => {
    const out = dev.stdout();
    expect(out).toMatch(/namespace: default/);
    expect(out).toMatch(/store: +file store \.playbooks\/checkpoints/);
    expect(out).toContain(`NATS:      ${nats.url}`);
    expect(out).toMatch(/playbooks: Approval, Broken, Quick/);
    const health = await fetch(new URL('healthz', devOutput[1]));
    expect(health.status).toBe(200);
  });

  it('spawn, status (completed with its result), send with --msg-id, ls', async () => {
    const spawned = await cli(['spawn', 'Quick', '--id', 'q1', '--input', '{"n":21}', '--json']);
    expect(spawned.code, spawned.stderr).toBe(0);
    expect(jsonOf(spawned)).toMatchObject({ ok: true, agentId: 'q1' });
    await dev.waitFor(/✔ q1 \(Quick\) completed → \{"doubled":42\}/);
    const done = jsonOf(await cli(['status', 'q1', '--json']));
    expect(done).toMatchObject({ ok: true, agentId: 'q1', state: 'completed', playbook: 'Quick', result: { doubled: 42 } });

    const human = await cli(['spawn', 'Approval', '--id', 'a1', '--input', '{"item":"book"}']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/✔ spawned agent a1 \(playbook Approval\): (running|waiting)/);
    await dev.waitFor(/a1 \(Approval\) waiting for message "decision"/);
    const sent = await cli(['send', 'a1', 'decision', '{"ok":true}', '--msg-id', 'decision-a1', '--json']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(jsonOf(sent)).toMatchObject({ ok: true, agentId: 'a1', type: 'decision', duplicate: false, stream: 'PLAYBOOKS_default_INBOX' });
    const resent = await cli(['send', 'a1', 'decision', '{"ok":false}', '--msg-id', 'decision-a1']);
    expect(resent.code, resent.stderr).toBe(0);
    expect(resent.stdout).toContain('the stream dropped this copy');
    await dev.waitFor(/✔ a1 \(Approval\) completed/);

    const [status, listed, completed] = await Promise.all([cli(['status', 'a1']), cli(['ls']), cli(['ls', '--state', 'completed', '--json'])]);
    expect(status.stdout).toMatch(/^agent a1 {2}completed$/m);
    expect(status.stdout).toMatch(/result: +\{\n\s+"item": "book",\n\s+"approved": true\n\s+\}/);
    expect(listed.stdout).toMatch(/^AGENT\s+STATE\s+SEQ\s+PLAYBOOK\s+HOST$/m);
    expect(listed.stdout).toMatch(/^a1\s+completed\s+\d+\s+Approval\s+\S+$/m);
    expect(listed.stdout).toContain('2 agents');
    expect(jsonOf(completed).agents.map((a: { agentId: string }) => a.agentId).sort()).toEqual(['a1', 'q1']);
  });

  it('stop and resume', async () => {
    expect((await cli(['spawn', 'Approval', '--id', 'a2', '--input', '{"item":"pen"}'])).code).toBe(0);
    const stopped = await cli(['stop', 'a2', '--json']);
    expect(jsonOf(stopped)).toEqual({ ok: true, agentId: 'a2', state: 'stopped' });
    expect(jsonOf(await cli(['status', 'a2', '--json'])).state).toBe('stopped');
    const resumed = await cli(['resume', 'a2']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/✔ resumed agent a2: (running|waiting)/);
    await dev.waitFor(/a2 \(Approval\) resumed from checkpoint \d+/);
    expect((await cli(['send', 'a2', 'decision', '{"ok":false}'])).code).toBe(0);
    await dev.waitFor(/✔ a2 \(Approval\) completed → \{"item":"pen","approved":false\}/);
  });

  it('errors: unknown agent or playbook (exit 1 with the code), no host in the namespace', async () => {
    const [unknown, unknownHuman, playbook, noHost, noStream] = await Promise.all([
      cli(['stop', 'nobody', '--json']),
      cli(['status', 'nobody']),
      cli(['spawn', 'Nope', '--json']),
      cli(['ls', '--namespace', 'elsewhere', '--json']),
      cli(['send', 'x', 'hello', '--namespace', 'elsewhere']),
    ]);
    expect(unknown.code).toBe(1);
    expect(jsonOf(unknown)).toEqual({ ok: false, error: { code: 'AGENT_NOT_FOUND', message: 'no agent "nobody"' } });
    expect(unknownHuman.code).toBe(1);
    expect(unknownHuman.stderr).toMatch(/^error: status: no agent "nobody" \[AGENT_NOT_FOUND\]$/m);
    expect(unknownHuman.stderr).toContain('hint: "playbooks ls" lists the agents');
    expect(playbook.code).toBe(1);
    expect(jsonOf(playbook).error.code).toBe('UNKNOWN_PLAYBOOK');
    expect(noHost.code).toBe(1);
    expect(jsonOf(noHost).error).toMatchObject({ code: 'NO_HOST', message: 'no host is serving namespace elsewhere' });
    expect(noStream.code).toBe(1);
    expect(noStream.stderr).toContain('no host has started in namespace "elsewhere"');
  });

  it('dev drains and exits 0 on SIGTERM', async () => {
    dev.kill('SIGTERM');
    const exit = await dev.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/SIGTERM: draining[\s\S]*\nstopped\n$/);
  });
});

describe('checkpoints on a NATS store, and doctor', () => {
  it('lists and shows the checkpoints of an agent run with storage = "nats"', async () => {
    await using dir = await tempDir();
    const dashboardPort = await freePort();
    await writeFile(
      join(dir.path, 'playbooks.toml'),
      `[durability]\nstorage = "nats"\n\n[nats]\nservers = ["${nats.url}"]\nbucket = "cli-test"\n\n[dashboard]\nport = ${dashboardPort}\n`,
    );
    const run = await runCli(['run', join(FIXTURES, 'steps.ts'), '--input', '{"n":2}', '--id', 'nats-steps'], { cwd: dir.path });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('NATS KV bucket "cli-test"');

    const [list, show, doctor] = await Promise.all([
      runCli(['checkpoints', 'nats-steps'], { cwd: dir.path }),
      runCli(['checkpoints', 'nats-steps', '--show', '2', '--json'], { cwd: dir.path }),
      runCli(['doctor'], { cwd: dir.path }),
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('agent nats-steps: 4 checkpoints kept (NATS KV bucket "cli-test")');
    expect(list.stdout).toMatch(/^3\s+\S+Z\s+running\s+\d+ B\s+Steps$/m);
    expect(list.stdout).toMatch(/^4\s+\S+Z\s+completed\s+\d+ B$/m); // step Three and the completion
    expect(jsonOf(show)).toMatchObject({ agentId: 'nats-steps', seq: 2, snapshot: { context: { journal: { entries: { 0: { kind: 'step', name: 'One', value: 3 } } } } } });

    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toMatch(/^✔ config\s+playbooks\.toml is valid$/m);
    expect(doctor.stdout).toMatch(/^✔ JetStream\s+enabled/m);
    expect(doctor.stdout).toMatch(/^✔ bucket\s+KV bucket "cli-test" exists/m);
    expect(doctor.stdout).toMatch(/^✔ dashboard\s+port \d+ on 127\.0\.0\.1 is free$/m);
    expect(doctor.stdout).toContain('all checks passed');
  });

  it('doctor fails with a fix when NATS is unreachable', async () => {
    await using dir = await tempDir();
    const port = await freePort();
    const [human, json] = await Promise.all([
      runCli(['doctor', '--nats', `nats://127.0.0.1:${port}`], { cwd: dir.path }),
      runCli(['doctor', '--nats', `nats://127.0.0.1:${port}`, '--json'], { cwd: dir.path }),
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(new RegExp(`^✘ NATS\\s+cannot reach NATS at nats://127\\.0\\.0\\.1:${port}`, 'm'));
    expect(human.stdout).toMatch(/^\s+fix: is a nats-server running there/m);
    expect(json.code).toBe(1);
    const report = jsonOf(json);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c: { name: string }) => c.name === 'NATS')).toMatchObject({ ok: false, fix: expect.any(String) });
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual(['config', 'nats-server', 'NATS', 'dashboard', 'file store']);
  });
});
