import type { CheckpointRecord, Frame, JournalEntry } from '../index.js';
import { recordCallStack, stateValueText } from '../persistence/record-views.js';
import { paintState, preview, when, type Output } from './output.js';

/*
 * One checkpoint, readably: the envelope, then the journal as the call tree it is (positions
 * are those of idempotency keys, e.g. 1.0), the inbox, and the result or error.
 */

export function printRecord(out: Output, record: CheckpointRecord, bytes: number): void {
  const { bold, dim } = out.style;
  out.line(`${bold(`checkpoint ${record.seq}`)} of agent ${bold(record.agentId)}  ${paintState(out.style, record.status)}`);
  const fields: [string, string | undefined][] = [
    ['playbook', `${record.playbook}${record.playbookVersion ? ` (version ${record.playbookVersion})` : ''}${record.kind === 'machine' ? ' (XState machine)' : ''}`],
    ['saved at', when(Date.parse(record.savedAt))],
    ['size', `${bytes} bytes`],
    ['owner', record.owner],
    ['supervision', record.supervision && `${record.supervision.supervisor}, restart ${record.supervision.restart}`],
    ['inbox cursor', record.inboxCursor === undefined ? undefined : String(record.inboxCursor)],
    ['call stack', recordCallStack(record).join(' › ') || undefined],
    ['format', String(record.format)],
  ];
  for (const [label, value] of fields) if (value !== undefined) out.line(`  ${dim(`${label}:`.padEnd(14))}${value}`);

  if (record.kind === 'machine') {
    out.line();
    out.line(`${bold('machine state')}: ${stateValueText(record.snapshot.value)} ${dim(`(${record.snapshot.status})`)}`);
    out.line(`${bold('context')}: ${preview(record.snapshot.context, 400)}`);
    if (record.snapshot.output !== undefined) out.line(`${bold('output')}: ${preview(record.snapshot.output, 400)}`);
  } else {
    const { context } = record.snapshot;
    out.line();
    out.line(`${bold('input')}: ${preview(context.input, 400)}`);
    out.line(`${bold('journal')}${context.run ? dim(` (run ${context.run + 1}, after continueAsNew)`) : ''}:`);
    const lines = journalLines(out, context.journal, []);
    for (const line of lines.length ? lines : [dim('  (empty: at its first durable call)')]) out.line(line);
    out.line(`${bold('inbox')}: ${context.inbox.length === 0 ? dim('empty') : `${context.inbox.length} message${context.inbox.length === 1 ? '' : 's'}`}`);
    for (const message of context.inbox) {
      out.line(`  ${message.type} ${preview(message.payload, 200)} ${dim(`(id ${message.id}${message.msgId ? `, msg-id ${message.msgId}` : ''}, sent ${when(message.sentAt)})`)}`);
    }
    if (record.status === 'completed') out.line(`${bold('result')}: ${JSON.stringify(context.result, null, 2) ?? 'undefined'}`);
  }
  const error = record.error ?? (record.kind === 'machine' ? undefined : record.snapshot.context.error);
  if (error) out.line(`${out.style.red(bold('error'))}: ${error.name}${error.code ? ` [${error.code}]` : ''}: ${error.message}`);
}

/** The call tree: an open call's frame is nested under it, with its own positions. */
function journalLines(out: Output, frame: Frame, path: number[]): string[] {
  const positions = Object.keys(frame.entries)
    .map(Number)
    .sort((a, b) => a - b);
  const lines: string[] = [];
  const indent = '  '.repeat(path.length + 1);
  for (const position of positions) {
    const entry = frame.entries[position]!;
    const where = [...path, position].join('.');
    lines.push(`${indent}${out.style.dim(where.padEnd(4))} ${entryText(out, entry)}`);
    if (entry.frame) lines.push(...journalLines(out, entry.frame, [...path, position]));
  }
  return lines;
}

function entryText(out: Output, entry: JournalEntry): string {
  const { red, yellow, dim, green } = out.style;
  const label = entry.name === entry.kind ? entry.kind : `${entry.kind} ${entry.kind === 'receive' ? `"${entry.name}"` : entry.name}`;
  if (entry.error) return `${label} ${red('✘')} ${entry.error.name}${entry.error.code ? ` [${entry.error.code}]` : ''}: ${entry.error.message}`;
  if (entry.frame) return `${label} ${yellow('(open)')}`;
  if (!entry.done) {
    const until = entry.until === undefined ? '' : `, ${entry.kind === 'receive' ? 'times out' : 'until'} ${when(entry.until)}`;
    return `${label} ${yellow(`waiting${until}`)}`;
  }
  if (entry.timedOut) return `${label} ${yellow('timed out')}`;
  if (entry.kind === 'sleep') return `${label} ${green('✔')} ${dim(entry.until === undefined ? '' : `woke at ${new Date(entry.until).toISOString()}`)}`.trimEnd();
  return `${label} ${green('→')} ${preview(entry.value)}`;
}
