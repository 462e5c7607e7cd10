import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real nats-server with JetStream, on a random loopback port, with its own store directory. */
export interface NatsServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Kills the server (SIGKILL by default) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Stops it and removes its store. */
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /** Server max_payload in bytes. Default: the server's (1 MiB). */
  maxPayload?: number;
  /** More lines of server configuration (e.g. an `authorization { … }` block). */
  extraConfig?: string;
}

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

export function natsServerBinary(): string {
  const fromEnv = process.env.NATS_SERVER_BIN;
  const found = fromEnv ?? CANDIDATES.find((path) => existsSync(path));
  if (!found || !existsSync(found)) {
    throw new Error(
      'nats-server is not installed: these tests need a real nats-server with JetStream. ' +
        'Run scripts/setup (installs Debian\'s nats-server package) or set NATS_SERVER_BIN.',
    );
  }
  return found;
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = natsServerBinary();
  const dir = await mkdtemp(join(tmpdir(), 'playbooks-nats-'));
  const storeDir = join(dir, 'jetstream');
  let port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const config = join(dir, 'nats.conf');
    await writeFile(
      config,
      [
        `listen: 127.0.0.1:${port}`,
        `jetstream { store_dir: "${storeDir}" }`,
        options.maxPayload ? `max_payload: ${options.maxPayload}` : '',
        options.extraConfig ?? '',
      ].join('\n'),
    );
    child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await waitFor(async () => {
      if (child!.exitCode !== null) throw new Error(`nats-server exited at start:\n${log}`);
      return log.includes('Server is ready') && (await canConnect(port));
    }, 10_000, `nats-server on port ${port} to be ready:\n${log}`);
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };

  try {
    await launch();
  } catch (error) {
    // The port may have been taken between choosing and binding it: one more try.
    port = await freePort();
    await kill();
    await launch().catch(async (second: unknown) => {
      await rm(dir, { recursive: true, force: true });
      throw second ?? error;
    });
  }

  const stop = async (): Promise<void> => {
    await kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
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
    [Symbol.asyncDispose]: stop,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    import('node:net').then(({ createServer }) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
      });
    }, reject);
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
