import type { RunningAgent } from '../actors/running-agent.js';
import {
  AgentStoppedError,
  CheckpointConflictError,
  CheckpointTooLargeError,
  CorruptCheckpointError,
  ensureError,
  HostClosedError,
  NonDeterminismError,
} from '../errors.js';
import type { ChildExit, ChildHandle, ChildSpec, RestartType } from './supervisor.js';

/**
 * How an agent's run ended, as its supervisor sees it. A failure that a restart would only
 * repeat (the code no longer matches the journal, a corrupt or oversized checkpoint) is a
 * quarantine, never restarted in a loop; so is a `TerminalError` (a failure that says "do not
 * retry"), without marking the agent quarantined. A stop, a closing host, or another host
 * taking the agent over (fenced) is a shutdown.
 */
export function exitOf(thrown: unknown): ChildExit {
  const error = ensureError(thrown);
  if (error instanceof AgentStoppedError || error instanceof HostClosedError || error instanceof CheckpointConflictError) {
    return { reason: 'shutdown' };
  }
  if (error instanceof NonDeterminismError || error instanceof CorruptCheckpointError || error instanceof CheckpointTooLargeError) {
    return { reason: 'quarantine', error };
  }
  // "Do not retry": a TerminalError that escapes the playbook ends the agent, no restart.
  if (error.name === 'TerminalError') return { reason: 'quarantine', error };
  return { reason: 'crash', error };
}

/** The supervisor's handle on one run of an agent: stopping it lets go of the agent (no state change). */
export function agentHandle(agent: RunningAgent): ChildHandle {
  return {
    exit: agent.result().then(
      (value): ChildExit => ({ reason: 'normal', value }),
      (error: unknown) => exitOf(error),
    ),
    stop: () => agent.detach(),
  };
}

export interface AgentChildOptions {
  agentId: string;
  restart: RestartType;
  /** The run already started (by spawn or recovery): the first start just hands it over. */
  firstRun: RunningAgent;
  /** Starts the agent again after `lastExit` (from its last good checkpoint). */
  restartAgent: (lastExit: ChildExit | undefined) => Promise<RunningAgent>;
}

/** A supervisor child that is an agent. */
export function agentChild(options: AgentChildOptions): ChildSpec {
  let first: RunningAgent | undefined = options.firstRun;
  let lastExit: ChildExit | undefined;
  const handleOf = (agent: RunningAgent): ChildHandle => {
    const handle = agentHandle(agent);
    void handle.exit.then((exit) => (lastExit = exit));
    return handle;
  };
  return {
    id: options.agentId,
    type: 'worker',
    restart: options.restart,
    start: async () => {
      const agent = first ?? (await options.restartAgent(lastExit));
      first = undefined;
      return handleOf(agent);
    },
    // The first run is already going (spawned or recovered): it is handed over at once.
    startNow: () => {
      if (!first) return undefined;
      const agent = first;
      first = undefined;
      return handleOf(agent);
    },
  };
}
