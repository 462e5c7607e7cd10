/**
 * Two purchase requests wait durably for a human's approval, sent over NATS:
 *   - the laptops get approved (by this script, unless --interactive: then by you);
 *   - nobody answers for the GPU server, so it times out and is escalated.
 *
 *   npm run example:approval
 *   tsx run.ts --timeout 5s        # how long the GPU request waits (default 3s)
 *   tsx run.ts --interactive       # wait for your approval instead of sending one
 *
 * NATS: PLAYBOOKS_NATS_SERVERS if set, else a private nats-server (data in ./.playbooks/nats).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { startHost, startPrivateNatsServer, type Duration } from 'durable-playbooks';
import { PurchaseApproval, type PurchaseOutcome, type PurchaseRequest } from './workflow.js';

const { values } = parseArgs({
  options: { timeout: { type: 'string', default: '3s' }, interactive: { type: 'boolean', default: false } },
});
if (!/^\d+(ms|s|m)?$/.test(values.timeout)) {
  console.error(`--timeout ${values.timeout}: expected a duration such as 3s, 2500ms or 1m`);
  process.exit(2);
}
const timeout = (/^\d+$/.test(values.timeout) ? Number(values.timeout) : values.timeout) as Duration;
const interactive = values.interactive;

// ── NATS: the one given, or a private nats-server for this example ─────────────────────────
const given = process.env.PLAYBOOKS_NATS_SERVERS;
const nats = given ? undefined : await startPrivateNatsServer({ dir: fileURLToPath(new URL('./.playbooks/nats', import.meta.url)) });

const host = await startHost({
  configFile: fileURLToPath(new URL('./playbooks.toml', import.meta.url)),
  ...(nats ? { nats: { servers: [nats.url] } } : {}), // PLAYBOOKS_NATS_SERVERS is read from the environment by the config
  playbooks: [PurchaseApproval],
  logger: pino({ level: process.env.PLAYBOOKS_LOG_LEVEL ?? 'silent' }), // the lines below tell the story
});
const url = host.config.nats.servers.join(',');
const { namespace } = host.config.nats;
const shutdown = async (): Promise<void> => {
  await host.close(); // waiting agents keep their checkpoints: the next run resumes them
  await nats?.stop();
};
// Ctrl-C (in --interactive mode, say) is no problem for a durable agent: its wait is
// checkpointed, so the requests stay waiting in NATS and the next run resumes them. (A
// terminal's Ctrl-C reaches the private nats-server too, so there is nothing to close
// gracefully then: stop it and go.)
let interrupted: Promise<void> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: unanswered requests keep waiting in NATS; run again to resume them.`);
    interrupted ??= nats ? nats.stop() : host.close();
    void interrupted.then(() => process.exit(130));
  });
}

console.log('Purchase approvals: each request waits durably for an "approval" message on NATS');
console.log(`  NATS ${url}${nats ? ' (private nats-server, data in examples/approval/.playbooks/nats)' : ''}, namespace "${namespace}"\n`);

const clock = (ms: number): string => new Date(ms).toTimeString().slice(0, 8);
const inWords = (ms: number): string => (ms < 90_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`);
host.onEvent((event) => {
  if (event.type === 'waiting' && event.for === 'receive') {
    const left = event.until === undefined ? '' : ` until ${clock(event.until)} (in ${inWords(event.until - Date.now())})`;
    console.log(`  ⏳ ${event.agentId} waits for an "${event.name}" message${left}`);
  }
  if (event.type === 'message.rejected') console.log(`  ⚠ ${event.agentId} rejected a message and waits on: ${oneLine(event.reason)}`);
});

// startHost resumed the requests an earlier (interrupted) run left waiting: say so.
for (const agent of host.services?.recovery?.resumed ?? []) {
  console.log(`  ↻ ${agent.id} resumed from an earlier run (${agent.status().state}); it keeps its original deadline`);
}

// ── Two requests ──────────────────────────────────────────────────────────────────────────
const run = Date.now().toString(36);
const laptops: PurchaseRequest = { item: '3 laptops for the design team', amountUsd: 4_200, requestedBy: 'dana', approveWithin: '10m' };
const gpu: PurchaseRequest = { item: '1 GPU server', amountUsd: 38_000, requestedBy: 'sam', approveWithin: timeout };
const bothWaiting = waiting([`po-${run}-laptops`, `po-${run}-gpu`]);
const approved = await host.spawn(PurchaseApproval, { id: `po-${run}-laptops`, input: laptops });
const timesOut = await host.spawn(PurchaseApproval, { id: `po-${run}-gpu`, input: gpu });
await bothWaiting;

// ── How a human approves: any NATS client can; nothing here goes through the host ─────────
const decision = { approved: true, by: 'alice' };
const subject = `playbooks.${namespace}.agent.${approved.id}.inbox`;
const message = { type: 'approval', payload: decision };
console.log(`\nTo approve ${approved.id}, a human runs:`);
console.log(`  npx playbooks send ${approved.id} approval '${JSON.stringify(decision)}' --nats ${url} --namespace ${namespace}`);
console.log('or, with the nats CLI:');
console.log(`  nats --server ${url} pub ${subject} '${JSON.stringify(message)}'`);
console.log(`(to reject: '{"approved":false,"by":"alice","comment":"too expensive"}')\n`);

if (interactive) {
  console.log(`Waiting for your decision on ${approved.id} (up to ${laptops.approveWithin}). Ctrl-C stops here; the`);
  console.log('request keeps waiting in NATS, and the next run of this example resumes it.\n');
} else {
  console.log('No human here, so in 1 s this script publishes that message itself, over a plain NATS');
  console.log('connection, as the nats CLI would (--interactive to send your own instead).\n');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const nc = await connect({ servers: host.config.nats.servers });
  // First a sloppy one, to show the schema at work: it is rejected, and the agent waits on.
  const sloppy = { type: 'approval', payload: { approved: 'yes' } };
  console.log(`  → publishing ${JSON.stringify(sloppy)} (no "by", "yes" is not a boolean)`);
  nc.publish(subject, JSON.stringify(sloppy));
  await nc.flush();
  await new Promise((resolve) => setTimeout(resolve, 300));
  console.log(`  → publishing ${JSON.stringify(message)} to ${subject}`);
  nc.publish(subject, JSON.stringify(message)); // the inbox stream stores it, even while the agent is down
  await nc.flush();
  await nc.close();
}

// ── Outcomes ──────────────────────────────────────────────────────────────────────────────
const describe = (outcome: PurchaseOutcome): string => {
  switch (outcome.outcome) {
    case 'approved':
      return `approved by ${outcome.by} → order ${outcome.orderId}`;
    case 'rejected':
      return `rejected by ${outcome.by}${outcome.comment ? ` ("${outcome.comment}")` : ''}`;
    case 'escalated':
      return `no decision within ${outcome.after} → escalated, ticket ${outcome.ticket}`;
  }
};
const outcomes = await Promise.all([approved.result(), timesOut.result()]).catch(async (error: unknown) => {
  if (!interrupted) throw error;
  await interrupted; // results reject with HostClosedError when Ctrl-C closes the host: not a failure
  return process.exit(130);
});
console.log('\nOutcomes:');
for (const [agent, outcome] of [[approved, outcomes[0]], [timesOut, outcomes[1]]] as const) {
  console.log(`  ${agent.id.padEnd(26)} ${describe(outcome)}`);
}
await shutdown();

/** zod 4 puts its issues in the error message as a JSON array: one line per rejection is enough. */
function oneLine(reason: string): string {
  const start = reason.indexOf('[');
  try {
    const issues = JSON.parse(reason.slice(start)) as { path: (string | number)[]; message: string }[];
    return `${reason.slice(0, start)}${issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`;
  } catch {
    return reason.replace(/\s+/g, ' ');
  }
}

/** Resolves once each of these agents waits in its `receive` (call it before spawning them). */
function waiting(ids: string[]): Promise<void> {
  const pending = new Set(ids);
  return new Promise((resolve) => {
    const unsubscribe = host.onEvent((event) => {
      if (event.type === 'waiting' && pending.delete(event.agentId) && pending.size === 0) {
        unsubscribe();
        resolve();
      }
    });
  });
}
