import type { CommandContext } from './command.js';
import { paintState as paintStdout } from './output.js';

/*
 * What the control commands (spawn, status, ls, stop, resume) share: one request to the
 * namespace's hosts, and the handling of an ok:false reply — printed as is with --json, as
 * one error line with a hint otherwise — which makes the command exit 1.
 */

const HINTS: Record<string, (body: Record<string, unknown>) => string> = {
  AGENT_NOT_FOUND: () => '"playbooks ls" lists the agents',
  UNKNOWN_PLAYBOOK: () => 'hosts know the playbooks they registered: "playbooks dev --module <file>"',
  NOT_RECOVERABLE: (body) => `see its checkpoints: "playbooks checkpoints ${String(body.agentId ?? '<agent>')}"`,
  AGENT_EXISTS: () => 'choose another --id',
};

/** The reply's fields when ok; `undefined` (already reported) when the host said no. */
export async function controlRequest(context: CommandContext, verb: string, body: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  // Loaded here, not at startup: help and usage errors answer without NATS and config code.
  const [{ loadSettings }, { ControlClient }] = await Promise.all([import('./config.js'), import('./control-client.js')]);
  const settings = loadSettings(context.common, context.cwd, { useDevServer: true });
  context.out.debug(`NATS ${settings.config.nats.servers.join(', ')} (${settings.natsFrom}), namespace ${settings.config.nats.namespace}`);
  await using client = await ControlClient.open(settings);
  const reply = await client.request(verb, body);
  if (reply.ok) return reply;
  const { out } = context;
  if (out.json) out.data(reply);
  else {
    const hint = HINTS[reply.error.code]?.(body);
    out.failure({ code: reply.error.code, message: `${verb}: ${reply.error.message} [${reply.error.code}]`, exitCode: 1, ...(hint ? { hint } : {}) });
  }
  return undefined;
}

/** A state in colour, for stdout. */
export function paintState(context: CommandContext, state: unknown): string {
  return paintStdout(context.out.style, state);
}
