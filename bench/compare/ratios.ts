/**
 * The figures of `npm run bench:peers` reduced: a system's rounds to their medians, and the
 * ratios printed (ours against the faster peer, the NATS store against the floor).
 */
import { ms } from '../stats.js';
import type { RoundFigures, SystemResult } from './workload.js';

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** One system's rounds → one result: the median of each figure, each round's kept. */
export function aggregate(rounds: SystemResult[]): SystemResult {
  const figures: RoundFigures[] = rounds.map((r, i) =>
    r.status === 'ok'
      ? {
          round: i + 1,
          status: 'ok',
          workflowP50: r.sequential!.workflow.p50,
          workflowP99: r.sequential!.workflow.p99,
          stepP50: r.sequential!.step.p50,
          stepP99: r.sequential!.step.p99,
          workflowsPerSecond: r.throughput!.workflowsPerSecond,
          ...(r.throughput!.workerCpuMsPerWorkflow === undefined ? {} : { workerCpuMsPerWorkflow: r.throughput!.workerCpuMsPerWorkflow }),
        }
      : { round: i + 1, status: 'unavailable', reason: r.reason },
  );
  const ok = rounds.filter((r) => r.status === 'ok');
  if (!ok.length) return { ...rounds[rounds.length - 1]!, rounds: figures };
  if (ok.length === 1 && rounds.length === 1) return { ...ok[0]!, rounds: figures };
  const med = (pick: (r: SystemResult) => number) => median(ok.map(pick));
  const first = ok[0]!;
  return {
    ...first,
    sequential: {
      workflow: { count: ok.reduce((n, r) => n + r.sequential!.workflow.count, 0), p50: med((r) => r.sequential!.workflow.p50), p99: med((r) => r.sequential!.workflow.p99) },
      step: { count: ok.reduce((n, r) => n + r.sequential!.step.count, 0), p50: med((r) => r.sequential!.step.p50), p99: med((r) => r.sequential!.step.p99) },
    },
    throughput: {
      ...first.throughput!,
      seconds: med((r) => r.throughput!.seconds),
      workflowsPerSecond: med((r) => r.throughput!.workflowsPerSecond),
      stepsPerSecond: med((r) => r.throughput!.stepsPerSecond),
      ...(ok.every((r) => r.throughput!.workerCpuMsPerWorkflow !== undefined)
        ? { workerCpuMsPerWorkflow: med((r) => r.throughput!.workerCpuMsPerWorkflow!) }
        : {}),
    },
    details: { ...first.details, ...medianDetails(ok, ['putsPerSecond', 'leanPutsPerSecond', 'leanCpuMsPerPut']) },
    rounds: figures,
  };
}

export function writesPerWorkflow(r: SystemResult): string {
  const d = r.details ?? {};
  if (typeof d.checkpointsPerWorkflow === 'number') return `${d.checkpointsPerWorkflow.toFixed(1)} checkpoints`;
  if (typeof d.transactionsPerWorkflow === 'number') return `${d.transactionsPerWorkflow.toFixed(1)} transactions`;
  if (typeof d.putsPerWorkflow === 'number') return `${d.putsPerWorkflow} puts`;
  return 'log appends, batched';
}

export interface Ratios {
  entries: { key: string; line: string }[];
  notes: string[];
  values: Record<string, number | string>;
}

export function computeRatios(results: SystemResult[]): Ratios {
  const ok = results.filter((r) => r.status === 'ok');
  const ours = ok.filter((r) => r.role === 'ours');
  const peers = ok.filter((r) => r.role === 'peer');
  const floor = ok.find((r) => r.role === 'floor');
  const entries: Ratios['entries'] = [];
  const notes: string[] = [];
  const values: Record<string, number | string> = {};
  const add = (key: string, value: number, line: string) => {
    values[key] = value;
    entries.push({ key, line });
  };
  if (!ours.length) notes.push('no durable-playbooks figures: no ratios');
  if (ours.length && !peers.length) notes.push('no peer ran: no ratios against the peers');

  if (ours.length && peers.length) {
    const fasterSeq = peers.reduce((a, b) => (b.sequential!.workflow.p50 < a.sequential!.workflow.p50 ? b : a));
    const fasterTp = peers.reduce((a, b) => (b.throughput!.workflowsPerSecond > a.throughput!.workflowsPerSecond ? b : a));
    values.fasterPeerSequential = fasterSeq.id;
    values.fasterPeerThroughput = fasterTp.id;
    notes.unshift(
      `the faster peer — sequential (workflow p50): ${fasterSeq.name}, ${ms(fasterSeq.sequential!.workflow.p50)} ms; throughput: ${fasterTp.name}, ${fasterTp.throughput!.workflowsPerSecond.toFixed(0)} workflows/s`,
    );
    for (const r of ours) {
      const seq = fasterSeq.sequential!.workflow.p50 / r.sequential!.workflow.p50;
      add(
        `${r.id}.sequentialVsFasterPeer`,
        seq,
        `${r.name} — sequential 3-step workflow, p50: ${ms(r.sequential!.workflow.p50)} vs ${ms(fasterSeq.sequential!.workflow.p50)} ms (${fasterSeq.name}) → ${times(seq)}`,
      );
      const tp = r.throughput!.workflowsPerSecond / fasterTp.throughput!.workflowsPerSecond;
      add(
        `${r.id}.throughputVsFasterPeer`,
        tp,
        `${r.name} — throughput, ${r.throughput!.inFlight} in flight: ${r.throughput!.workflowsPerSecond.toFixed(0)} vs ${fasterTp.throughput!.workflowsPerSecond.toFixed(0)} workflows/s (${fasterTp.name}) → ${tp.toFixed(2)}×`,
      );
    }
  }

  const nats = ok.find((r) => r.id === 'playbooks-nats');
  if (nats && floor) {
    const perWorkflow = (nats.details?.checkpointsPerWorkflow as number | undefined) ?? 5;
    const putsPerSecond = floor.details?.putsPerSecond as number;
    const checkpointsPerSecond = nats.throughput!.workflowsPerSecond * perWorkflow;
    add(
      'playbooks-nats.checkpointsPerSecondVsPuts',
      checkpointsPerSecond / putsPerSecond,
      `NATS KV store — checkpointed writes/s vs raw KV puts/s (${nats.throughput!.inFlight} in flight, same server): ${checkpointsPerSecond.toFixed(0)} / ${putsPerSecond.toFixed(0)} = ${(checkpointsPerSecond / putsPerSecond).toFixed(3)} (${perWorkflow.toFixed(0)} checkpoints per workflow; in steps/s: ${(nats.throughput!.stepsPerSecond / putsPerSecond).toFixed(3)})`,
    );
    const leanPutsPerSecond = floor.details?.leanPutsPerSecond as number | undefined;
    if (leanPutsPerSecond) {
      add(
        'playbooks-nats.checkpointsPerSecondVsLeanPuts',
        checkpointsPerSecond / leanPutsPerSecond,
        `NATS KV store — checkpointed writes/s vs the server's put rate through the leanest client path (the floor's puts as our store sends them, no engine): ${checkpointsPerSecond.toFixed(0)} / ${leanPutsPerSecond.toFixed(0)} = ${(checkpointsPerSecond / leanPutsPerSecond).toFixed(3)} (in steps/s: ${(nats.throughput!.stepsPerSecond / leanPutsPerSecond).toFixed(3)})`,
      );
    }
    add(
      'playbooks-nats.workflowVsFloor',
      nats.sequential!.workflow.p50 / floor.sequential!.workflow.p50,
      `NATS KV store — workflow p50 vs ${String(floor.details?.putsPerWorkflow ?? 5)} sequential raw puts p50: ${ms(nats.sequential!.workflow.p50)} / ${ms(floor.sequential!.workflow.p50)} ms = ${(nats.sequential!.workflow.p50 / floor.sequential!.workflow.p50).toFixed(2)}×`,
    );
  } else if (ours.length && !floor) notes.push('floor not measured: no ratio against raw KV puts');
  return { entries, notes, values };
}

/** The median over the rounds of each numeric detail named (those every round has). */
function medianDetails(rounds: SystemResult[], keys: string[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const key of keys) {
    const values = rounds.map((r) => r.details?.[key]);
    if (values.every((v): v is number => typeof v === 'number')) result[key] = median(values);
  }
  return result;
}

function times(ratio: number): string {
  return ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`;
}
