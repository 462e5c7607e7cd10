import type { AgentStatus } from '../actors/running-agent.js';

/** @internal What an `AgentRef` needs from its host. */
export interface AgentDirectory {
  sendTo(agentId: string, type: string, payload: unknown): Promise<void>;
  resultOf(agentId: string): Promise<unknown>;
  statusOf(agentId: string): AgentStatus;
  stopAgent(agentId: string): Promise<void>;
}

/**
 * A handle on an agent run by a host. It names the agent, not one run of it: after a restart
 * or a recovery in the same host, the same handle reaches the new run.
 */
export class AgentRef<Output = unknown> {
  constructor(
    readonly id: string,
    private readonly directory: AgentDirectory,
  ) {}

  /** Puts a message in the agent's inbox; resolves once it is stored durably. */
  send(type: string, payload?: unknown): Promise<void> {
    return this.directory.sendTo(this.id, type, payload);
  }

  /** The playbook's return value; rejects with the agent's error if it failed or was stopped. */
  result(): Promise<Output> {
    return this.directory.resultOf(this.id) as Promise<Output>;
  }

  status(): AgentStatus {
    return this.directory.statusOf(this.id);
  }

  /** Stops the agent for good, with a final checkpoint in state "stopped". */
  stop(): Promise<void> {
    return this.directory.stopAgent(this.id);
  }
}
