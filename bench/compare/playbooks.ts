/**
 * durable-playbooks, measured as it is: a host in this process, the 3-step playbook spawned as
 * agents, with the NATS KV store (against the nats-server the bench started), the file store or the
 * log store (fsync on, their default).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { pathToFileURL } from 'node:url';
import type { DurabilityConfig, Host } from 'durable-playbooks';
import { distribution } from '../stats.js';
import {
  drive,
  payload,
  PLAYBOOKS_BUILD,
  PLAYBOOKS_DURABILITY,
  playbooksVersion,
  StepTimer,
  unavailable,
  type SystemResult,
  type Workload,
} from './workload.js';

type Engine = typeof import('durable-playbooks');

const timer = new StepTimer();

/** The 3-step playbook, from the compiled package (see PLAYBOOKS_BUILD). */
function threeSteps({ playbook, step }: Engine) {
  const StepA = step('CompareStepA', async (i: number) => payload(i, 'A'));
  const StepB = step('CompareStepB', async (i: number) => payload(i, 'B'));
  const StepC = step('CompareStepC', async (i: number) => payload(i, 'C'));
  return playbook('CompareThreeSteps', async (i: number) => {
    await timer.time(() => StepA(i));
    await timer.time(() => StepB(i));
    return (await timer.time(() => StepC(i))).index;
  });
}

export { PLAYBOOKS_DURABILITY as DURABILITY } from './workload.js';

export interface PlaybooksTarget {
  store: 'nats' | 'file' | 'log';
  /** For the NATS store: the server the bench started (the floor uses the same one). */
  natsUrl?: string;
  natsVersion?: string;
}

export async function benchPlaybooks(target: PlaybooksTarget, workload: Workload): Promise<SystemResult> {
  const base = {
    id: `playbooks-${target.store}`,
    name: { nats: 'durable-playbooks · NATS KV', file: 'durable-playbooks · file (fsync)', log: 'durable-playbooks · log (fsync)' }[target.store],
    role: 'ours' as const,
    version: `${playbooksVersion()} compiled into dist/${target.natsVersion ? `, ${target.natsVersion}` : ''}`,
    durability: PLAYBOOKS_DURABILITY[target.store],
  };
  const dir = await mkdtemp(join(tmpdir(), 'playbooks-compare-'));
  let host: Host | undefined;
  try {
    const durability: Partial<DurabilityConfig> =
      target.store === 'nats' ? { storage: 'nats' } : { storage: target.store, storagePath: join(dir, 'checkpoints'), fsync: true };
    if (target.store === 'nats' && !target.natsUrl) throw new Error('no nats-server to run against');
    const engine = (await import(pathToFileURL(PLAYBOOKS_BUILD).href)) as Engine;
    const ThreeSteps = threeSteps(engine);
    host = await engine.createHost({
      durability,
      ...(target.store === 'nats' ? { nats: { servers: [target.natsUrl!], namespace: 'compare', bucket: 'compare-checkpoints' } } : {}),
      playbooks: [ThreeSteps],
      logger: pino({ level: 'warn' }),
    });

    let writes = 0;
    let bytes = 0;
    const checkpointMs: number[] = [];
    host.onEvent((event) => {
      if (event.type !== 'checkpointed' || !timer.recording) return;
      writes++;
      bytes += event.bytes;
      checkpointMs.push(event.durationMs);
    });

    const h = host;
    timer.samples.length = 0;
    const measured = await drive(
      async (i) => {
        const agent = await h.spawn(ThreeSteps, { id: `${target.store}-${i}`, input: i });
        return agent.result();
      },
      timer,
      workload,
    );
    return {
      ...base,
      status: 'ok',
      ...measured,
      details: {
        checkpointsPerWorkflow: writes / workload.sequentialRuns,
        meanCheckpointBytes: writes ? Math.round(bytes / writes) : 0,
        checkpointWrite: distribution(checkpointMs),
      },
    };
  } catch (error) {
    return unavailable(base, error);
  } finally {
    timer.recording = false;
    await host?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
