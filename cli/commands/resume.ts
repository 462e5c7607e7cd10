import type { Command } from '../command.js';
import { controlRequest, paintState } from '../control-command.js';
import { ExitCode } from '../errors.js';
import { checkAgentId } from '../json-args.js';
import { CONTROL_EXIT_CODES, CONTROL_NOTE } from '../control-help.js';

export const resume: Command = {
  name: 'resume',
  summary: 'resume a stopped or interrupted agent from its latest checkpoint',
  description: ['Asks a host of the namespace to resume <agent> from its latest checkpoint (a stopped agent, or one no live host runs).', CONTROL_NOTE],
  args: [{ name: 'agent', description: 'agent id' }],
  options: {},
  exitCodes: CONTROL_EXIT_CODES,
  examples: ['playbooks resume order-7'],
  async run(context) {
    const reply = await controlRequest(context, 'resume', { agentId: checkAgentId(context.args[0]!) });
    if (!reply) return ExitCode.Failed;
    if (context.out.json) context.out.data(reply);
    else context.out.line(`${context.out.style.green('✔')} resumed agent ${context.out.style.bold(String(reply.agentId))}: ${paintState(context, reply.state)}`);
    return ExitCode.Ok;
  },
};
