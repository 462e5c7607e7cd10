/*
 * Ctrl-C and SIGTERM for long-running commands. The first signal asks for a graceful stop
 * (the command drains its host); a second one means "now": the process exits at once, after
 * `onForce` (which stops what must not be left running, like a private nats-server).
 */

export interface Interruption {
  /** Resolves with the first SIGINT or SIGTERM. */
  readonly signal: Promise<NodeJS.Signals>;
  dispose(): void;
}

export function watchInterruption(onForce: () => void = () => undefined): Interruption {
  let received = false;
  let resolveSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => (resolveSignal = resolve));
  const handler = (name: NodeJS.Signals): void => {
    if (received) {
      process.stderr.write(`\n${name} again: stopping now\n`);
      onForce();
      process.exit(130);
    }
    received = true;
    resolveSignal(name);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
