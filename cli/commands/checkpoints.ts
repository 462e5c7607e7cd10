import type { CheckpointManager, CheckpointSummary } from '../../persistence/checkpoint-manager.js';
import { stringOption, type Command, type CommandContext } from '../command.js';
import { CliError, ExitCode } from '../errors.js';
import { checkAgentId, positiveInteger } from '../json-args.js';
import { bytes, paintState } from '../output.js';

export const checkpoints: Command = {
  name: 'checkpoints',
  summary: "an agent's checkpoint history, or one checkpoint in full",
  description: [
    'Reads the configured checkpoint store directly (no host needed): [durability] storage, the file store in .playbooks/checkpoints by default, or the NATS KV bucket with storage = "nats" (or while "playbooks dev" runs its private nats-server here).',
    'Without --show: one line per kept checkpoint (seq, saved at, status, size, call stack); corrupt ones are marked with the reason. With --show SEQ: that checkpoint readably: its envelope, the journal as a call tree (positions as in idempotency keys; open calls nested; pending waits with their deadlines), the inbox, and the result or error. --json prints the summaries, or the record as stored.',
  ],
  args: [{ name: 'agent', description: 'agent id' }],
  options: { show: { type: 'string', value: 'SEQ', description: 'show checkpoint number SEQ in full' } },
  exitCodes: [
    [0, 'printed'],
    [1, 'the agent has no checkpoints, checkpoint SEQ is not kept, or it is corrupt'],
    [2, 'usage error (bad agent id, SEQ not a whole number)'],
    [3, 'cannot reach NATS (NATS store), or the configuration is invalid'],
  ],
  examples: ['playbooks checkpoints order-7', 'playbooks checkpoints order-7 --show 4', 'playbooks checkpoints order-7 --show 4 --json | jq .snapshot.context.journal'],
  async run(context) {
    const agentId = checkAgentId(context.args[0]!);
    const showText = stringOption(context, 'show');
    const show = showText === undefined ? undefined : positiveInteger(showText, '--show');
    const [{ describeStore, loadSettings }, { openStore }, { CheckpointManager }] = await Promise.all([
      import('../config.js'),
      import('../store.js'),
      import('../../persistence/checkpoint-manager.js'),
    ]);
    const settings = loadSettings(context.common, context.cwd, { useDevServer: true });
    const where = describeStore(settings, context.cwd);
    await using opened = await openStore(settings);
    const manager = new CheckpointManager(opened.store);
    const history = await manager.listCheckpoints(agentId);
    if (history.length === 0) {
      const known = (await manager.listAgents()).sort();
      const hint = known.length ? `agents in this store: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}` : 'the store is empty: check --config, [durability] storage and storage_path';
      throw new CliError('AGENT_NOT_FOUND', `no checkpoints of agent "${agentId}" in the ${where}`, ExitCode.Failed, hint);
    }
    if (show !== undefined) return await showOne(context, manager, agentId, show, history);
    if (context.out.json) context.out.data({ ok: true, agentId, store: where, checkpoints: history });
    else printHistory(context, agentId, where, history);
    return ExitCode.Ok;
  },
};

function printHistory(context: CommandContext, agentId: string, where: string, history: CheckpointSummary[]): void {
  const { out } = context;
  out.line(`agent ${out.style.bold(agentId)}: ${history.length} checkpoint${history.length === 1 ? '' : 's'} kept ${out.style.dim(`(${where})`)}`);
  const rows = history.map((c) =>
    c.corrupt
      ? [String(c.seq), '', 'CORRUPT', bytes(c.bytes), c.corrupt]
      : [String(c.seq), c.savedAt ?? '', c.status ?? '', bytes(c.bytes), (c.callStack ?? []).join(' › ')],
  );
  out.table(['SEQ', 'SAVED AT', 'STATUS', 'SIZE', 'CALL STACK'], rows, (column, cell) =>
    column === 2 ? (cell === 'CORRUPT' ? out.style.red(cell) : paintState(out.style, cell)) : cell,
  );
  out.line(out.style.dim(`show one: playbooks checkpoints ${agentId} --show <SEQ>`));
}

async function showOne(context: CommandContext, manager: CheckpointManager, agentId: string, seq: number, history: CheckpointSummary[]): Promise<number> {
  const summary = history.find((c) => c.seq === seq);
  if (!summary) {
    throw new CliError('CHECKPOINT_NOT_KEPT', `checkpoint ${seq} of agent "${agentId}" is not kept`, ExitCode.Failed, `kept: ${history.map((c) => c.seq).join(', ')}`);
  }
  if (summary.corrupt) {
    throw new CliError('CORRUPT_CHECKPOINT', `checkpoint ${seq} of agent "${agentId}" is corrupt: ${summary.corrupt}`, ExitCode.Failed, 'an agent resumes from an earlier one: "playbooks checkpoints" lists them');
  }
  const record = await manager.loadCheckpoint(agentId, seq);
  if (!record) throw new CliError('CHECKPOINT_NOT_KEPT', `checkpoint ${seq} of agent "${agentId}" was just deleted (pruned)`, ExitCode.Failed);
  const { printRecord } = await import('../record-view.js');
  if (context.out.json) context.out.data(record);
  else printRecord(context.out, record, summary.bytes);
  return ExitCode.Ok;
}
