import type { AnyStateMachine } from 'xstate';
import { AgentRuntime, type AgentRuntimeOptions } from '../actors/agent-runtime.js';
import type { PlaybookDefinition } from '../actors/definitions.js';
import { isStateMachine, MachineAgentRuntime, type MachineRuntimeOptions } from '../actors/machine-runtime.js';
import { definitionOf, isPlaybook, type Playbook } from '../actors/playbook.js';
import type { RunningAgent } from '../actors/running-agent.js';
import { UnknownPlaybookError, ValidationError } from '../errors.js';
import type { CheckpointRecord, PersistedAgentSnapshot, PersistedMachineSnapshot } from '../persistence/envelope.js';
import type { Clock } from '../actors/clock.js';
import type { ActGate } from '../actors/act-gate.js';
import type { AgentEventBody } from '../actors/events.js';
import type { Logger } from '../logger.js';
import type { NatsMessaging } from '../messaging/nats-messaging.js';
import type { CheckpointStore } from '../persistence/checkpoint-store.js';
import { CheckpointWriter, type CheckpointPosition } from '../persistence/checkpoint-writer.js';

/** What an agent can run: a playbook, or a plain XState machine. */
export type AgentBlueprint =
  | { kind: 'playbook'; name: string; version: string | undefined; definition: PlaybookDefinition }
  | { kind: 'machine'; name: string; version: undefined; machine: AnyStateMachine };

/** Something a host can spawn: a playbook, an XState machine, or the name of a registered one. */
export type Spawnable = Playbook<never, unknown> | AnyStateMachine | string;

/** The playbooks and machines a host knows by name (so it can recover their agents). */
export class AgentRegistry {
  private readonly blueprints = new Map<string, AgentBlueprint>();

  register(item: Playbook<never, unknown> | AnyStateMachine): AgentBlueprint {
    const blueprint = blueprintOf(item);
    const known = this.blueprints.get(blueprint.name);
    if (known && !sameBlueprint(known, blueprint)) {
      throw new ValidationError(`two different playbooks or machines are named "${blueprint.name}"; names must be unique in a host`);
    }
    if (!known) this.blueprints.set(blueprint.name, blueprint);
    return known ?? blueprint;
  }

  resolve(target: Spawnable): AgentBlueprint {
    return typeof target === 'string' ? this.byName(target) : this.register(target);
  }

  byName(name: string): AgentBlueprint {
    const blueprint = this.blueprints.get(name);
    if (!blueprint) throw new UnknownPlaybookError(name);
    return blueprint;
  }

  has(name: string): boolean {
    return this.blueprints.has(name);
  }
}

/** How one run of an agent starts: afresh from an input, or from a stored snapshot. */
export interface RunStart {
  input?: unknown;
  snapshot?: CheckpointRecord['snapshot'];
  /** The agent's newest stored checkpoint, which the run's first write must follow. */
  after: CheckpointPosition;
  resumeStopped?: boolean | undefined;
  inboxCursor?: number | undefined;
  supervision?: CheckpointRecord['supervision'];
}

/** What every run of every agent of a host shares. */
export interface RunContext {
  hostId: string;
  store: CheckpointStore | undefined;
  messaging: NatsMessaging | undefined;
  clock: Clock;
  logger: Logger;
  sendToAgent: AgentRuntimeOptions['sendToAgent'];
  emit: (agentId: string, playbook: string, event: AgentEventBody) => void;
  /** The host's lease, when it needs one (several hosts share the store). */
  gate?: ActGate | undefined;
  /** The store's `keep_last_n`. */
  keepLastN: number;
}

/** Creates the runtime that runs `blueprint` as agent `agentId`, with its checkpoint writer and inbox. */
export function createRun(context: RunContext, agentId: string, blueprint: AgentBlueprint, start: RunStart): RunningAgent {
  const writer =
    context.store &&
    new CheckpointWriter({
      store: context.store,
      agentId,
      kind: blueprint.kind,
      playbook: blueprint,
      owner: context.hostId,
      now: () => context.clock.now(),
      after: start.after,
      ...(start.supervision ? { supervision: start.supervision } : {}),
    });
  // A literal of a fixed shape, extended below: spreading it into a new object for every agent
  // spawned showed in the hot path's CPU profile.
  const common = {
    agentId,
    input: start.input,
    resumeStopped: start.resumeStopped === true,
    writer,
    inbox: context.messaging?.channelFor(agentId),
    inboxCursor: start.inboxCursor,
    clock: context.clock,
    logger: context.logger.child({ agentId, playbook: blueprint.name }),
    emit: (event: AgentEventBody) => context.emit(agentId, blueprint.name, event),
    gate: context.gate,
    keepLastN: context.keepLastN,
  };
  if (blueprint.kind === 'machine') {
    const options: MachineRuntimeOptions = Object.assign(common, { machine: blueprint.machine });
    if (start.snapshot) options.snapshot = start.snapshot as PersistedMachineSnapshot;
    return new MachineAgentRuntime(options);
  }
  const options: AgentRuntimeOptions = Object.assign(common, { sendToAgent: context.sendToAgent, definition: blueprint.definition });
  if (start.snapshot) options.snapshot = start.snapshot as PersistedAgentSnapshot;
  return new AgentRuntime(options);
}

function blueprintOf(item: Playbook<never, unknown> | AnyStateMachine): AgentBlueprint {
  if (isPlaybook(item)) {
    const definition = definitionOf(item);
    return { kind: 'playbook', name: definition.name, version: definition.version, definition };
  }
  if (isStateMachine(item)) {
    if (!item.id || item.id === '(machine)') {
      throw new ValidationError('a machine run as an agent needs an id: createMachine({ id: "…", … })');
    }
    return { kind: 'machine', name: item.id, version: undefined, machine: item };
  }
  throw new ValidationError('expected a playbook created with playbook(name, fn) or an XState machine');
}

function sameBlueprint(a: AgentBlueprint, b: AgentBlueprint): boolean {
  return a.kind === 'playbook' && b.kind === 'playbook' ? a.definition === b.definition : a.kind === 'machine' && b.kind === 'machine' && a.machine === b.machine;
}
