import { stringOption, type Command } from '../command.js';
import { checkAgentId, parseJsonArgument } from '../json-args.js';

export const run: Command = {
  name: 'run',
  summary: 'run a playbook from a module as an agent; the same command resumes it',
  description: [
    'Imports <module> (TypeScript or JavaScript, relative to the working directory), runs the playbook it exports as an agent, prints each checkpoint as it is stored, then the result as JSON.',
    'The agent id defaults to <playbook>-<hash of the module path, playbook and input>, so running the same command again finds the same agent: an unfinished one (interrupted by Ctrl-C or a crash) resumes from its last checkpoint, and completed steps do not run again; a completed one prints its stored result.',
    'Checkpoints go to the configured store: [durability] storage ("file" by default, in .playbooks/checkpoints unless [durability] storage_path is set). A crash of the playbook fails the run (no supervisor restarts); step retries apply. Ctrl-C lets the steps in flight finish and be checkpointed, then stops (exit 130).',
    'With NATS configured (--nats, [nats] servers or [nats] enabled), the host also serves the agent\'s inbox and the control API: "playbooks send" from another terminal reaches an agent waiting in receive().',
  ],
  args: [{ name: 'module', description: 'a .ts/.mts/.js/.mjs file that exports the playbook' }],
  options: {
    playbook: { type: 'string', value: 'Name', description: 'the playbook to run, when the module exports several' },
    input: { type: 'string', value: 'JSON', description: "the playbook's input, as JSON" },
    id: { type: 'string', value: 'ID', description: 'agent id (default: derived from module, playbook and input)' },
  },
  exitCodes: [
    [0, 'the agent completed (now, or in an earlier run: its stored result is printed)'],
    [1, 'the agent failed or was stopped, cannot be resumed, or the module failed to load'],
    [2, 'usage error: bad --input JSON, no such playbook, several playbooks and no --playbook, a bad --id'],
    [3, 'cannot reach NATS, or the configuration is invalid'],
    [130, 'interrupted (Ctrl-C): steps in flight were checkpointed; run the same command to resume'],
  ],
  examples: ['playbooks run workflows/order.ts --input \'{"orderId":42}\'', 'playbooks run jobs.ts --playbook Nightly --id nightly-2024-06-01'],
  async run(context) {
    // Malformed arguments are reported before the library loads (the implementation imports it).
    parseJsonArgument(stringOption(context, 'input'), '--input');
    const id = stringOption(context, 'id');
    if (id !== undefined) checkAgentId(id, '--id');
    return (await import('../run-agent.js')).runAgent(context);
  },
};
