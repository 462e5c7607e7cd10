import type { Command, CommandContext } from '../command.js';
import { controlRequest, paintState } from '../control-command.js';
import { ExitCode } from '../errors.js';
import { checkAgentId } from '../json-args.js';
import { CONTROL_EXIT_CODES, CONTROL_NOTE } from '../control-help.js';

export const status: Command = {
  name: 'status',
  summary: "an agent's state, checkpoint, call stack, and result or error",
  description: ['Asks the hosts of the namespace for the status of <agent>: live if a host runs it, else from its latest checkpoint.', CONTROL_NOTE],
  args: [{ name: 'agent', description: 'agent id' }],
  options: {},
  exitCodes: CONTROL_EXIT_CODES,
  examples: ['playbooks status order-7', 'playbooks status order-7 --json | jq .result'],
  async run(context) {
    const reply = await controlRequest(context, 'status', { agentId: checkAgentId(context.args[0]!) });
    if (!reply) return ExitCode.Failed;
    if (context.out.json) context.out.data(reply);
    else printStatus(context, reply);
    return ExitCode.Ok;
  },
};

function printStatus(context: CommandContext, reply: Record<string, unknown>): void {
  const { out } = context;
  const error = reply.error as { name?: string; code?: string; message?: string } | undefined;
  const stack = Array.isArray(reply.callStack) ? (reply.callStack as string[]) : [];
  const rows: [string, string | undefined][] = [
    ['playbook', String(reply.playbook)],
    ['checkpoint', `${String(reply.seq)}${reply.savedAt ? ` (saved at ${String(reply.savedAt)})` : ''}`],
    ['call stack', stack.length ? stack.join(' › ') : undefined],
    ['blocked on', reply.blockedOn === undefined ? undefined : String(reply.blockedOn)],
    ['restarts', reply.restarts ? String(reply.restarts) : undefined],
    ['host', reply.host === undefined ? undefined : String(reply.host)],
    ['result', 'result' in reply ? JSON.stringify(reply.result, null, 2).replace(/\n/g, '\n              ') : undefined],
    ['error', error ? `${error.name ?? 'Error'}${error.code ? ` [${error.code}]` : ''}: ${error.message ?? ''}` : undefined],
  ];
  out.line(`agent ${out.style.bold(String(reply.agentId))}  ${paintState(context, reply.state)}${reply.quarantined ? out.style.red(' (quarantined)') : ''}`);
  for (const [label, value] of rows) if (value !== undefined) out.line(`  ${out.style.dim(`${label}:`.padEnd(12))}${value}`);
}
