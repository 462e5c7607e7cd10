import { stringOption, type Command } from '../command.js';
import { controlRequestAllPages, paintState } from '../control-command.js';
import { ExitCode, usageError } from '../errors.js';
import { CONTROL_EXIT_CODES, CONTROL_NOTE } from '../control-help.js';

const STATES = ['running', 'waiting', 'completed', 'failed', 'stopped'];

export const ls: Command = {
  name: 'ls',
  summary: 'list the agents of the namespace',
  description: ['Lists every agent with checkpoints in the hosts\' store (and those they run): id, state, checkpoint, playbook and host.', CONTROL_NOTE],
  args: [],
  options: { state: { type: 'string', value: 'S', description: `only agents in this state: ${STATES.join(', ')}` } },
  exitCodes: CONTROL_EXIT_CODES,
  examples: ['playbooks ls', 'playbooks ls --state failed --json'],
  async run(context) {
    const state = stringOption(context, 'state');
    if (state !== undefined && !STATES.includes(state)) throw usageError(`--state ${JSON.stringify(state)} is not a state`, `states: ${STATES.join(', ')}`);
    const reply = await controlRequestAllPages(context, 'list', state === undefined ? {} : { state }, 'agents');
    if (!reply) return ExitCode.Failed;
    const { out } = context;
    if (out.json) {
      out.data(reply);
      return ExitCode.Ok;
    }
    const agents = (reply.agents ?? []) as Record<string, unknown>[];
    if (agents.length === 0) {
      out.line(state ? `no ${state} agents` : 'no agents');
      return ExitCode.Ok;
    }
    agents.sort((a, b) => String(a.agentId).localeCompare(String(b.agentId)));
    const rows = agents.map((a) => [String(a.agentId), String(a.state), a.seq === undefined ? '' : String(a.seq), String(a.playbook ?? ''), String(a.host ?? '')]);
    out.table(['AGENT', 'STATE', 'SEQ', 'PLAYBOOK', 'HOST'], rows, (column, cell) => (column === 1 ? paintState(context, cell) : cell));
    out.line(out.style.dim(`${agents.length} agent${agents.length === 1 ? '' : 's'}`));
    return ExitCode.Ok;
  },
};
