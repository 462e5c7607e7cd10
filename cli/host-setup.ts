import type { NatsConnection } from '@nats-io/transport-node';
import type { AnyStateMachine } from 'xstate';
import { createHost, type Host, type Playbook } from '../index.js';
import type { Logger } from '../logger.js';
import { hostConfig, usesNats, type Settings } from './config.js';
import { connectToNats } from './nats.js';

/*
 * A host for `run` and `dev`, built from the resolved settings. The CLI opens the NATS
 * connection itself (bounded connect, a clear NATS_UNREACHABLE) and hands it to the host, so
 * it closes it after the host is done with it.
 */

export interface CliHost {
  host: Host;
  /** Waits for steps in flight (they finish and are checkpointed), then closes everything. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface CliHostOptions {
  playbooks: Playbook<never, unknown>[];
  machines?: AnyStateMachine[];
  logger: Logger;
  dashboard?: { enabled: boolean; port?: number };
}

export async function openHost(settings: Settings, options: CliHostOptions): Promise<CliHost> {
  const connection: NatsConnection | undefined = usesNats(settings) ? await connectToNats(settings, { forHost: true }) : undefined;
  const config = hostConfig(settings.config);
  let host: Host;
  try {
    host = await createHost({
      ...config,
      dashboard: { ...config.dashboard, ...options.dashboard },
      ...(connection ? { natsConnection: connection } : {}),
      playbooks: options.playbooks,
      logger: options.logger,
    });
    host.register(...(options.machines ?? []));
  } catch (error) {
    await connection?.close();
    throw error;
  }
  // Drain and close are both safe to call again (a command closes on every path out).
  let finished: Promise<void> | undefined;
  const finish = (stop: () => Promise<void>): Promise<void> =>
    (finished ??= (async () => {
      try {
        await stop();
      } finally {
        await connection?.close().catch(() => undefined);
      }
    })());
  return { host, drain: () => finish(() => host.drain()), close: () => finish(() => host.close()) };
}
