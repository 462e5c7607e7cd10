import { connect, errors, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { natsAuthOptions } from '../messaging/connection.js';
import type { Settings } from './config.js';
import { CliError, ExitCode } from './errors.js';

/*
 * The CLI's own NATS connection, with the library's authentication and TLS options: a short-
 * lived client connection does not reconnect, and a failure becomes a distinct
 * NATS_UNREACHABLE or NATS_AUTH (exit 3) with a hint that depends on where the servers came from.
 */

const CONNECT_TIMEOUT_MS = 5_000;

export interface ConnectPurpose {
  /** A host's connection reconnects forever (agents wait at their next checkpoint meanwhile). */
  forHost: boolean;
}

export async function connectToNats(settings: Settings, { forHost }: ConnectPurpose): Promise<NatsConnection> {
  const config = settings.config.nats;
  const options: ConnectionOptions & { tls?: unknown } = {
    servers: config.servers,
    name: forHost ? 'playbooks host' : 'playbooks cli',
    timeout: CONNECT_TIMEOUT_MS,
    ...(forHost ? { maxReconnectAttempts: -1, reconnectTimeWait: 250, reconnectJitter: 100, pingInterval: 10_000 } : {}),
    ...natsAuthOptions(config),
  };
  try {
    return await connect(options);
  } catch (error) {
    throw unreachable(settings, error);
  }
}

function unreachable(settings: Settings, error: unknown): CliError {
  const servers = settings.config.nats.servers.join(', ');
  const reason = error instanceof errors.TimeoutError ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s` : (error as Error).message;
  if (error instanceof errors.AuthorizationError) {
    return new CliError('NATS_AUTH', `NATS at ${servers} refused the credentials: ${reason}`, ExitCode.Unreachable, 'check [nats] user, password, token or creds_file');
  }
  return new CliError('NATS_UNREACHABLE', `cannot reach NATS at ${servers}: ${reason}`, ExitCode.Unreachable, hintFor(settings));
}

function hintFor(settings: Settings): string {
  switch (settings.natsFrom) {
    case 'default':
      return `nothing answers at the default ${settings.config.nats.servers.join(', ')}: set [nats] servers or pass --nats <url>, or start "playbooks dev" here (it runs a private nats-server)`;
    case 'dev':
      return 'the nats-server of "playbooks dev" does not answer: is "playbooks dev" still running?';
    case 'option':
      return 'is a nats-server running there (nats-server -js)? check --nats';
    default:
      return 'is a nats-server running there (nats-server -js)? check [nats] servers / PLAYBOOKS_NATS_SERVERS, or run "playbooks doctor"';
  }
}
