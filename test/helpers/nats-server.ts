import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServer, startPrivateNatsServer, type PrivateNatsServer, type PrivateNatsServerOptions } from '../../messaging/private-nats-server.js';

/** A real nats-server with JetStream, on a random loopback port, with its own temporary store. */
export type NatsServer = PrivateNatsServer;

export function natsServerBinary(): string {
  const binary = findNatsServer();
  if (!binary) {
    throw new Error(
      "nats-server is not installed: these tests need a real nats-server with JetStream. Run scripts/install-system-deps (Debian's nats-server package) or set NATS_SERVER_BIN.",
    );
  }
  return binary;
}

/** Starts one for a test file; `stop()` (or disposal) kills it and deletes its store. */
export async function startNatsServer(options: Omit<PrivateNatsServerOptions, 'dir'> = {}): Promise<NatsServer> {
  natsServerBinary();
  const dir = await mkdtemp(join(tmpdir(), 'playbooks-nats-'));
  const server = await startPrivateNatsServer({ ...options, dir });
  const stop = async (): Promise<void> => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return {
    url: server.url,
    port: server.port,
    storeDir: server.storeDir,
    kill: server.kill,
    restart: server.restart,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
