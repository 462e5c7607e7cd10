/**
 * `npm run bench:peers`: durable-playbooks against the durable-execution engines people would
 * otherwise pick — Restate and DBOS Transact — and against the floor (raw NATS KV puts): the
 * same workload on the same machine, in one run. Installs the peers into bench/peers/ when
 * missing. Prints a table and the ratios, writes bench/results/peers.json and renders
 * bench/peers-chart.png.
 *
 * Each system runs in a fresh process of its own (worker.ts), one after the other, never two
 * at once. A full run does 5 rounds (~14 minutes), the order of the systems rotated each
 * round, and reports the median of the rounds' figures: this 2-core machine is noisy, one round
 * alone can flip a ratio.
 *   QUICK=1 npm run bench:peers              — fewer iterations, 1 round: a smoke run
 *   ONLY=restate,dbos npm run bench:peers    — some systems only: playbooks (= nats,file,log),
 *                                              nats, file, log, restate, dbos, floor
 *   ROUNDS=3 npm run bench:peers             — another number of rounds (default 5; QUICK: 1)
 *   THROUGHPUT_WARMUP=0 npm run bench:peers  — another number of unmeasured workflows before the
 *                                              throughput phase (default 2,000; QUICK: 0)
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The private nats-server helper straight from its module: the orchestrator does not load the
// engine, so the peers still run when the engine's source does not build.
import { findNatsServer, startPrivateNatsServer } from '../../messaging/private-nats-server.js';
import { ms, printTable } from '../stats.js';
import { renderChart } from './chart.js';
import { aggregate, computeRatios, median, writesPerWorkflow } from './ratios.js';
import { ensurePeers, type InstallOutcome } from './peers-install.js';
import { children, loads, runWorker } from './run-worker.js';
import { DURABILITY, NAMES, ORDER, parseOnly, ROLES, type SystemId } from './systems.js';
import {
  buildPlaybooks,
  deferCleanup,
  describeError,
  FULL,
  playbooksVersion,
  QUICK,
  runPendingCleanups,
  STEP_NAMES,
  type RoundFigures,
  type SystemResult,
  type Workload,
} from './workload.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const CHART_PATH = fileURLToPath(new URL('../peers-chart.png', import.meta.url));

/** What makes the comparison unfair or uncertain: printed, in the JSON and in the README. */
const CAVEATS = [
  'Durability differs: the NATS KV store does not fsync per write (nats-server fsyncs every 2 min by default); Restate, DBOS and the file and log stores fsync before a step is acknowledged. For equal durability compare the file and log stores (fsync) with Restate and DBOS.',
  'Process hops differ: durable-playbooks and DBOS run the workflow in the calling process; every Restate workflow is an HTTP request to its ingress, which drives the handler in the SDK endpoint over HTTP/2 — how Restate is deployed, but two loopback hops per workflow that the others do not pay.',
  'One 2-core machine: the servers (nats-server, restate-server, PostgreSQL) compete for the same 2 cores as the process driving the load; at 200 in flight every system is CPU-bound.',
  'Defaults everywhere: Restate as started here (1 node, 24 partitions), DBOS with its default pool of 10 connections, PostgreSQL as Debian configures it (the machine\'s shared instance, not tuned), nats-server with JetStream defaults. Nothing was tuned; other settings would move every figure.',
  'Steps do no work: each returns ~100 bytes at once, so the figures are the engines\' own cost per durable step — a real step (an LLM call, an HTTP request) takes far longer and dwarfs all of them.',
];

let interrupted = false;

async function main(): Promise<number> {
  const quick = process.env.QUICK === '1';
  const workload: Workload = { ...(quick ? QUICK : FULL) };
  if (process.env.THROUGHPUT_WARMUP !== undefined) workload.throughputWarmup = Math.max(0, Number(process.env.THROUGHPUT_WARMUP) || 0);
  const rounds = Math.max(1, Number(process.env.ROUNDS ?? (quick ? 1 : 5)) || 1);
  const selected = parseOnly(process.env.ONLY);
  const startedAt = new Date();
  const jobTimeoutMs = (quick ? 3 : 6) * 60_000;

  console.log(`durable-playbooks vs Restate and DBOS — node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? '?'})${quick ? ' (QUICK)' : ''}`);
  console.log(
    `workload: a workflow of ${STEP_NAMES.length} sequential steps, each returning ~100-byte JSON; sequential: ${workload.sequentialRuns} runs after ${workload.warmup} warm-up; throughput: ${workload.total.toLocaleString('en-US')} workflows, ${workload.inFlight} in flight, after ${workload.throughputWarmup.toLocaleString('en-US')} warm-up`,
  );
  console.log(`systems: ${ORDER.filter((id) => selected.has(id)).join(', ')}; ${rounds} round${rounds > 1 ? 's, order rotated each round, medians reported' : ''}\n`);

  // ── install the peers that are wanted and missing ─────────────────────────────────────────
  const peerIds = ORDER.filter((id) => selected.has(id) && ROLES[id] === 'peer');
  let installs = new Map<string, InstallOutcome>();
  if (peerIds.length) {
    try {
      installs = await ensurePeers(peerIds, (line) => console.log(line));
    } catch (error) {
      for (const id of peerIds) installs.set(id, { ok: false, reason: `install: ${describeError(error)}` });
    }
    for (const id of peerIds) {
      const outcome = installs.get(id);
      if (outcome?.ok) console.log(`${NAMES[id]}: ${outcome.installedNow ? 'installed now' : 'already installed'} in bench/peers/`);
      else shout(`${NAMES[id]}: install FAILED — ${outcome && !outcome.ok ? outcome.reason : '?'}`);
    }
    console.log('');
  }

  // Ours runs as it ships, compiled (see PLAYBOOKS_BUILD): built once, from the source as it is now.
  let buildFailure: string | undefined;
  if (selected.has('playbooks-nats') || selected.has('playbooks-file') || selected.has('playbooks-log')) {
    try {
      buildPlaybooks();
      console.log('durable-playbooks: compiled into dist/ (npm run build)\n');
    } catch (error) {
      buildFailure = describeError(error);
      shout(`durable-playbooks: ${buildFailure}`);
    }
  }

  // ── the rounds ────────────────────────────────────────────────────────────────────────────
  const natsVersion = natsServerVersion();
  const perRound: Map<SystemId, SystemResult>[] = [];
  let floorSize: { valueBytes: number; putsPerWorkflow: number; measured: boolean } | undefined;
  type Unit = 'nats' | 'file' | 'log' | 'restate' | 'dbos';
  const units: Unit[] = [];
  if (selected.has('playbooks-nats') || selected.has('kv-floor')) units.push('nats');
  if (selected.has('playbooks-file')) units.push('file');
  if (selected.has('playbooks-log')) units.push('log');
  if (selected.has('restate')) units.push('restate');
  if (selected.has('dbos')) units.push('dbos');

  for (let round = 1; round <= rounds && !interrupted; round++) {
    const results = new Map<SystemId, SystemResult>();
    perRound.push(results);
    const shift = (round - 1) % Math.max(1, units.length);
    const order = [...units.slice(shift), ...units.slice(0, shift)];
    if (rounds > 1) console.log(`round ${round}/${rounds}: ${order.join(' → ')}`);
    const record = (result: SystemResult) => {
      results.set(result.id as SystemId, result);
      if (result.status === 'ok') {
        const s = result.sequential!;
        console.log(
          `  ${result.name}: workflow p50 ${ms(s.workflow.p50)} ms (p99 ${ms(s.workflow.p99)}), step p50 ${ms(s.step.p50)} ms, ${result.throughput!.workflowsPerSecond.toFixed(0)} workflows/s`,
        );
      } else if (!interrupted) shout(`${result.name} UNAVAILABLE (round ${round}): ${result.reason}`, result.details?.serverLogTail as string | undefined);
    };
    const notRun = (id: SystemId, reason: string) =>
      record({ id, name: NAMES[id], role: ROLES[id], status: 'unavailable', reason, version: '', durability: DURABILITY[id] });

    for (const unit of order) {
      if (interrupted) break;
      if (unit === 'nats') {
        // One private nats-server per round, for our NATS store and the floor alike.
        const dir = await mkdtemp(join(tmpdir(), 'compare-nats-'));
        const removeDir = deferCleanup(() => rm(dir, { recursive: true, force: true }));
        let stopServer: (() => Promise<unknown>) | undefined;
        try {
          if (!findNatsServer()) throw new Error("nats-server is not installed (Debian's nats-server package, or NATS_SERVER_BIN)");
          const server = await startPrivateNatsServer({ dir });
          stopServer = deferCleanup(() => server.stop({ removeStore: true }));
          if (selected.has('playbooks-nats') && buildFailure) notRun('playbooks-nats', buildFailure);
          else if (selected.has('playbooks-nats')) {
            const result = await runWorker({ system: 'playbooks-nats', workload, natsUrl: server.url, natsVersion }, jobTimeoutMs);
            record(result);
            const bytes = result.details?.meanCheckpointBytes;
            const perWorkflow = result.details?.checkpointsPerWorkflow;
            if (typeof bytes === 'number' && typeof perWorkflow === 'number' && !floorSize?.measured) {
              floorSize = { valueBytes: bytes, putsPerWorkflow: Math.round(perWorkflow), measured: true };
            }
          }
          if (selected.has('kv-floor') && !interrupted) {
            const size = floorSize ?? { valueBytes: 700, putsPerWorkflow: 5, measured: false };
            const result = await runWorker({ system: 'kv-floor', workload, natsUrl: server.url, natsVersion, valueBytes: size.valueBytes, putsPerWorkflow: size.putsPerWorkflow }, jobTimeoutMs);
            if (!size.measured) result.details = { ...result.details, note: 'value size and puts per workflow not measured (NATS store not run): 700 bytes, 5 puts' };
            record(result);
          }
        } catch (error) {
          for (const id of ['playbooks-nats', 'kv-floor'] as const) {
            if (selected.has(id) && !results.has(id)) notRun(id, `nats-server: ${describeError(error)}`);
          }
        } finally {
          await stopServer?.();
          await removeDir();
        }
      } else if (unit === 'file' || unit === 'log') {
        const id = unit === 'file' ? 'playbooks-file' : 'playbooks-log';
        if (buildFailure) notRun(id, buildFailure);
        else record(await runWorker({ system: id, workload }, jobTimeoutMs));
      } else {
        const install = installs.get(unit);
        if (install && !install.ok) notRun(unit, `install: ${install.reason}`);
        else record(await runWorker({ system: unit, workload }, jobTimeoutMs));
      }
    }
  }

  if (interrupted) {
    console.error('\ninterrupted: no figures, no JSON, no chart');
    return 130;
  }

  // ── medians of the rounds ─────────────────────────────────────────────────────────────────
  const ordered = ORDER.filter((id) => perRound.some((r) => r.has(id))).map((id) =>
    aggregate(perRound.map((r) => r.get(id)).filter((r): r is SystemResult => r !== undefined)),
  );
  const roundsDone = perRound.length;

  const floorRan = ordered.some((r) => r.role === 'floor' && r.status === 'ok');
  console.log(
    `\nresults — ${quick ? 'QUICK run' : 'full run'}${roundsDone > 1 ? `, median of ${roundsDone} rounds [min–max]` : ''}; latencies in ms${floorRan ? `; floor: a "workflow" is ${floorSize?.putsPerWorkflow ?? 5} sequential puts of ${floorSize?.valueBytes ?? 700} bytes, a "step" one put` : ''}`,
  );
  const spread = (r: SystemResult, pick: (f: RoundFigures) => number | undefined, format: (v: number) => string) => {
    const values = (r.rounds ?? []).map(pick).filter((v): v is number => v !== undefined);
    return values.length > 1 ? ` [${format(Math.min(...values))}–${format(Math.max(...values))}]` : '';
  };
  const perSecond = (v: number) => v.toFixed(0);
  printTable(
    ['system', 'workflow p50', 'workflow p99', 'step p50', 'step p99', `workflows/s (${workload.inFlight} in flight)`, 'steps/s', 'worker CPU ms/workflow', 'durable writes/workflow'],
    ordered.map((r) =>
      r.status === 'ok'
        ? [
            r.name,
            ms(r.sequential!.workflow.p50) + spread(r, (f) => f.workflowP50, ms),
            ms(r.sequential!.workflow.p99),
            ms(r.sequential!.step.p50),
            ms(r.sequential!.step.p99),
            perSecond(r.throughput!.workflowsPerSecond) + spread(r, (f) => f.workflowsPerSecond, perSecond),
            r.role === 'floor' ? `${r.throughput!.stepsPerSecond.toFixed(0)} puts/s` : r.throughput!.stepsPerSecond.toFixed(0),
            r.throughput!.workerCpuMsPerWorkflow === undefined ? '' : r.throughput!.workerCpuMsPerWorkflow.toFixed(3),
            writesPerWorkflow(r),
          ]
        : [r.name, 'unavailable', '', '', '', '', '', '', ''],
    ),
  );

  // ── the ratios ────────────────────────────────────────────────────────────────────────────
  const ratios = computeRatios(ordered);
  const roundRatios = perRound.map((r) => computeRatios(ORDER.filter((id) => r.has(id)).map((id) => r.get(id)!)).values);
  console.log(`\nratios (same run${roundsDone > 1 ? "; from the medians above, then each round's own, against that round's faster peer" : ''}):`);
  for (const line of ratios.notes.filter((l) => l.startsWith('the faster peer'))) console.log(`  ${line}`);
  const roundRatioSummary: Record<string, { rounds: number[]; median: number; agree: boolean }> = {};
  for (const entry of ratios.entries) {
    const each = roundRatios.map((v) => v[entry.key]).filter((v): v is number => typeof v === 'number');
    let suffix = '';
    if (roundsDone > 1 && each.length > 1) {
      const agree = !entry.key.endsWith('VsPuts') && !entry.key.endsWith('VsFloor') ? Math.min(...each) > 1 || Math.max(...each) < 1 : true;
      roundRatioSummary[entry.key] = { rounds: each, median: median(each), agree };
      suffix = `   [rounds: ${each.map((v) => v.toFixed(2)).join(', ')}; median ${median(each).toFixed(2)}${agree ? '' : ' — the rounds disagree on which is faster: within the noise'}]`;
    }
    console.log(`  ${entry.line}${suffix}`);
  }
  for (const line of ratios.notes.filter((l) => !l.startsWith('the faster peer'))) console.log(`  ${line}`);

  // ── durability and fairness ───────────────────────────────────────────────────────────────
  console.log('\ndurability — what an acknowledged step has survived when the call returns:');
  for (const r of ordered) console.log(`  ${r.name}: ${r.durability}`);
  const caveats = [...CAVEATS];
  const playbooksVersions = new Set(
    perRound.flatMap((r) => [...r.values()].filter((x) => x.role === 'ours' && x.status === 'ok').map((x) => x.version.replace(/, nats-server.*$/, ''))),
  );
  if (playbooksVersions.size > 1) {
    const drift = `durable-playbooks changed on disk during the run (others edit this checkout): ${[...playbooksVersions].join(' / ')} — its rounds did not all measure the same code.`;
    caveats.push(drift);
    shout(drift);
  }
  if (loads.length) {
    caveats.push(
      `Other work on the machine: the 1-minute load average was ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} as the systems started, on ${availableParallelism()} CPUs (this run's own previous system counts in it too). Rounds with a rotated order and medians soften the noise; they do not remove it.`,
    );
  }
  console.log('\nwhat makes the comparison unfair or uncertain:');
  for (const caveat of caveats) console.log(`  - ${caveat}`);
  console.log('\nversions:');
  for (const r of ordered) console.log(`  ${r.name}: ${r.version || '?'}`);
  const tree = workingTreeState();
  if (tree) console.log(`  (durable-playbooks working tree: ${tree})`);

  const failed = ordered.filter((r) => r.status !== 'ok' || r.rounds?.some((f) => f.status !== 'ok'));
  if (failed.length) {
    console.log('');
    for (const r of failed) {
      const reasons = [...new Set((r.rounds ?? []).filter((f) => f.status !== 'ok').map((f) => f.reason))].join('; ') || r.reason;
      shout(`${r.name} ${r.status === 'ok' ? 'FAILED IN SOME ROUNDS' : 'UNAVAILABLE'}: ${reasons}`);
    }
  }

  // ── JSON and chart ────────────────────────────────────────────────────────────────────────
  await mkdir(RESULTS_DIR, { recursive: true });
  // Only a full run of every system replaces the README's chart; others go to bench/results/.
  const complete = !quick && ORDER.every((id) => selected.has(id));
  const chartPath = complete ? CHART_PATH : join(RESULTS_DIR, 'peers-chart.png');
  const chartName = complete ? 'bench/peers-chart.png' : 'bench/results/peers-chart.png (not a full run of every system: the README\'s chart is left as it is)';
  const footnotes = [
    'Durability: Restate, DBOS and the file and log stores fsync before a step is acknowledged; the NATS KV store and the floor do not (nats-server fsyncs every 2 min by default).',
    'Restate is invoked over HTTP through its ingress (2 loopback hops per workflow); the others run the workflow in the calling process. Defaults everywhere, nothing tuned.',
    `One machine: ${availableParallelism()} CPUs, node ${process.version}, ${startedAt.toISOString().slice(0, 10)}; ${roundsDone > 1 ? `median of ${roundsDone} rounds` : '1 round'}${quick ? ' — QUICK run (fewer iterations)' : ''}. Method and caveats: bench/compare/README.md.`,
  ];
  let chart: string;
  try {
    const svg = await renderChart(
      ordered,
      {
        title: 'durable-playbooks vs Restate and DBOS — a 3-step workflow',
        subtitle: `${STEP_NAMES.length} sequential steps, each returning ~100-byte JSON · same machine, same run · ${workload.sequentialRuns} sequential runs, ${workload.total.toLocaleString('en-US')} workflows with ${workload.inFlight} in flight`,
        workload,
        footnotes,
      },
      chartPath,
    );
    await writeFile(join(RESULTS_DIR, 'peers-chart.svg'), svg);
    chart = chartName;
    console.log(`\nchart: ${chartName}`);
  } catch (error) {
    chart = `not rendered: ${describeError(error)}`;
    shout(`the chart was not rendered: ${describeError(error)}`);
  }
  await writeFile(
    join(RESULTS_DIR, 'peers.json'),
    `${JSON.stringify(
      {
        at: startedAt.toISOString(),
        node: process.version,
        cpus: availableParallelism(),
        quick,
        workload,
        rounds: roundsDone,
        systems: [...selected],
        results: ordered,
        ratios: ratios.values,
        roundRatios,
        roundRatioSummary,
        caveats,
        install: Object.fromEntries(installs),
        playbooks: { versionAtEnd: playbooksVersion(), versionsMeasured: [...playbooksVersions], workingTree: tree },
        chart,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`written to bench/results/peers.json`);

  const oursFailed = ordered.some((r) => r.role === 'ours' && r.status !== 'ok');
  return interrupted ? 130 : oursFailed ? 1 : 0;
}

function natsServerVersion(): string {
  const binary = findNatsServer();
  if (!binary) return 'nats-server (not installed)';
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim().replace(/^nats-server:\s*/, 'nats-server ');
  } catch {
    return 'nats-server (version unknown)';
  }
}

/** "clean", or how many tracked files differ from HEAD (others may be editing the checkout). */
function workingTreeState(): string | undefined {
  try {
    const out = execFileSync('git', ['--no-optional-locks', 'status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const changed = out.split('\n').filter(Boolean).length;
    return changed ? `${changed} tracked files modified since that commit — measured as it was on disk` : 'clean';
  } catch {
    return undefined;
  }
}

function shout(message: string, detail?: string): void {
  const bar = '!'.repeat(Math.min(100, Math.max(40, message.length + 4)));
  console.error(`\n${bar}\n! ${message}\n${bar}`);
  if (detail) console.error(detail.split('\n').map((l) => `    ${l}`).join('\n'));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the workers and cleaning up what this run started …`);
    for (const child of children) child.kill('SIGTERM');
    void (async () => {
      const deadline = Date.now() + 30_000;
      while (children.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await runPendingCleanups();
      process.exit(130);
    })();
  });
}

main().then(
  async (code) => {
    await runPendingCleanups();
    process.exit(code);
  },
  async (error: unknown) => {
    shout(`the benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await runPendingCleanups();
    process.exit(1);
  },
);
