/**
 * One process of the statechart demo (run.ts starts it twice):
 *
 *   tsx agent.ts --id ID --part 1   spawns the review agent, drives it to changesRequested,
 *                                   then SIGKILLs itself: no shutdown, nothing flushed
 *   tsx agent.ts --id ID --part 2   recovers the agent from its last checkpoint, shows the
 *                                   restored state and drives it to its final state
 *
 * Checkpoints go to the file store in ./.checkpoints (see playbooks.toml): the only thing
 * the two processes share.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createHost, type AgentRef } from 'durable-playbooks';
import { documentReview, type ReviewContext, type ReviewEvent, type ReviewInput } from './machine.js';

const { values } = parseArgs({ options: { id: { type: 'string' }, part: { type: 'string', default: '1' } } });
const agentId = values.id ?? `review-${Date.now()}`;

const host = await createHost({
  configFile: fileURLToPath(new URL('./playbooks.toml', import.meta.url)),
  logger: pino({ level: process.env.PLAYBOOKS_LOG_LEVEL ?? 'warn' }),
  hostId: `process-${values.part}`, // named in the checkpoints it writes
});
// Registered by its id ("documentReview") before recover(): a host can only resume agents
// whose machine or playbook it knows.
host.register(documentReview);

host.onEvent((event) => {
  if (event.agentId !== agentId) return;
  if (event.type === 'checkpointed') console.log(`    ✔ checkpoint ${event.seq} stored: ${event.recorded.join(', ')}`);
  if (event.type === 'completed') console.log(`  ✔ final state reached; output ${JSON.stringify(event.result)}`);
});

/** The machine's state and context, as the latest checkpoint holds them. */
async function stored(): Promise<{ seq: number; state: string; context: ReviewContext }> {
  const record = await host.checkpoints!.getLatestCheckpoint(agentId);
  if (record?.kind !== 'machine') throw new Error(`no machine checkpoint for ${agentId}`);
  // This machine has no nested states, so its state value is a plain string.
  return { seq: record.seq, state: String(record.snapshot.value), context: record.snapshot.context as ReviewContext };
}

const describe = (c: ReviewContext): string =>
  `revision ${c.revision}, approvals [${c.approvals.join(', ')}], comments ${JSON.stringify(c.comments)}`;

/** Sends an event to the agent's inbox (resolves once checkpointed) and shows where it landed. */
async function send(agent: AgentRef, event: ReviewEvent, note = ''): Promise<void> {
  const { type, ...payload } = event;
  console.log(`  → ${type}${Object.keys(payload).length ? ` ${JSON.stringify(payload)}` : ''}${note}`);
  await agent.send(type, payload);
  const after = await stored();
  console.log(`    now ${after.state}: ${describe(after.context)}`);
}

if (values.part === '1') {
  const input: ReviewInput = { title: 'Storage design for Q3', author: 'ann', approvalsNeeded: 2 };
  console.log(`Spawning ${agentId} (XState machine "documentReview") with input ${JSON.stringify(input)}`);
  const review = await host.spawn(documentReview, { id: agentId, input });
  await send(review, { type: 'submit' });
  await send(review, { type: 'approve', reviewer: 'bob' });
  await send(review, { type: 'requestChanges', reviewer: 'carol', comment: 'add the benchmark numbers' });
  console.log(`  💥 SIGKILL: the process dies in state changesRequested`);
  process.kill(process.pid, 'SIGKILL');
} else {
  if (!(await host.recovery!.canRecover(agentId))) throw new Error(`nothing to recover for ${agentId}`);
  const info = await host.recovery!.getRecoveryInfo(agentId);
  const before = await stored();
  console.log(`Recovering ${agentId} from checkpoint ${info.seq} (saved ${info.savedAt})`);
  console.log(`  resumes at ${info.resumeAt}`);
  console.log(`  restored context: ${describe(before.context)}`);

  await host.recover();
  const review = host.get(agentId)!;
  console.log(`  running again in state ${review.status().callStack.at(-1)}`);
  await send(review, { type: 'revise', summary: 'benchmarks added' });
  await send(review, { type: 'approve', reviewer: 'ann' }, '  (the author: the guard ignores it)');
  await send(review, { type: 'approve', reviewer: 'bob' });
  await send(review, { type: 'approve', reviewer: 'carol' }, '  (the second approval)');
  await send(review, { type: 'publish' });
  const output = await review.result();
  console.log(`Result: ${JSON.stringify(output)}`);
}
await host.close();
