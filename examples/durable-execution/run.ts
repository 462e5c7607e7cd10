/**
 * Runs MyWorkflow as a durable agent and prints each checkpoint as it is stored.
 *
 *   npm run example                      # a new agent, run to the end
 *   tsx run.ts --id ID                   # run (or resume) the agent ID
 *   tsx run.ts --id ID --crash-after Process
 *       SIGKILLs this process right after the checkpoint that records `Process`
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createHost } from 'durable-playbooks';
import { MyWorkflow } from './workflow.js';

const { values } = parseArgs({ options: { id: { type: 'string' }, 'crash-after': { type: 'string' } } });
const agentId = values.id ?? `order-${Date.now()}`;
const crashAfter = values['crash-after'];

const host = await createHost({
  configFile: fileURLToPath(new URL('./playbooks.toml', import.meta.url)),
  playbooks: [MyWorkflow],
  logger: pino({ level: process.env.PLAYBOOKS_LOG_LEVEL ?? 'warn' }),
});

host.onEvent((event) => {
  if (event.agentId !== agentId) return;
  if (event.type === 'checkpointed') {
    console.log(`  ✔ checkpoint ${event.seq} stored (${event.state}): ${event.recorded.join(', ')}`);
    if (crashAfter && event.recorded.includes(`call ${crashAfter}`)) {
      console.log(`  💥 SIGKILL right after the checkpoint that records ${crashAfter}`);
      process.kill(process.pid, 'SIGKILL');
    }
  }
});

console.log(`Agent ${agentId} running MyWorkflow`);
if (await host.recovery!.canRecover(agentId)) {
  const info = await host.recovery!.getRecoveryInfo(agentId);
  console.log(`Recovering ${agentId} from checkpoint ${info.seq} (saved ${info.savedAt})`);
  console.log(`  resumes at ${info.resumeAt}; call stack: ${info.callStack.join(' › ')}`);
}
await host.recover();
const agent = await host.spawn(MyWorkflow, { id: agentId, input: { source: 'orders.csv' } });
const outcome = await agent.result();
console.log(`Result: ${JSON.stringify(outcome)}`);
await host.close();
