/** Runs one system's job in a worker process of its own (worker.ts), one at a time. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DURABILITY, NAMES, ROLES, type SystemId } from './systems.js';
import type { Job } from './worker.js';
import type { SystemResult } from './workload.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** The workers running now (stopped on SIGINT/SIGTERM). */
export const children = new Set<ChildProcess>();
/** The 1-minute load average as each system started: the machine may be shared. */
export const loads: number[] = [];

/** Runs one job in a worker process; its output is shown indented. Never throws. */
export function runWorker(job: Job, timeoutMs: number): Promise<SystemResult> {
  const id = job.system as SystemId;
  flushDirtyPages();
  const load = loadavg()[0]!;
  loads.push(load);
  console.log(`running ${NAMES[id]} … (load average ${load.toFixed(2)})`);
  const fail = (reason: string): SystemResult => ({ id, name: NAMES[id], role: ROLES[id], status: 'unavailable', reason, version: '', durability: DURABILITY[id] });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(job)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    children.add(child);
    let result: SystemResult | undefined;
    const tail: string[] = [];
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        console.log(`    │ ${line}`);
        tail.push(line);
        if (tail.length > 10) tail.shift();
      }
    };
    child.stdout!.on('data', relay);
    child.stderr!.on('data', relay);
    child.on('message', (message) => (result = message as SystemResult));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM'); // the worker stops what it started, then exits
      setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      resolve(fail(`worker could not start: ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (result && !timedOut) resolve({ ...result, details: { ...result.details, loadAverageAtStart: Number(load.toFixed(2)) } });
      else if (timedOut) resolve(fail(`timed out after ${timeoutMs / 1000} s`));
      else resolve(fail(`worker exited (${signal ?? `code ${code}`}) without a result${tail.length ? `: ${tail.slice(-3).join(' | ')}` : ''}`));
    });
  });
}

/**
 * Writes back what the systems before left dirty in the page cache (the file store's thousands of
 * files, their deletion), so that it does not slow the fsyncs of the system about to run: each
 * starts on a quiet disk. `sync` is coreutils'; without it the run goes on as before.
 */
function flushDirtyPages(): void {
  try {
    execFileSync('sync', { stdio: 'ignore', timeout: 60_000 });
  } catch {
    // not there, or too slow: measured as the machine is
  }
}
