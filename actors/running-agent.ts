import type { AgentState } from './agent-machine.js';
import type { SerializedError } from './serialize.js';

/** What `AgentRef.status()` reports. */
export interface AgentStatus {
  agentId: string;
  state: AgentState;
  /** Number of the last checkpoint written (0 when durability is off). */
  seq: number;
  /** The playbook's name, or the machine's id for a machine agent. */
  playbook: string;
  /** Open playbook frames, outermost first (for a machine agent: its id and state). */
  callStack: string[];
  error?: SerializedError;
  /** Set while the agent cannot store its next checkpoint: why it is held up. */
  blockedOn?: string;
  /** Its checkpoint could not be used, or replay did not match: it waits for `recover(id, { fromSeq })`. */
  quarantined?: true;
  /** Restarts by its supervisor. */
  restarts?: number;
  /** The supervisor it runs under. */
  supervisor?: string;
  /** Let go of from memory while it waits; its next message or timer brings it back. */
  evicted?: true;
}

/** @internal An agent as its host drives it: a playbook run or a plain XState machine. */
export interface RunningAgent {
  readonly agentId: string;
  /** The playbook's name or the machine's id. */
  readonly name: string;
  readonly isHalted: boolean;
  readonly state: AgentState;
  /** A new object on each call: the host adds what it knows (restarts, supervisor) to it. */
  status(): AgentStatus;
  result(): Promise<unknown>;
  /** Writes a checkpoint of the current state now; a conflict or store error reaches the caller. */
  persistNew(recorded?: string): Promise<void>;
  /** Starts (or resumes) the agent's work. */
  run(): void;
  deliver(type: string, payload: unknown, msgId?: string): Promise<void>;
  wakeInbox(): void;
  stop(): Promise<void>;
  detach(): Promise<void>;
  /** Lets steps in flight finish (up to `graceMs`), then detaches. */
  drain(graceMs: number): Promise<void>;
  /** After the host's lease lapsed: stops this copy if another host wrote a newer checkpoint. */
  verifyOwnership(): Promise<void>;
  /** Epoch ms since when the agent has been idle (waiting), or undefined while it works. */
  idleSince(): number | undefined;
  /** Epoch ms of the earliest timer it waits for (a sleep, a receive timeout), if any. */
  nextWakeAt(): number | undefined;
}
