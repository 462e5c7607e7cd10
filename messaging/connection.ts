import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import type { NatsConfig } from '../config.js';
import { ConfigError, ensureError, NatsUnreachableError } from '../errors.js';
import type { Logger } from '../logger.js';

/** How long the first connection may take before the host gives up, in ms. */
const CONNECT_TIMEOUT_MS = 5_000;

/** The state of a host's NATS connection, for status and health. */
export interface NatsConnectionState {
  connected: boolean;
  /** Why it is not connected, when it is not. */
  reason?: string;
  server?: string;
}

/**
 * Connects to NATS: fails fast (with the servers named) if no server answers at start, then
 * reconnects forever. While disconnected, agents wait at their next checkpoint.
 */
export async function connectNats(config: NatsConfig, logger: Logger, name = 'durable-playbooks'): Promise<NatsConnection> {
  const options: ConnectionOptions & { tls?: unknown } = {
    servers: config.servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 10_000,
    timeout: CONNECT_TIMEOUT_MS,
    ...natsAuthOptions(config),
  };
  try {
    return await connect(options);
  } catch (error) {
    const message = `cannot connect to NATS at ${config.servers.join(', ')}: ${ensureError(error).message}`;
    // Refused credentials are a configuration problem; anything else, NATS is not there.
    if (/authoriz|authentic|permission|credentials/i.test(ensureError(error).message)) throw new ConfigError(message, { cause: error });
    throw new NatsUnreachableError(message, { cause: error });
  } finally {
    logger.debug({ servers: config.servers }, 'nats connect attempted');
  }
}

/** Follows a connection's status events into `state` and the log. */
export function watchConnection(nc: NatsConnection, logger: Logger, onChange: (state: NatsConnectionState) => void): void {
  onChange({ connected: true, server: nc.getServer() });
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
          logger.warn({ server: status.server }, 'NATS disconnected; agents wait at their next checkpoint');
          onChange({ connected: false, reason: `disconnected from ${status.server}` });
          break;
        case 'reconnecting':
          onChange({ connected: false, reason: 'reconnecting to NATS' });
          break;
        case 'reconnect':
          logger.info({ server: status.server }, 'NATS reconnected');
          onChange({ connected: true, server: status.server });
          break;
        case 'error':
          logger.warn({ err: status.error }, 'NATS error');
          break;
        default:
          break;
      }
    }
  })().catch((error: unknown) => logger.debug({ err: ensureError(error) }, 'NATS status stream ended'));
}

/** The authentication and TLS options `[nats]` asks for (user and password, token, creds file, TLS files). */
export function natsAuthOptions(config: NatsConfig): Partial<ConnectionOptions> & { tls?: unknown } {
  const options: Partial<ConnectionOptions> & { tls?: unknown } = {};
  if (config.user !== undefined) options.user = config.user;
  if (config.password !== undefined) options.pass = config.password;
  if (config.token !== undefined) options.token = config.token;
  if (config.credsFile !== undefined) {
    try {
      options.authenticator = credsAuthenticator(readFileSync(config.credsFile));
    } catch (error) {
      throw new ConfigError(`[nats] creds_file ${config.credsFile}: ${ensureError(error).message}`, { cause: error });
    }
  }
  if (config.tlsCaFile || config.tlsCertFile || config.tlsKeyFile) {
    options.tls = {
      ...(config.tlsCaFile ? { caFile: config.tlsCaFile } : {}),
      ...(config.tlsCertFile ? { certFile: config.tlsCertFile } : {}),
      ...(config.tlsKeyFile ? { keyFile: config.tlsKeyFile } : {}),
    };
  }
  return options;
}
