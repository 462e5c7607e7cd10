import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** A nats-server with JetStream that this process started and owns. */
export interface PrivateNatsServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  /** Where its JetStream data lives. */
  readonly storeDir: string;
  /** Kills the server (SIGKILL by default) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Stops it (SIGTERM); with `{ removeStore: true }` deletes its directory too. */
  stop(options?: { removeStore?: boolean }): Promise<void>;
}

export interface PrivateNatsServerOptions {
  /** Directory for its config and JetStream store (created if missing). */
  dir: string;
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** Server `max_payload` in bytes. Default: the server's (1 MiB). */
  maxPayload?: number;
  /** More lines of server configuration (an `authorization { … }` block, say). */
  extraConfig?: string;
}

const BINARIES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/** The nats-server binary: `NATS_SERVER_BIN`, or the usual install paths; undefined when absent. */
export function findNatsServer(): string | undefined {
  const candidate = process.env.NATS_SERVER_BIN ?? BINARIES.find((path) => existsSync(path));
  return candidate && existsSync(candidate) ? candidate : undefined;
}

/**
 * Starts a private nats-server with JetStream on loopback: for `playbooks dev`, the examples
 * and the tests. Throws a `ConfigError` saying how to install it when the binary is missing.
 */
export async function startPrivateNatsServer(options: PrivateNatsServerOptions): Promise<PrivateNatsServer> {
  const binary = findNatsServer();
  if (!binary) {
    throw new ConfigError("nats-server is not installed: install Debian's nats-server package (or set NATS_SERVER_BIN)");
  }
  const dir = resolve(options.dir);
  const storeDir = join(dir, 'jetstream');
  const pidFile = join(dir, 'nats-server.pid');
  await mkdir(dir, { recursive: true });
  await refuseSharedStore(pidFile, dir);
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const config = join(dir, 'nats.conf');
    await writeFile(
      config,
      [
        `listen: 127.0.0.1:${port}`,
        `jetstream { store_dir: "${storeDir}" }`,
        `pid_file: "${pidFile}"`,
        options.maxPayload ? `max_payload: ${options.maxPayload}` : '',
        options.extraConfig ?? '',
      ].join('\n'),
    );
    const started = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    // A private server does not outlive the process that started it (even one that crashes).
    const reap = (): void => void started.kill('SIGKILL');
    process.once('exit', reap);
    started.once('exit', () => process.off('exit', reap));
    let log = '';
    started.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!(log.includes('Server is ready') && (await canConnect(port)))) {
      if (started.exitCode !== null) throw new Error(`nats-server exited at start:\n${log}`);
      if (Date.now() > deadline) throw new Error(`nats-server on port ${port} was not ready within 10 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill(signal);
    await exited;
  };

  try {
    await launch();
  } catch (error) {
    if (options.port !== undefined) throw error;
    await kill();
    port = await freePort(); // the port was taken between choosing and binding it: one more try
    await launch();
  }
  const stop = async ({ removeStore = false } = {}): Promise<void> => {
    await kill('SIGTERM');
    if (removeStore) await rm(dir, { recursive: true, force: true });
  };
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };
}

/**
 * Two servers on one JetStream store corrupt it: a server left running by a killed parent is
 * found by its pid file, and this one does not start.
 */
async function refuseSharedStore(pidFile: string, dir: string): Promise<void> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!pid) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // that server is gone: its pid file is stale
  }
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => 'nats-server');
  if (!command.includes('nats-server')) return;
  throw new ConfigError(`a nats-server (pid ${pid}) already uses ${dir}: stop it first (kill ${pid})`);
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no free port'))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
  });
}
