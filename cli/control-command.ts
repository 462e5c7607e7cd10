import type { CommandContext } from './command.js';
import type { ControlClient, ControlReply } from './control-client.js';
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
  return withControlClient(context, async (client) => checked(context, verb, body, await client.request(verb, body)));
}

/**
 * A paged request (`list`): asks page after page, each from where the last one ended
 * (`after: next`), and gives back the items of every page under `field`, as one reply.
 */
export async function controlRequestAllPages(context: CommandContext, verb: string, body: Record<string, unknown>, field: string): Promise<Record<string, unknown> | undefined> {
  return withControlClient(context, (client) =>
    allPages(async (request) => checked(context, verb, request, await client.request(verb, request)), body, field),
  );
}

/** Asks `request` for page after page while a reply names a `next`; undefined if one fails. */
export async function allPages(
  request: (body: Record<string, unknown>) => Promise<Record<string, unknown> | undefined>,
  body: Record<string, unknown>,
  field: string,
): Promise<Record<string, unknown> | undefined> {
  const items: unknown[] = [];
  let after: unknown;
  do {
    const reply = await request(after === undefined ? body : { ...body, after });
    if (!reply) return undefined;
    items.push(...((reply[field] ?? []) as unknown[]));
    after = reply.next;
  } while (after !== undefined);
  return { ok: true, [field]: items };
}

async function withControlClient<T>(context: CommandContext, use: (client: ControlClient) => Promise<T>): Promise<T> {
  // Loaded here, not at startup: help and usage errors answer without NATS and config code.
  const [{ loadSettings }, { ControlClient }] = await Promise.all([import('./config.js'), import('./control-client.js')]);
  const settings = loadSettings(context.common, context.cwd, { useDevServer: true });
  context.out.debug(`NATS ${settings.config.nats.servers.join(', ')} (${settings.natsFrom}), namespace ${settings.config.nats.namespace}`);
  await using client = await ControlClient.open(settings);
  return await use(client); // awaited here: the client closes as this returns
}

/** The reply when ok; else reports it (as is with --json, as an error line with a hint otherwise). */
function checked(context: CommandContext, verb: string, body: Record<string, unknown>, reply: ControlReply): Record<string, unknown> | undefined {
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
