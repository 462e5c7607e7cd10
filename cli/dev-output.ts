import type { AgentLifecycleEvent, RecoveryReport } from '../index.js';
import { preview, type Output } from './output.js';

/* What `playbooks dev` prints: what it chose once it is ready, then the agents' lifecycle. */

export interface DevSummary {
  namespace: string;
  store: string;
  /** Undefined: no NATS. */
  nats: { url: string; private: boolean; dir?: string } | undefined;
  natsServerInstalled: boolean;
  /** Undefined: the dashboard is disabled. */
  dashboard: string | undefined;
  playbooks: string[];
  machines: string[];
  recovery: RecoveryReport | undefined;
}

export function printReady(out: Output, summary: DevSummary): void {
  const recovery = summary.recovery && {
    resumed: summary.recovery.resumed.map((agent) => agent.id),
    quarantined: summary.recovery.quarantined.map((q) => ({ agentId: q.agentId, reason: q.error.message })),
    skipped: summary.recovery.skipped,
  };
  if (out.json) {
    out.data({ ok: true, event: 'ready', ...summary, recovery });
    return;
  }
  const { bold, dim, green, yellow } = out.style;
  const nats = summary.nats
    ? summary.nats.private
      ? `${summary.nats.url} (private nats-server with JetStream, data in ${summary.nats.dir}; stopped on exit)`
      : summary.nats.url
    : `no NATS ${dim(summary.natsServerInstalled ? '' : '(nats-server is not installed: no control API; install it for spawn/send/status…)')}`.trimEnd();
  const rows: [string, string][] = [
    ['namespace', summary.namespace],
    ['store', summary.store],
    ['NATS', nats],
    ['dashboard', summary.dashboard ?? dim('disabled ([dashboard] enabled = false)')],
    ['playbooks', summary.playbooks.join(', ') || yellow('none: pass --module <file> to register some')],
  ];
  if (summary.machines.length) rows.push(['machines', summary.machines.join(', ')]);
  if (recovery && (recovery.resumed.length || recovery.quarantined.length || recovery.skipped.length)) {
    rows.push(['recovered', `${recovery.resumed.length} resumed, ${recovery.quarantined.length} quarantined, ${recovery.skipped.length} skipped`]);
  }
  out.line(bold('playbooks dev'));
  for (const [label, value] of rows) out.line(`  ${dim(`${label}:`.padEnd(11))}${value}`);
  for (const q of recovery?.quarantined ?? []) out.line(`  ${yellow('quarantined')} ${q.agentId}: ${q.reason}`);
  for (const s of recovery?.skipped ?? []) out.line(`  ${dim('skipped')} ${s.agentId}: ${s.reason}`);
  out.line(`${green('ready')} ${dim('(Ctrl-C to stop)')}`);
}

/** Agents coming and going; every checkpoint too with --verbose. With --json: NDJSON events. */
export function printDevEvent(out: Output, event: AgentLifecycleEvent): void {
  if (out.json) {
    if (event.type !== 'checkpointed' || out.verbose) out.data({ event: 'agent', ...event });
    return;
  }
  const { dim, green, red, yellow, cyan } = out.style;
  const who = `${event.agentId} ${dim(`(${event.playbook})`)}`;
  const time = dim(event.at.slice(11, 19));
  switch (event.type) {
    case 'spawned':
      return out.line(`${time} ${cyan('▶')} ${who} spawned`);
    case 'restarted':
      return out.line(`${time} ${yellow('↺')} ${who} resumed from checkpoint ${event.seq} at ${event.resumeAt}`);
    case 'completed':
      return out.line(`${time} ${green('✔')} ${who} completed → ${preview(event.result)}`);
    case 'failed':
      return out.line(`${time} ${red('✘')} ${who} failed: ${event.error.name}${event.error.code ? ` [${event.error.code}]` : ''}: ${event.error.message}`);
    case 'waiting':
      return out.line(`${time} ${dim('…')} ${who} waiting ${event.for === 'receive' ? `for message "${event.name}"` : 'in sleep'}${event.until === undefined ? '' : dim(` until ${new Date(event.until).toISOString()}`)}`);
    case 'stopped':
      return out.line(`${time} ${dim('■')} ${who} stopped`);
    case 'fenced':
      return out.line(`${time} ${red('✘')} ${who} fenced: ${event.error.message}`);
    case 'supervisor.escalated':
      return out.line(`${time} ${red('✘')} supervisor ${event.supervisor} escalated: ${event.reason}`);
    case 'checkpointed':
      if (out.verbose) out.line(`${time} ${dim('·')} ${who} checkpoint ${event.seq} (${event.state}): ${event.recorded.join(', ')}`);
      return;
    default:
      return;
  }
}
