import type { Command } from '../command.js';
import { controlRequest, paintState } from '../control-command.js';
import { ExitCode } from '../errors.js';
import { checkAgentId } from '../json-args.js';
import { CONTROL_EXIT_CODES, CONTROL_NOTE } from '../control-help.js';

export const stop: Command = {
  name: 'stop',
  summary: 'stop an agent for good (a final checkpoint in state "stopped")',
  description: ['Asks the host that runs <agent> to stop it: it stops where it is, with a final checkpoint in state "stopped". "playbooks resume" starts it again from there.', CONTROL_NOTE],
  args: [{ name: 'agent', description: 'agent id' }],
  options: {},
  exitCodes: CONTROL_EXIT_CODES,
  examples: ['playbooks stop order-7'],
  async run(context) {
    const reply = await controlRequest(context, 'stop', { agentId: checkAgentId(context.args[0]!) });
    if (!reply) return ExitCode.Failed;
    if (context.out.json) context.out.data(reply);
    else context.out.line(`${context.out.style.green('✔')} stopped agent ${context.out.style.bold(String(reply.agentId))}: ${paintState(context, reply.state)}`);
    return ExitCode.Ok;
  },
};
