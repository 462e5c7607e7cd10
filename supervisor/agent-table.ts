import type { AgentStatus, RunningAgent } from '../actors/running-agent.js';
import { serializeError } from '../actors/serialize.js';
import type { PlaybooksError } from '../errors.js';
import { AgentRef, type AgentDirectory } from './agent-ref.js';

/** Finished agents whose status and outcome a host keeps in memory. */
const FINISHED_KEPT = 10_000;
/** Quarantined agents a host keeps in memory (older ones are still in the store, and reported from it). */
const QUARANTINED_KEPT = 10_000;

/**
 * The agents a host holds in memory: those it runs (or whose run ended while their supervisor
 * restarts them), those quarantined, and the most recent finished ones — with one `AgentRef`
 * per agent, which outlives its runs.
 */
export class AgentTable {
  /** Each agent's current run, from spawn or recovery until it finishes or is parked. */
  readonly running = new Map<string, RunningAgent>();
  /** Agents whose checkpoint cannot be used, or that failed for good: reported, not run. Most recent last. */
  readonly quarantined = new Map<string, { playbook: string; error: PlaybooksError }>();
  /** Spawn inputs, to start a permanent agent afresh after it completes (and without durability). */
  readonly inputs = new Map<string, unknown>();
  /** Agents that finished, most recent last: their status and outcome, without their runtime. */
  private readonly finished = new Map<string, { status: AgentStatus; outcome: Promise<unknown> }>();
  private readonly refs = new Map<string, AgentRef>();

  constructor(private readonly directory: AgentDirectory) {}

  /** Whether the agent is in memory: running, quarantined or recently finished. */
  has(agentId: string): boolean {
    return this.running.has(agentId) || this.quarantined.has(agentId) || this.finished.has(agentId);
  }

  ids(): string[] {
    return [...new Set([...this.finished.keys(), ...this.running.keys(), ...this.quarantined.keys()])];
  }

  /** A run that has not halted (a halted one may be about to be restarted by its supervisor). */
  live(agentId: string): RunningAgent | undefined {
    const runtime = this.running.get(agentId);
    return runtime && !runtime.isHalted ? runtime : undefined;
  }

  /** A finished agent with no run in memory. */
  finishedOf(agentId: string): { status: AgentStatus; outcome: Promise<unknown> } | undefined {
    return this.running.has(agentId) ? undefined : this.finished.get(agentId);
  }

  /**
   * A finished agent leaves memory: its runtime goes, its status and outcome stay among the
   * last `FINISHED_KEPT` finished agents (older ones are read from the store). Returns the
   * agent that fell out of that record, if one did and nothing else holds it.
   */
  retire(agentId: string, status: AgentStatus, outcome: Promise<unknown>): string | undefined {
    this.finished.delete(agentId);
    this.finished.set(agentId, { status, outcome });
    this.running.delete(agentId);
    this.inputs.delete(agentId);
    if (this.finished.size <= FINISHED_KEPT) return undefined;
    const oldest = this.finished.keys().next().value!;
    this.finished.delete(oldest);
    return this.forgetIfUnheld(oldest);
  }

  /**
   * Records an agent as quarantined, among the last `QUARANTINED_KEPT` of them: a host that
   * meets corrupt checkpoints or failing code for hours does not grow without bound. Returns
   * the agent that fell out of that record, if one did and nothing else holds it.
   */
  quarantine(agentId: string, playbook: string, error: PlaybooksError): string | undefined {
    this.quarantined.delete(agentId);
    this.quarantined.set(agentId, { playbook, error });
    if (this.quarantined.size <= QUARANTINED_KEPT) return undefined;
    const oldest = this.quarantined.keys().next().value!;
    this.quarantined.delete(oldest);
    return this.forgetIfUnheld(oldest);
  }

  /** An agent no longer recorded in memory: its handle goes too, unless it runs or is recorded otherwise. */
  private forgetIfUnheld(agentId: string): string | undefined {
    if (this.running.has(agentId) || this.quarantined.has(agentId) || this.finished.has(agentId)) return undefined;
    // A handle names the agent; a new one is made if it is asked for again.
    this.refs.delete(agentId);
    return agentId;
  }

  /** A parked agent leaves memory entirely: its state is in its checkpoints. */
  release(agentId: string): void {
    this.running.delete(agentId);
    this.refs.delete(agentId);
    this.inputs.delete(agentId);
  }

  /** Waiting agents, and for how long (ms) they have waited. */
  waiting(now: number): { agentId: string; waitingMs: number }[] {
    const idle: { agentId: string; waitingMs: number }[] = [];
    for (const [agentId, runtime] of this.running) {
      const since = runtime.idleSince();
      if (since !== undefined) idle.push({ agentId, waitingMs: now - since });
    }
    return idle;
  }

  refFor(agentId: string): AgentRef {
    let ref = this.refs.get(agentId);
    if (!ref) {
      ref = new AgentRef(agentId, this.directory);
      this.refs.set(agentId, ref);
    }
    return ref;
  }

  /** The status of an agent known only as quarantined (its run is gone). */
  quarantinedStatus(agentId: string): AgentStatus | undefined {
    const quarantined = this.quarantined.get(agentId);
    if (!quarantined) return undefined;
    return {
      agentId,
      state: 'failed',
      seq: 0,
      playbook: quarantined.playbook,
      callStack: [],
      error: serializeError(quarantined.error),
      quarantined: true,
    };
  }
}
