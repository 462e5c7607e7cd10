import { isoTime, type Clock } from '../actors/clock.js';
import type { AgentEventBody, AgentLifecycleEvent } from '../actors/events.js';
import { ensureError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AgentEventListener } from './host-options.js';

/** A host's lifecycle events: who listens (`host.onEvent`), and each event stamped and handed to them. */
export class AgentEvents {
  private readonly listeners = new Set<AgentEventListener>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Adds a listener; returns the function that removes it. */
  listen(listener: AgentEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands the event to every listener; a listener that throws is logged, and the others still hear it. */
  emit(agentId: string, playbook: string, body: AgentEventBody): void {
    if (this.listeners.size === 0) return;
    const event = { agentId, playbook, at: isoTime(this.clock.now()), ...body } as AgentLifecycleEvent;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: ensureError(error), event: event.type }, 'event listener threw');
      }
    }
  }
}
