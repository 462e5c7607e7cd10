/**
 * The crash-and-resume demo: runs the workflow in a child process, which SIGKILLs itself
 * right after the checkpoint that records `Process` (the workflow's await 2), then starts it
 * again. The second run resumes at `Save`: FetchData and Clean are not run again, and Save
 * sees `data` and `result` restored from the journal.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const run = fileURLToPath(new URL('./run.ts', import.meta.url));
const agentId = `demo-${Date.now()}`;
const runWorkflow = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', run, '--id', agentId, ...args], { stdio: 'inherit' });

console.log('── Run 1: crash after Process ──────────────────────────────');
const first = runWorkflow(['--crash-after', 'Process']);
console.log(`Run 1 ended by ${first.signal ?? `exit code ${first.status}`}\n`);
if (first.signal !== 'SIGKILL') process.exit(1);

console.log('── Run 2: same agent, new process ─────────────────────────');
const second = runWorkflow([]);
process.exit(second.status ?? 1);
