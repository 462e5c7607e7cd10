import { stringOption, type Command } from '../command.js';
import { controlRequest, paintState } from '../control-command.js';
import { ExitCode } from '../errors.js';
import { checkAgentId, parseJsonArgument } from '../json-args.js';
import { CONTROL_EXIT_CODES, CONTROL_NOTE } from '../control-help.js';

export const spawn: Command = {
  name: 'spawn',
  summary: 'start an agent running <playbook> on a running host',
  description: [
    'Asks a host of the namespace to spawn an agent running <playbook> (a playbook or machine the host registered). Spawning an id that exists with the same playbook returns that agent.',
    CONTROL_NOTE,
  ],
  args: [{ name: 'playbook', description: 'name of a playbook (or XState machine id) registered with the hosts' }],
  options: {
    id: { type: 'string', value: 'ID', description: 'agent id (default: chosen by the host, a UUID)' },
    input: { type: 'string', value: 'JSON', description: 'the input, as JSON' },
  },
  exitCodes: CONTROL_EXIT_CODES,
  examples: ['playbooks spawn MyWorkflow --id order-7 --input \'{"url":"https://example.com"}\''],
  async run(context) {
    const input = parseJsonArgument(stringOption(context, 'input'), '--input');
    const id = stringOption(context, 'id');
    const body = { playbook: context.args[0]!, ...(id === undefined ? {} : { agentId: checkAgentId(id, '--id') }), ...(input === undefined ? {} : { input }) };
    const reply = await controlRequest(context, 'spawn', body);
    if (!reply) return ExitCode.Failed;
    if (context.out.json) context.out.data(reply);
    else context.out.line(`${context.out.style.green('✔')} spawned agent ${context.out.style.bold(String(reply.agentId))} (playbook ${body.playbook}): ${paintState(context, reply.state)}`);
    return ExitCode.Ok;
  },
};
