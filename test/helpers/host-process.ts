import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './child.js';
import { until } from './hosts.js';

/** A host running in a child process (test/fixtures/cluster-host.ts), with its output collected. */
export interface HostProcess {
  readonly hostId: string;
  readonly child: ChildProcess;
  output(): string;
  /** Lines "<event> <agentId>" it printed. */
  events(type: 'restarted' | 'fenced'): string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export async function startHostProcess(args: { urls: string; namespace: string; hostId: string; effectsLog: string; leaseSeconds: number }): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/cluster-host.ts', args.urls, args.namespace, args.hostId, args.effectsLog, String(args.leaseSeconds)],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await until(() => output.includes('ready') || child.exitCode !== null, 30_000, `host ${args.hostId} to start`);
  if (!output.includes('ready')) throw new Error(`host ${args.hostId} exited at start`);
  return {
    hostId: args.hostId,
    child,
    output: () => output,
    events: (type) => output.split('\n').filter((line) => line.startsWith(`${type} `)).map((line) => line.slice(type.length + 1)),
    exited,
    kill: (signal) => child.kill(signal),
  };
}
