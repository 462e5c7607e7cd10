/**
 * What every system in the comparison runs, and how it is measured — one definition, so the
 * figures compare the same thing:
 *   - a workflow of 3 sequential steps, each returning ~100-byte JSON;
 *   - sequential: `warmup` workflows, then `sequentialRuns` one at a time; latency per workflow
 *     (from the caller: start it, await its result) and per step (inside the workflow: from
 *     just before the step is called to just after its await resumes — running the step and
 *     recording its result durably; ours resumes once the result is recorded, and the next step
 *     waits for its write before it runs);
 *   - throughput: `throughputWarmup` workflows with `inFlight` of them running at once, not
 *     measured, then `total` more the same way: workflows/s.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { distribution, type Distribution } from '../stats.js';

export interface Workload {
  warmup: number;
  sequentialRuns: number;
  inFlight: number;
  /** Workflows run with `inFlight` at once before the measured throughput phase. */
  throughputWarmup: number;
  total: number;
}

// 500 warm-up workflows: what JIT-compiled code needs to reach its steady state. With 50, ours
// (CPU-bound: its steps do no I/O but the checkpoint) measured ~25% slower sequentially; Restate and
// DBOS (bound by their server's fsync) measured the same with 50 and with 500.
// The throughput phase gets its own warm-up at full concurrency, for the same reason: many
// workflows at once take code paths one at a time never does (ours had V8 optimize ~200 more
// functions and grow its heap during its first 2,000 concurrent workflows, and spent ~40% more
// CPU per workflow on them than on the next 2,000).
export const FULL: Workload = { warmup: 500, sequentialRuns: 500, inFlight: 200, throughputWarmup: 2_000, total: 2_000 };
export const QUICK: Workload = { warmup: 10, sequentialRuns: 100, inFlight: 200, throughputWarmup: 0, total: 400 };

export const STEP_NAMES = ['A', 'B', 'C'] as const;

/** A step's result: ~100 bytes of JSON, the same for every system. */
export function payload(index: number, step: string): { step: string; index: number; note: string } {
  return { step, index, note: 'x'.repeat(60) };
}

/** What each system file returns, whether it ran or not. */
export interface SystemResult {
  /** Stable id: playbooks-nats, playbooks-file, playbooks-log, restate, dbos, kv-floor. */
  id: string;
  /** Shown in the table and the chart. */
  name: string;
  role: 'ours' | 'peer' | 'floor';
  status: 'ok' | 'unavailable';
  /** Why it did not run (status "unavailable"). */
  reason?: string;
  /** Versions of what was measured (package and server versions). */
  version: string;
  /** One line: what an acknowledged step has survived when the measured call returns. */
  durability: string;
  sequential?: {
    workflow: Distribution;
    step: Distribution;
  };
  throughput?: {
    inFlight: number;
    total: number;
    seconds: number;
    workflowsPerSecond: number;
    /** workflowsPerSecond × 3 (the floor: puts per second). */
    stepsPerSecond: number;
    /**
     * CPU time of the worker process — the engine or the peer's SDK, and the load generator —
     * per workflow during the throughput phase, in ms. The servers (nats-server, restate-server,
     * PostgreSQL) are other processes and not counted.
     */
    workerCpuMsPerWorkflow?: number;
  };
  /** System-specific figures (checkpoint sizes, commits per workflow, settings read, …). */
  details?: Record<string, unknown>;
  /** With several rounds: each round's figures (the ones above are their medians). */
  rounds?: RoundFigures[];
}

export interface RoundFigures {
  round: number;
  status: 'ok' | 'unavailable';
  reason?: string;
  workflowP50?: number;
  workflowP99?: number;
  stepP50?: number;
  stepP99?: number;
  workflowsPerSecond?: number;
  workerCpuMsPerWorkflow?: number;
}

export function unavailable(base: Pick<SystemResult, 'id' | 'name' | 'role' | 'version' | 'durability'>, error: unknown): SystemResult {
  return { ...base, status: 'unavailable', reason: describeError(error) };
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
    return `${error.message}${cause}`.replace(/\s+/g, ' ').trim().slice(0, 600);
  }
  return String(error).slice(0, 600);
}

/** Collects per-step timings from inside the workflows, only while `recording`. */
export class StepTimer {
  recording = false;
  readonly samples: number[] = [];

  /** Times one step call from inside a workflow: `await timer.time(() => StepA(i))`. */
  async time<T>(call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await call();
    if (this.recording) this.samples.push(performance.now() - started);
    return result;
  }
}

export interface Measured {
  sequential: NonNullable<SystemResult['sequential']>;
  throughput: NonNullable<SystemResult['throughput']>;
}

/**
 * Drives one system through the workload. `runOne(i)` starts workflow `i`, awaits its result
 * and returns it: the result must be `i` (the last step's index), so a workflow that did not
 * really run shows as an error rather than as a fast figure.
 */
export async function drive(
  runOne: (index: number) => Promise<unknown>,
  timer: StepTimer,
  workload: Workload,
  hooks: { afterSequential?: () => Promise<void> } = {},
): Promise<Measured> {
  let next = 0;
  const run = async (): Promise<void> => {
    const index = next++;
    const result = await runOne(index);
    if (result !== index) throw new Error(`workflow ${index} returned ${JSON.stringify(result)}, expected ${index}`);
  };

  for (let i = 0; i < workload.warmup; i++) await run();

  const workflowMs: number[] = [];
  timer.recording = true;
  for (let i = 0; i < workload.sequentialRuns; i++) {
    const started = performance.now();
    await run();
    workflowMs.push(performance.now() - started);
  }
  timer.recording = false;
  await hooks.afterSequential?.();

  await runConcurrently(workload.throughputWarmup, workload.inFlight, run);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await runConcurrently(workload.total, workload.inFlight, run);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const workflowsPerSecond = workload.total / seconds;

  return {
    sequential: { workflow: distribution(workflowMs), step: distribution(timer.samples) },
    throughput: {
      inFlight: workload.inFlight,
      total: workload.total,
      seconds,
      workflowsPerSecond,
      stepsPerSecond: workflowsPerSecond * STEP_NAMES.length,
      workerCpuMsPerWorkflow: (cpu.user + cpu.system) / 1000 / workload.total,
    },
  };
}

/** Calls `run` `count` times, with `inFlight` calls running at once. */
export async function runConcurrently(count: number, inFlight: number, run: () => Promise<unknown>): Promise<void> {
  let launched = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (launched < count) {
        launched++;
        await run();
      }
    }),
  );
}

// ── durable-playbooks: what it guarantees, which version ran ──────────────────────────────────

export const PLAYBOOKS_DURABILITY = {
  nats: 'NATS KV (JetStream file storage, 1 replica): written to the file at once, fsync by nats-server every 2 min (its default) — survives a crash of our process or of nats-server, not a power loss',
  file: 'file store: fsync of each checkpoint (file and directory) before the next step runs or the result returns',
  log: 'log store: each checkpoint appended to one log, fdatasync of the log (one for all the appends waiting: group commit) before the next step runs or the result returns',
} as const;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * durable-playbooks is measured as it ships: compiled by tsc into dist/ (the package's `main`),
 * as the peers' SDKs run their published JavaScript. Run through tsx instead, the engine pays for
 * tsx's transform (it keeps function names with a call per closure made): ~10% more CPU per
 * workflow in an A/B run. The orchestrator builds dist/ from the source before the rounds.
 */
export const PLAYBOOKS_BUILD = join(ROOT, 'dist', 'index.js');

/** Compiles the engine into dist/ (`npm run build`); throws with tsc's output when it fails. */
export function buildPlaybooks(): void {
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`the build of durable-playbooks (tsc -p tsconfig.build.json) failed: ${output.trim().split('\n').slice(0, 5).join(' | ') || describeError(error)}`);
  }
}
const SOURCE = ['index.ts', 'config.ts', 'errors.ts', 'logger.ts', 'actors', 'persistence', 'supervisor', 'messaging'];

/**
 * "durable-playbooks 0.1.0 (abc1234, source 1a2b3c4d)": the commit, and a hash of the engine's
 * source files as they are on disk — others edit this checkout, so the commit alone may not say
 * what ran, and a change between rounds shows as a different hash.
 */
export function playbooksVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout: the version and the hash
  }
  return `durable-playbooks ${pkg.version} (${commit ? `${commit}, ` : ''}source ${sourceHash()})`;
}

function sourceHash(): string {
  const hash = createHash('sha256');
  const add = (path: string) => {
    const full = join(ROOT, path);
    let entries: string[];
    try {
      entries = readdirSync(full).sort();
    } catch {
      if (path.endsWith('.ts')) {
        try {
          hash.update(path).update(readFileSync(full));
        } catch {
          // vanished while hashing: its absence is part of the hash
        }
      }
      return;
    }
    for (const entry of entries) add(join(path, entry));
  };
  for (const path of SOURCE) add(path);
  return hash.digest('hex').slice(0, 8);
}

// ── the peers' packages live in bench/peers/, outside the project's dependencies ──────────────

export const PEERS_DIR = fileURLToPath(new URL('../peers/', import.meta.url));

const peerRequire = createRequire(new URL('../peers/package.json', import.meta.url));

/** Path of a file inside a package installed in bench/peers/. */
export function peerPath(specifier: string): string {
  return peerRequire.resolve(specifier);
}

/** The version of a package installed in bench/peers/, or undefined. */
export function peerVersion(name: string): string | undefined {
  try {
    // Read the file itself: a package's "exports" may not expose its package.json.
    return (JSON.parse(readFileSync(join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** Imports a package installed in bench/peers/ (ESM entry when it has one). */
export async function importPeer<T>(specifier: string): Promise<T> {
  let resolved: string;
  try {
    // import.meta.resolve would resolve from this file; resolve from bench/peers/ instead,
    // preferring the package's "import" condition.
    resolved = resolveImport(specifier);
  } catch (error) {
    throw new Error(`${specifier} is not installed in bench/peers/`, { cause: error });
  }
  return (await import(pathToFileURL(resolved).href)) as T;
}

function resolveImport(specifier: string): string {
  const pkgName = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
  const subpath = `.${specifier.slice(pkgName.length)}`;
  const pkgJsonPath = join(PEERS_DIR, 'node_modules', pkgName, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgJsonPath, 'utf8')) as { exports?: unknown };
  const exportsField = pkg.exports as Record<string, unknown> | undefined;
  const entry = exportsField && typeof exportsField === 'object' ? exportsField[subpath === '.' ? '.' : subpath] : undefined;
  const pick = (value: unknown): string | undefined => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object') {
      const conditions = value as Record<string, unknown>;
      return pick(conditions.import) ?? pick(conditions.node) ?? pick(conditions.default) ?? pick(conditions.require);
    }
    return undefined;
  };
  const target = pick(entry);
  if (target) return fileURLToPath(new URL(target, pathToFileURL(pkgJsonPath)));
  return peerRequire.resolve(specifier);
}

// ── small helpers for the services the benchmark starts ───────────────────────────────────────

const pendingCleanups = new Set<() => Promise<unknown>>();

/**
 * Registers a cleanup (stop a server, remove a directory, drop a database) that also runs if
 * the run is interrupted (SIGINT/SIGTERM: see `runPendingCleanups`). Returns it wrapped to run
 * at most once, for the caller's own `finally`.
 */
export function deferCleanup(cleanup: () => Promise<unknown>): () => Promise<unknown> {
  let done: Promise<unknown> | undefined;
  const once = () => {
    pendingCleanups.delete(once);
    done ??= cleanup();
    return done;
  };
  pendingCleanups.add(once);
  return once;
}

/** Runs the cleanups still pending, newest first (on an interrupted run). */
export async function runPendingCleanups(): Promise<void> {
  for (const cleanup of [...pendingCleanups].reverse()) await cleanup().catch(() => undefined);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Thrown by a `waitUntil` check to stop waiting at once (the process it waits for has exited). */
export class GiveUp extends Error {}

/** Polls `check` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (error instanceof GiveUp) throw new Error(`${what}: ${error.message}`);
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not ready within ${timeoutMs / 1000} s${lastError ? ` (last error: ${describeError(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
