import { ensureError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CheckpointManager } from '../persistence/checkpoint-manager.js';
import type { NatsMessaging } from './nats-messaging.js';
import { isRestartableFailure } from '../supervisor/restart-point.js';

/**
 * Messages for agents that run on no host of this process. If no host can ever run the
 * agent (it does not exist, or it has finished), they are rejected with an event and
 * dropped; otherwise they wait in the stream for the agent.
 */
export class StrayMessages {
  private readonly checking = new Set<string>();

  constructor(
    private readonly messaging: NatsMessaging,
    private readonly checkpoints: CheckpointManager | undefined,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  async handle(agentId: string): Promise<void> {
    if (this.checking.has(agentId)) return;
    this.checking.add(agentId);
    try {
      const latest = await this.checkpoints?.getLatestCheckpoint(agentId).catch(() => undefined);
      if (latest && latest.status !== 'completed' && latest.status !== 'failed') return;
      if (latest && isRestartableFailure(latest)) return; // its supervisor (or a recovery) restarts it
      const reason = latest ? `agent "${agentId}" is ${latest.status} and takes no more messages` : `no agent "${agentId}"`;
      this.logger.warn({ agentId, reason }, 'message rejected');
      this.messaging.publishEvent({
        type: 'message.rejected',
        agentId,
        playbook: latest?.playbook ?? '',
        at: new Date(this.now()).toISOString(),
        messageType: '',
        reason,
      });
      await this.messaging.purgeInbox(agentId);
    } catch (error) {
      this.logger.warn({ agentId, err: ensureError(error) }, 'could not reject stray messages');
    } finally {
      this.checking.delete(agentId);
    }
  }
}
