import type { Command } from '../command.js';
import { ExitCode } from '../errors.js';

export const doctor: Command = {
  name: 'doctor',
  summary: 'check the config, NATS, JetStream, the bucket, the dashboard port and the store',
  description: [
    'Checks, in order: the config file (found and valid, or defaults), the nats-server binary (for information), NATS reachable at the configured servers (when NATS is used), JetStream enabled, the checkpoint bucket (with storage = "nats"), the dashboard port free, the file store writable (with storage = "file"). Each failed check says what to fix.',
  ],
  args: [],
  options: {},
  exitCodes: [
    [0, 'every check passed'],
    [1, 'a check failed (an invalid config is a failed check)'],
    [2, 'usage error'],
  ],
  examples: ['playbooks doctor', 'playbooks doctor --nats nats://10.0.0.5:4222 --json'],
  async run(context) {
    const { runChecks } = await import('../doctor-checks.js');
    const checks = await runChecks(context.common, context.cwd);
    const ok = checks.every((c) => c.ok);
    const { out } = context;
    if (out.json) {
      out.data({ ok, checks });
      return ok ? ExitCode.Ok : ExitCode.Failed;
    }
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const check of checks) {
      out.line(`${check.ok ? out.style.green('✔') : out.style.red('✘')} ${check.name.padEnd(width)}  ${check.detail}`);
      if (check.fix) out.line(`  ${' '.repeat(width)}  ${out.style.yellow('fix:')} ${check.fix}`);
    }
    const failed = checks.filter((c) => !c.ok).length;
    out.line(failed ? out.style.red(`${failed} problem${failed === 1 ? '' : 's'} found`) : out.style.green('all checks passed'));
    return failed ? ExitCode.Failed : ExitCode.Ok;
  },
};
