import type { AgentState } from '../../actors/agent-machine.js';
import type { AgentLifecycleEvent } from '../../actors/events.js';

/** One agent as the dashboard, the health API and heartbeats show it. */
export interface AgentSummary {
  agentId: string;
  /** The host running it (null if unknown). */
  host: string | null;
  playbook: string;
  state: AgentState;
  seq: number;
  /** Milliseconds since its last checkpoint was stored (null if none seen). */
  lastCheckpointAgeMs: number | null;
  /** Restarts by its supervisor. */
  restarts: number;
  lastError: { name: string; message: string; code?: string } | null;
  callStack: string[];
  quarantined: boolean;
  /** The supervisor it runs under (null if none). */
  supervisor: string | null;
}

export interface HostSummary {
  hostId: string;
  namespace: string;
  self: boolean;
  /** Milliseconds since its last heartbeat (0 for this host). */
  lastSeenMs: number;
  agents: number;
  nats: { connected: boolean; reason?: string } | null;
}

export interface Overview {
  hosts: HostSummary[];
  counts: Record<AgentState, number>;
  generatedAt: string;
}

export interface CheckpointLine {
  seq: number;
  savedAt?: string;
  status?: string;
  bytes: number;
  callStack?: string[];
  corrupt?: string;
}

export interface Readiness {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export type { AgentAction as ActionVerb, ActionReply } from '../agent-actions.js';
import type { AgentAction as ActionVerb, ActionReply } from '../agent-actions.js';

/** What the dashboard server needs from a host. */
export interface DashboardApp {
  overview(): Promise<Overview>;
  agents(): Promise<AgentSummary[]>;
  agent(agentId: string): Promise<{ agent: AgentSummary; checkpoints: CheckpointLine[] } | undefined>;
  supervisors(): unknown[];
  health(): { ok: boolean; reason?: string };
  readiness(): Promise<Readiness>;
  metrics(): string;
  act(agentId: string, verb: ActionVerb, body: unknown): Promise<ActionReply>;
  /** Lifecycle events, and `hosts` when the set of hosts changes. */
  subscribe(listener: (event: AgentLifecycleEvent | { type: 'hosts' }) => void): () => void;
}
