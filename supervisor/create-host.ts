import { randomUUID } from 'node:crypto';
import { checkpointBucket, configFromEnvironment, loadConfig, withOptions, type PlaybooksConfig } from '../config.js';
import { createDefaultLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import { connectNats } from '../messaging/connection.js';
import { NatsMessaging } from '../messaging/nats-messaging.js';
import type { CheckpointStore } from '../persistence/checkpoint-store.js';
import { FileCheckpointStore } from '../persistence/file-store.js';
import { LogCheckpointStore } from '../persistence/log-store.js';
import { MemoryCheckpointStore } from '../persistence/memory-store.js';
import { NatsKvCheckpointStore } from '../persistence/nats-kv-store.js';
import { Host } from './host.js';
import { HostLease } from './host-lease.js';
import type { HostOptions } from './host-options.js';
import type { StartOptions } from './host-services.js';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Creates a host from `playbooks.toml` (if given) and options: connects to NATS when
 * `[nats] enabled` or `[durability] storage = "nats"` (or a connection is passed), opens the
 * checkpoint store, and starts serving inboxes and control requests.
 */
export async function createHost(options: HostOptions = {}): Promise<Host> {
  const base = options.configFile ? loadConfig(options.configFile) : configFromEnvironment();
  const config = withOptions(base, {
    durability: options.durability,
    nats: options.nats,
    supervisor: options.supervisor,
    dashboard: options.dashboard,
  });
  const hostId = options.hostId ?? randomUUID();
  const logger = (options.logger ?? createDefaultLogger()).child({ hostId });
  const usesNats = config.nats.enabled || config.durability.storage === 'nats' || options.natsConnection !== undefined;

  let connection = options.natsConnection;
  const ownsConnection = usesNats && !connection;
  if (usesNats && !connection) connection = await connectNats(config.nats, logger, `durable-playbooks ${hostId}`);
  try {
    const store = config.durability.enabled ? (options.store ?? (await storeFor(config, connection, logger))) : undefined;
    let host: Host | undefined;
    const messaging =
      connection &&
      (await NatsMessaging.start({
        connection,
        ownsConnection,
        namespace: config.nats.namespace,
        replicas: config.nats.replicas,
        logger,
        host: {
          inboxNotified: (agentId) => host?.inboxNotified(agentId),
          reconnected: () => host?.reconnected(),
        },
      }));
    const lease =
      messaging && store instanceof NatsKvCheckpointStore
        ? new HostLease({
            connection: messaging.connection,
            bucket: `${checkpointBucket(config.nats)}-hosts`,
            hostId,
            leaseMs: config.nats.leaseSeconds * 1000,
            replicas: config.nats.replicas,
            logger,
            revalidate: () => host!.revalidateAgents(),
          })
        : undefined;
    host = new Host(config, options, { hostId, logger, store, messaging, lease });
    for (const [id, spec] of Object.entries(options.supervisors ?? {})) await host.supervisor(id, spec);
    await lease?.start();
    host.startServing();
    await messaging?.ready();
    return host;
  } catch (error) {
    if (ownsConnection) await connection?.close();
    throw error;
  }
}

/** `createHost(options)`, then `host.start(start)`: recovery, dashboard, heartbeats, signals. */
export async function startHost(options: HostOptions & { start?: StartOptions } = {}): Promise<Host> {
  const host = await createHost(options);
  try {
    await host.start(options.start);
  } catch (error) {
    await host.close();
    throw error;
  }
  return host;
}

async function storeFor(config: PlaybooksConfig, connection: NatsConnection | undefined, logger: Logger): Promise<CheckpointStore> {
  const { durability } = config;
  switch (durability.storage) {
    case 'file':
      return new FileCheckpointStore({
        path: durability.storagePath,
        keepLastN: durability.keepLastN,
        maxCheckpointSizeMb: durability.maxCheckpointSizeMb,
        fsync: durability.fsync,
      });
    case 'log':
      return LogCheckpointStore.open({
        path: durability.storagePath,
        keepLastN: durability.keepLastN,
        maxCheckpointSizeMb: durability.maxCheckpointSizeMb,
        fsync: durability.fsync,
        warn: (message) => logger.warn(message),
      });
    case 'memory':
      return new MemoryCheckpointStore({ keepLastN: durability.keepLastN, maxCheckpointSizeMb: durability.maxCheckpointSizeMb });
    case 'nats':
      return NatsKvCheckpointStore.open({
        connection: connection!,
        bucket: checkpointBucket(config.nats),
        keepLastN: durability.keepLastN,
        maxCheckpointSizeMb: durability.maxCheckpointSizeMb,
        replicas: config.nats.replicas,
      });
  }
}
