import type { Command } from '../command.js';

export const dev: Command = {
  name: 'dev',
  summary: 'start a host with the dashboard, for development (a private nats-server if none is configured)',
  description: [
    'Starts a host: it resumes the unfinished agents of the registered playbooks, serves the dashboard, health and metrics, and (with NATS) the control API, so the other commands can drive it. It runs until Ctrl-C or SIGTERM, which drain it: steps in flight finish and are checkpointed.',
    'NATS: the servers of --nats, PLAYBOOKS_NATS_SERVERS or [nats] servers when given (storage as configured). Otherwise, if nats-server is installed, a private nats-server with JetStream under .playbooks/nats, with checkpoints in its KV store; it is stopped on exit, its data kept for the next run. Otherwise no NATS: the file store in .playbooks/checkpoints and no control API.',
  ],
  args: [],
  options: {
    module: { type: 'string', multiple: true, value: 'path', description: 'a module whose exported playbooks and XState machines the host registers' },
    port: { type: 'string', value: 'N', description: 'dashboard port (overrides [dashboard] port; 0 picks a free one)' },
  },
  exitCodes: [
    [0, 'stopped by Ctrl-C or SIGTERM, after draining'],
    [1, 'could not start: the dashboard port is taken, a module failed to load, "playbooks dev" already runs here'],
    [2, 'usage error (bad --port, a module that does not exist)'],
    [3, 'cannot reach NATS, or the configuration is invalid'],
  ],
  examples: ['playbooks dev --module workflows/orders.ts', 'playbooks dev --module a.ts --module b.ts --port 8080 --nats nats://127.0.0.1:4222'],
  // The implementation loads the library: imported on use, so help answers fast.
  run: async (context) => (await import('../dev-host.js')).runDev(context),
};
