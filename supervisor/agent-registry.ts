import type { AnyStateMachine } from 'xstate';
import { AgentRuntime, type AgentRuntimeOptions } from '../actors/agent-runtime.js';
import type { PlaybookDefinition } from '../actors/definitions.js';
import { isStateMachine, MachineAgentRuntime } from '../actors/machine-runtime.js';
import { definitionOf, isPlaybook, type Playbook } from '../actors/playbook.js';
import type { RunningAgent } from '../actors/running-agent.js';
import { UnknownPlaybookError, ValidationError } from '../errors.js';
import type { PersistedAgentSnapshot, PersistedMachineSnapshot } from '../persistence/envelope.js';

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

type CommonOptions = Omit<AgentRuntimeOptions, 'definition' | 'snapshot'>;

/** Creates the runtime that runs `blueprint` as an agent. */
export function createRunningAgent(
  blueprint: AgentBlueprint,
  options: CommonOptions & { snapshot?: PersistedAgentSnapshot | PersistedMachineSnapshot | undefined },
): RunningAgent {
  const { snapshot, ...common } = options;
  if (blueprint.kind === 'machine') {
    return new MachineAgentRuntime({
      ...common,
      machine: blueprint.machine,
      ...(snapshot ? { snapshot: snapshot as PersistedMachineSnapshot } : {}),
    });
  }
  return new AgentRuntime({
    ...common,
    definition: blueprint.definition,
    ...(snapshot ? { snapshot: snapshot as PersistedAgentSnapshot } : {}),
  });
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
