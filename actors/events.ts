import type { AgentState } from './agent-machine.js';
import type { SerializedError } from './serialize.js';

/** Lifecycle events of agents, as a host emits them (and, with NATS, publishes them). */
export type AgentLifecycleEvent = { agentId: string; playbook: string; at: string } & (
  | { type: 'spawned' }
  /** The agent runs again from a checkpoint (a host recovered, resumed or forked it). */
  | { type: 'restarted'; seq: number; resumeAt: string }
  | {
      type: 'checkpointed';
      seq: number;
      state: AgentState;
      bytes: number;
      durationMs: number;
      /** What this checkpoint recorded, e.g. ["step FetchData"], ["call Process"]. */
      recorded: string[];
    }
  | { type: 'waiting'; for: 'sleep' | 'receive'; name: string; until?: number }
  | { type: 'step.retrying'; step: string; attempt: number; delayMs: number; error: SerializedError }
  | { type: 'message.rejected'; messageType: string; reason: string }
  | { type: 'completed'; result: unknown }
  | { type: 'failed'; error: SerializedError }
  | { type: 'stopped' }
  /** Another copy of the agent wrote a newer checkpoint; this one stopped acting. */
  | { type: 'fenced'; error: SerializedError }
  /** The agent's supervisor restarts it after `delayMs` (its `restarts`-th restart). */
  | { type: 'supervisor.restarting'; supervisor: string; restarts: number; delayMs: number }
  /** A supervisor exceeded its restart intensity (`agentId` is the supervisor's id). */
  | { type: 'supervisor.escalated'; supervisor: string; reason: string }
);

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as the runtime raises it; the host adds agent id, playbook and time. */
export type AgentEventBody = DistributiveOmit<AgentLifecycleEvent, 'agentId' | 'playbook' | 'at'>;
