import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The default logger: JSON lines on stderr at `PLAYBOOKS_LOG_LEVEL` (default "info").
 * Pass your own pino logger to `createHost({ logger })` to route logs elsewhere.
 */
export function createDefaultLogger(): Logger {
  return pino(
    { name: 'durable-playbooks', level: process.env.PLAYBOOKS_LOG_LEVEL ?? 'info' },
    pino.destination(2),
  );
}
