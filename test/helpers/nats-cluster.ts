import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startPrivateNatsServer, type PrivateNatsServer } from '../../messaging/private-nats-server.js';
import { natsServerBinary } from './nats-server.js';

/** A JetStream cluster of nats-servers on loopback ports, each with its own store. */
export interface NatsCluster extends AsyncDisposable {
  readonly nodes: PrivateNatsServer[];
  /** Every node's client URL. */
  readonly urls: string[];
  stop(): Promise<void>;
}

export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  natsServerBinary();
  const dir = await mkdtemp(join(tmpdir(), 'playbooks-cluster-'));
  const clientPorts = await freePorts(size);
  const routePorts = await freePorts(size);
  const routes = routePorts.map((port) => `nats-route://127.0.0.1:${port}`).join(', ');
  const nodes = await Promise.all(
    clientPorts.map((port, i) =>
      startPrivateNatsServer({
        dir: join(dir, `n${i + 1}`),
        port,
        extraConfig: [`server_name: n${i + 1}`, `cluster { name: playbooks, listen: 127.0.0.1:${routePorts[i]}, routes: [${routes}] }`].join('\n'),
      }),
    ),
  );
  const urls = nodes.map((node) => node.url);
  await waitForJetStream(urls);
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  return { nodes, urls, stop, [Symbol.asyncDispose]: stop };
}

/** A clustered JetStream answers once its meta group has a leader. */
async function waitForJetStream(urls: string[]): Promise<void> {
  const nc = await connect({ servers: urls });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await nc.close();
  }
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const server = createServer();
          server.on('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
