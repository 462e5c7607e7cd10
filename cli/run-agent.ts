import { createHash } from 'node:crypto';
import type { AgentRef, CheckpointRecord, Host, Playbook } from '../index.js';
import { stringOption, type CommandContext } from './command.js';
import { describeStore, loadSettings, usesNats } from './config.js';
import { CliError, ExitCode } from './errors.js';
import { openHost, type CliHost } from './host-setup.js';
import { checkAgentId, parseJsonArgument } from './json-args.js';
import { hostLogger } from './log.js';
import { loadModule, pickPlaybook } from './modules.js';
import { RunProgress } from './run-progress.js';
import { watchInterruption } from './signals.js';

/*
 * `playbooks run`: spawns the module's playbook as an agent, or resumes it from its last
 * checkpoint, or reports how it finished; prints progress as it goes; drains on Ctrl-C.
 */

export async function runAgent(context: CommandContext): Promise<number> {
  const { out } = context;
  const input = parseJsonArgument(stringOption(context, 'input'), '--input');
  const specifier = context.args[0]!;
  const settings = loadSettings(context.common, context.cwd);
  const module = await loadModule(specifier, context.cwd);
  const playbook = pickPlaybook(module, stringOption(context, 'playbook'), specifier);
  const explicitId = stringOption(context, 'id');
  const agentId = explicitId === undefined ? defaultAgentId(module.path, playbook.name, input) : checkAgentId(explicitId, '--id');

  const store = describeStore(settings, context.cwd);
  const interruption = watchInterruption();
  let cli: CliHost | undefined;
  try {
    cli = await openHost(settings, {
      playbooks: [...module.playbooks.values()],
      machines: [...module.machines.values()],
      logger: hostLogger(out, 'silent'),
      dashboard: { enabled: false },
    });
    const progress = new RunProgress(out, agentId, usesNats(settings));
    cli.host.onEvent(progress.onEvent);
    const started = await startOrResume(context, cli.host, playbook, agentId, input, progress, store);
    if ('finished' in started) return await reportFinished(context, cli, started.finished);
    const outcome = await Promise.race([
      started.agent.result().then(
        (value) => ({ kind: 'completed' as const, value }),
        (error: unknown) => ({ kind: 'failed' as const, error: error as Error & { code?: string } }),
      ),
      interruption.signal.then(() => ({ kind: 'interrupted' as const })),
    ]);
    if (outcome.kind === 'interrupted') return await interrupted(context, cli, agentId, progress);
    const seq = started.agent.status().seq;
    await cli.close();
    if (outcome.kind === 'failed') throw agentFailure(agentId, seq, outcome.error);
    report(context, { agentId, playbook: playbook.name, seq, resumed: started.resumed, result: outcome.value });
    return ExitCode.Ok;
  } finally {
    interruption.dispose();
    await cli?.close();
  }
}

type Started = { agent: AgentRef; resumed: boolean } | { finished: CheckpointRecord };

/** Spawns the agent, resumes it from its last checkpoint, or finds it finished. */
async function startOrResume(
  context: CommandContext,
  host: Host,
  playbook: Playbook<never, unknown>,
  agentId: string,
  input: unknown,
  progress: RunProgress,
  store: string,
): Promise<Started> {
  const { out } = context;
  const latest = await host.checkpoints?.getLatestCheckpoint(agentId);
  if (!latest) {
    out.line(`${out.style.cyan('▶')} starting ${out.style.bold(agentId)} (playbook ${playbook.name}; ${store})`);
    return { agent: await host.spawn(playbook as Playbook<unknown, unknown>, { id: agentId, input, restart: 'temporary' }), resumed: false };
  }
  if (latest.playbook !== playbook.name) {
    throw new CliError('AGENT_EXISTS', `agent "${agentId}" runs playbook "${latest.playbook}", not "${playbook.name}"`, ExitCode.Failed, 'choose another --id');
  }
  if (latest.status === 'completed' || latest.status === 'failed') return { finished: latest };
  const info = await host.recovery!.getRecoveryInfo(agentId);
  out.line(`${out.style.yellow('↺')} resuming ${out.style.bold(agentId)} from checkpoint ${info.seq} at ${info.resumeAt}`);
  progress.lastSeq = info.seq;
  progress.expectRestart();
  return { agent: await host.recovery!.recover(agentId), resumed: true };
}

/** An agent that finished in an earlier run: its stored result (exit 0) or its failure (exit 1). */
async function reportFinished(context: CommandContext, cli: CliHost, record: CheckpointRecord): Promise<number> {
  await cli.close();
  if (record.status === 'failed') {
    throw agentFailure(record.agentId, record.seq, record.error ?? { name: 'Error', message: 'failed (no error recorded)' }, 'in an earlier run');
  }
  const result = record.kind === 'machine' ? record.snapshot.output : record.snapshot.context.result;
  context.out.line(`${context.out.style.green('✔')} ${record.agentId} already completed in an earlier run (checkpoint ${record.seq}, ${record.savedAt}); its stored result:`);
  report(context, { agentId: record.agentId, playbook: record.playbook, seq: record.seq, resumed: false, alreadyCompleted: true, result }, false);
  return ExitCode.Ok;
}

function report(context: CommandContext, fields: { agentId: string; playbook: string; seq: number; resumed: boolean; result: unknown; alreadyCompleted?: boolean }, announce = true): void {
  const { out } = context;
  if (out.json) {
    out.data({ ok: true, state: 'completed', ...fields });
    return;
  }
  if (announce) out.line(`${out.style.green('✔')} ${fields.agentId} completed at checkpoint ${fields.seq}; result:`);
  out.line(JSON.stringify(fields.result, null, 2) ?? 'undefined');
}

/** Ctrl-C: drain (steps in flight finish and are checkpointed) and say how to resume. */
async function interrupted(context: CommandContext, cli: CliHost, agentId: string, progress: RunProgress): Promise<number> {
  const { out } = context;
  out.line(`${out.style.yellow('⏸')} interrupted: letting the steps in flight finish and be checkpointed (Ctrl-C again to stop at once)…`);
  await cli.drain();
  const again = ['playbooks', ...context.argv.map(shellQuote)].join(' ');
  if (out.json) {
    out.data({ ok: false, error: { code: 'INTERRUPTED', message: `interrupted at checkpoint ${progress.lastSeq}` }, agentId, seq: progress.lastSeq, resume: again });
  } else {
    out.line(`stopped ${agentId} at checkpoint ${progress.lastSeq}. To resume it, run the same command again:`);
    out.line(`  ${again}`);
  }
  return ExitCode.Interrupted;
}

function agentFailure(agentId: string, seq: number, error: { name?: string; message: string; code?: string | undefined }, when = ''): CliError {
  const stopped = error.code === 'AGENT_STOPPED';
  const message = stopped ? `agent ${agentId} was stopped` : `agent ${agentId} failed${when ? ` ${when}` : ''}: ${error.name ?? 'Error'}${error.code ? ` [${error.code}]` : ''}: ${error.message}`;
  const hint = stopped
    ? 'run the same command again to resume it'
    : `see its checkpoints with "playbooks checkpoints ${agentId}"; pass another --id to start afresh`;
  // A stable code for scripts; the agent's own error (with its code) is in the details.
  const agentError = { name: error.name ?? 'Error', message: error.message, ...(error.code ? { code: error.code } : {}) };
  return new CliError(stopped ? 'AGENT_STOPPED' : 'AGENT_FAILED', message, ExitCode.Failed, hint, { agentId, state: stopped ? 'stopped' : 'failed', seq, agentError });
}

/** Same module, playbook and input → same id, so a re-run finds the agent it started. */
export function defaultAgentId(modulePath: string, playbookName: string, input: unknown): string {
  const hash = createHash('sha256')
    .update(`${modulePath}\n${playbookName}\n${input === undefined ? '' : JSON.stringify(input)}`)
    .digest('hex')
    .slice(0, 10);
  return `${playbookName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 117)}-${hash}`;
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
