/**
 * Runs one system through the workload in a process of its own — started by index.ts as
 * `node --import tsx bench/compare/worker.ts '<job JSON>'` with an IPC channel — and sends back
 * its SystemResult. One process per system and round: no heap, JIT state or SDK singleton
 * (DBOS) carries over from one system to the next, and a peer that hangs can be stopped
 * without stopping the run.
 */
import type { FloorTarget } from './kv-floor.js';
import { runPendingCleanups, unavailable, type SystemResult, type Workload } from './workload.js';

export type Job =
  | { system: 'playbooks-nats'; workload: Workload; natsUrl: string; natsVersion: string }
  | { system: 'playbooks-file'; workload: Workload }
  | { system: 'playbooks-log'; workload: Workload }
  | { system: 'restate'; workload: Workload }
  | { system: 'dbos'; workload: Workload }
  | ({ system: 'kv-floor'; workload: Workload } & FloorTarget);

// Each job imports only its own system: a peer's run does not load durable-playbooks (nor the
// other peers), so it does not depend on the state of the engine's source.
async function run(job: Job): Promise<SystemResult> {
  switch (job.system) {
    case 'playbooks-nats':
      return (await import('./playbooks.js')).benchPlaybooks({ store: 'nats', natsUrl: job.natsUrl, natsVersion: job.natsVersion }, job.workload);
    case 'playbooks-file':
      return (await import('./playbooks.js')).benchPlaybooks({ store: 'file' }, job.workload);
    case 'playbooks-log':
      return (await import('./playbooks.js')).benchPlaybooks({ store: 'log' }, job.workload);
    case 'restate':
      return (await import('./restate.js')).benchRestate(job.workload);
    case 'dbos':
      return (await import('./dbos.js')).benchDbos(job.workload);
    case 'kv-floor':
      return (await import('./kv-floor.js')).benchKvFloor(job, job.workload);
  }
}

// Stopped by the orchestrator (time-out, Ctrl-C): stop what this process started, then go.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void runPendingCleanups().finally(() => process.exit(130)));
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
let result: SystemResult;
try {
  result = await run(job);
} catch (error) {
  const role = job.system.startsWith('playbooks') ? 'ours' : job.system === 'kv-floor' ? 'floor' : 'peer';
  result = unavailable({ id: job.system, name: job.system, role, version: '', durability: '' }, error);
}
await runPendingCleanups();
if (process.send) process.send(result, () => process.exit(0));
else {
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
