/**
 * The statechart crash demo: the document-review machine runs as a durable agent in a child
 * process that is SIGKILLed half-way through the review; a second process recovers it from
 * its last checkpoint — state and context intact — and drives it to its final state.
 *
 *   npm run example:statechart
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const agent = fileURLToPath(new URL('./agent.ts', import.meta.url));
const agentId = `review-${Date.now()}`;
const runPart = (part: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', agent, '--id', agentId, '--part', part], { stdio: 'inherit' });

console.log('── Process 1: spawn the review and drive it part-way ────────────────');
const first = runPart('1');
console.log(`Process 1 ended by ${first.signal ?? `exit code ${first.status}`}\n`);
if (first.signal !== 'SIGKILL') process.exit(1);

console.log('── Process 2: recover the agent and finish the review ──────────────');
const second = runPart('2');
process.exit(second.status ?? 1);
