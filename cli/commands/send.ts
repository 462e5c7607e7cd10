import { stringOption, type Command } from '../command.js';
import { ExitCode, usageError } from '../errors.js';
import { checkAgentId, parseJsonArgument } from '../json-args.js';
import { CONTROL_NOTE } from '../control-help.js';

export const send: Command = {
  name: 'send',
  summary: "put a message in an agent's inbox",
  description: [
    'Publishes {"type","payload"} to playbooks.<ns>.agent.<agent>.inbox through JetStream and waits until the inbox stream has stored it: the agent takes it with receive(<type>) whenever it runs. With --msg-id, a resend with the same id within 5 minutes is dropped (Nats-Msg-Id).',
    CONTROL_NOTE,
  ],
  args: [
    { name: 'agent', description: 'agent id' },
    { name: 'type', description: 'message type (what the playbook receives)' },
    { name: 'payload', description: 'the payload, as JSON', optional: true },
  ],
  options: { 'msg-id': { type: 'string', value: 'ID', description: 'message id, so that a resend is dropped (Nats-Msg-Id)' } },
  exitCodes: [
    [0, 'the inbox stream stored the message (or dropped it as a duplicate of --msg-id)'],
    [1, 'nothing stored: no host ever started in the namespace (no inbox stream), or JetStream is off'],
    [2, 'usage error (bad payload JSON, bad agent id, empty type)'],
    [3, 'cannot reach NATS, or the configuration is invalid'],
  ],
  examples: ['playbooks send order-7 approval \'{"ok":true}\'', 'playbooks send order-7 cancel --msg-id cancel-order-7'],
  async run(context) {
    const [agent, type, payloadText] = context.args as [string, string, string | undefined];
    const agentId = checkAgentId(agent);
    if (type.trim() === '') throw usageError('the message type must not be empty');
    const payload = parseJsonArgument(payloadText, 'the payload');
    const msgId = stringOption(context, 'msg-id');
    const [{ loadSettings }, { ControlClient }] = await Promise.all([import('../config.js'), import('../control-client.js')]);
    const settings = loadSettings(context.common, context.cwd, { useDevServer: true });
    await using client = await ControlClient.open(settings);
    const ack = await client.sendToInbox(agentId, type, payload, msgId);
    const { out } = context;
    if (out.json) {
      out.data({ ok: true, agentId, type, ...ack, ...(msgId === undefined ? {} : { msgId }) });
    } else if (ack.duplicate) {
      out.line(`${out.style.yellow('=')} "${type}" for ${agentId} was sent before with --msg-id ${msgId}: the stream dropped this copy`);
    } else {
      out.line(`${out.style.green('✔')} stored "${type}" for agent ${out.style.bold(agentId)} (stream ${ack.stream}, seq ${ack.seq})`);
    }
    return ExitCode.Ok;
  },
};
