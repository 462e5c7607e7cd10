import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { natsServerBinary } from '../helpers/nats-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { eventually, FIXTURES, jsonOf, runCli, startCli } from './cli-process.js';

/** Pids of the running processes whose command line mentions `text` (Linux /proc). */
async function processesMentioning(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(Number(pid));
  }
  return found;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('playbooks dev', () => {
  it('with no NATS configured, runs a private nats-server under .playbooks/ and stops it on SIGTERM', async () => {
    natsServerBinary(); // this test needs nats-server installed
    await using dir = await tempDir('playbooks-cli-dev-');
    const cwd = dir.path;
    const conf = join(cwd, '.playbooks', 'nats', 'nats.conf');
    const dev = startCli(['dev', '--module', join(FIXTURES, 'agents.ts'), '--port', '0'], { cwd });
    try {
      await dev.waitFor(/^ready/m);
      const out = dev.stdout();
      const natsUrl = /NATS: +(nats:\/\/127\.0\.0\.1:(\d+)) \(private nats-server with JetStream, data in \.playbooks\/nats; stopped on exit\)/.exec(out);
      expect(natsUrl, out).not.toBeNull();
      expect(out).toMatch(/store: +NATS KV bucket "playbooks-checkpoints"/);
      const dashboard = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
      const health = await fetch(new URL('healthz', dashboard));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true });
      expect(existsSync(conf)).toBe(true);
      expect(await processesMentioning(conf)).toHaveLength(1);

      // Other commands run in the same directory find the private server (.playbooks/dev.json).
      const spawned = await runCli(['spawn', 'Quick', '--id', 'q', '--input', '{"n":4}', '--json'], { cwd });
      expect(spawned.code, spawned.stderr).toBe(0);
      const done = await eventually(async () => {
        const reply = jsonOf(await runCli(['status', 'q', '--json'], { cwd }));
        return reply.state === 'completed' ? reply : undefined;
      }, 'q to complete');
      expect(done.result).toEqual({ doubled: 8 });
      const history = await runCli(['checkpoints', 'q', '--json'], { cwd });
      expect(jsonOf(history).checkpoints.at(-1)).toMatchObject({ status: 'completed' });

      dev.kill('SIGTERM');
      const exit = await dev.exited;
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stdout).toMatch(/\nstopped\n$/);
      expect(await processesMentioning(conf)).toEqual([]);
      expect(await accepts(Number(natsUrl![2]))).toBe(false);
      expect(existsSync(join(cwd, '.playbooks', 'dev.json'))).toBe(false);
    } finally {
      // After a failed assertion: leave no process behind (a killed dev leaves its nats-server).
      dev.kill('SIGKILL');
      for (const pid of await processesMentioning(conf)) process.kill(pid, 'SIGKILL');
    }
  });

  it('without nats-server, uses the file store and says there is no NATS', async () => {
    await using dir = await tempDir('playbooks-cli-dev-');
    const dev = startCli(['dev', '--port', '0'], { cwd: dir.path, env: { NATS_SERVER_BIN: join(dir.path, 'no-such-nats-server') } });
    try {
      await dev.waitFor(/^ready/m);
      expect(dev.stdout()).toMatch(/store: +file store \.playbooks\/checkpoints/);
      expect(dev.stdout()).toMatch(/NATS: +no NATS/);
      expect(dev.stdout()).toMatch(/playbooks: none: pass --module/);
      dev.kill('SIGINT');
      expect((await dev.exited).code).toBe(0);
    } finally {
      dev.kill('SIGKILL');
    }
  });
});
