import type { AgentLifecycleEvent } from '../index.js';
import { when, type Output } from './output.js';

/*
 * `playbooks run` progress: one line per checkpoint as it is stored, plus retries, waits and
 * rejected messages of the agent being run. Completion and failure are printed by the command.
 */

export class RunProgress {
  /** Number of the last checkpoint stored, to say where an interrupted run stopped. */
  lastSeq = 0;
  /** Set while the command itself resumes the agent: its "restarted" event is not news. */
  private expectingRestart = false;

  constructor(
    private readonly out: Output,
    private readonly agentId: string,
    /** With NATS, a waiting agent can be sent a message from another terminal. */
    private readonly canSend: boolean,
  ) {}

  expectRestart(): void {
    this.expectingRestart = true;
  }

  readonly onEvent = (event: AgentLifecycleEvent): void => {
    if (event.agentId !== this.agentId) return;
    const { out } = this;
    const { dim, green, yellow, red } = out.style;
    switch (event.type) {
      case 'checkpointed': {
        this.lastSeq = Math.max(this.lastSeq, event.seq);
        const extra = out.verbose ? dim(` ${event.bytes} B, ${event.durationMs.toFixed(1)} ms`) : '';
        out.line(`  ${green('✔')} checkpoint ${event.seq} ${dim(`(${event.state})`)}: ${event.recorded.join(', ') || 'state'}${extra}`);
        break;
      }
      case 'step.retrying':
        out.line(`  ${yellow('↻')} step ${event.step} attempt ${event.attempt} failed: ${event.error.message}; retrying in ${event.delayMs} ms`);
        break;
      case 'waiting':
        if (event.for === 'sleep') {
          out.line(`  ${dim('…')} sleeping${event.until === undefined ? '' : ` until ${when(event.until)}`}`);
        } else {
          const timeout = event.until === undefined ? '' : `, times out ${when(event.until)}`;
          out.line(`  ${dim('…')} waiting for message "${event.name}"${timeout}`);
          if (this.canSend) out.line(dim(`    send it from another terminal: playbooks send ${this.agentId} ${event.name} '<payload JSON>'`));
        }
        break;
      case 'message.rejected':
        out.line(`  ${red('✘')} message "${event.messageType}" rejected: ${event.reason}`);
        break;
      case 'restarted':
        if (this.expectingRestart) this.expectingRestart = false;
        else out.line(`  ${yellow('↺')} restarted from checkpoint ${event.seq} at ${event.resumeAt}`);
        break;
      case 'fenced':
        out.line(`  ${red('✘')} fenced: ${event.error.message}`);
        break;
      default:
        // spawned, completed, failed, stopped: the command reports the outcome itself.
        break;
    }
  };
}
