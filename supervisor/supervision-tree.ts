import type { Clock } from '../actors/clock.js';
import type { SupervisorConfig } from '../config.js';
import { ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  Supervisor,
  type BackoffOptions,
  type ChildSpec,
  type RestartType,
  type SupervisorEvent,
  type SupervisorOptions,
  type SupervisorStrategy,
  type SupervisorTree,
} from './supervisor.js';

/** Options of a supervisor made with `host.supervisor(id, options)`. */
export interface SupervisorSpec {
  /** Default: the host's `[supervisor] strategy`. */
  strategy?: SupervisorStrategy;
  /** Default: the host's `[supervisor] max_restarts`. */
  maxRestarts?: number;
  /** Default: the host's `[supervisor] period_seconds`. */
  periodSeconds?: number;
  backoff?: BackoffOptions;
  /** The supervisor this one runs under. Default "root". */
  parent?: string;
  /** How the parent restarts this supervisor when it escalates. Default "permanent". */
  restart?: RestartType;
}

/** A supervisor of the tree, with the specs of its children: a restarted supervisor starts them again. */
interface Node {
  options: SupervisorOptions;
  specs: Map<string, ChildSpec>;
  instance: Supervisor;
}

export const ROOT_SUPERVISOR = 'root';

/**
 * A host's supervision tree: the root supervisor (configured by `[supervisor]`), supervisors
 * nested under it, and agents as their children.
 */
export class SupervisionTree {
  private readonly nodes = new Map<string, Node>();
  private readonly parentOf = new Map<string, string>();
  private readonly supervisorOfAgent = new Map<string, string>();

  constructor(
    private readonly config: SupervisorConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onEvent: (event: SupervisorEvent) => void,
    private readonly onRootEscalated: (error: Error) => void,
  ) {
    const root = this.node({ id: ROOT_SUPERVISOR });
    void root.instance.start().then((handle) =>
      handle.exit.then((exit) => {
        if (exit.reason === 'crash') this.onRootEscalated(exit.error);
      }),
    );
  }

  /** Adds a supervisor under `spec.parent` (default root). */
  async addSupervisor(id: string, spec: SupervisorSpec = {}): Promise<void> {
    if (this.nodes.has(id)) throw new ValidationError(`a supervisor "${id}" exists already`);
    const parentId = spec.parent ?? ROOT_SUPERVISOR;
    const parent = this.require(parentId);
    const node = this.node({
      id,
      ...(spec.strategy ? { strategy: spec.strategy } : {}),
      ...(spec.maxRestarts !== undefined ? { maxRestarts: spec.maxRestarts } : {}),
      ...(spec.periodSeconds !== undefined ? { periodSeconds: spec.periodSeconds } : {}),
      ...(spec.backoff ? { backoff: spec.backoff } : {}),
    });
    const child: ChildSpec = {
      id,
      type: 'supervisor',
      restart: spec.restart ?? 'permanent',
      // A restart after an escalation is a new supervisor that starts the same children again.
      start: async () => {
        node.instance = new Supervisor(node.options);
        return node.instance.start([...node.specs.values()]);
      },
      describe: () => node.instance.describe(),
    };
    parent.specs.set(id, child);
    this.parentOf.set(id, parentId);
    await parent.instance.startChild(child);
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  /** Puts an agent under a supervisor (replacing an earlier child with its id). */
  async addAgent(supervisorId: string, spec: ChildSpec): Promise<void> {
    const node = this.require(supervisorId);
    this.removeAgent(spec.id);
    node.specs.set(spec.id, spec);
    this.supervisorOfAgent.set(spec.id, supervisorId);
    await node.instance.startChild(spec);
  }

  /** Stops an agent's child without a restart (the agent is parked, say), then forgets it. */
  async terminateAgent(agentId: string): Promise<void> {
    const supervisorId = this.supervisorOfAgent.get(agentId);
    const node = supervisorId ? this.nodes.get(supervisorId) : undefined;
    await node?.instance.terminateChild(agentId).catch(() => undefined);
    this.removeAgent(agentId);
  }

  /** Forgets an agent that is not running any more. */
  removeAgent(agentId: string): void {
    const supervisorId = this.supervisorOfAgent.get(agentId);
    if (!supervisorId) return;
    const node = this.nodes.get(supervisorId);
    this.supervisorOfAgent.delete(agentId);
    node?.specs.delete(agentId);
    try {
      node?.instance.deleteChild(agentId);
    } catch {
      // still running (a restart is under way) or already gone: its spec is dropped all the same
    }
  }

  supervisorOf(agentId: string): string | undefined {
    return this.supervisorOfAgent.get(agentId);
  }

  /** The agent's state as a child, and its supervisor's state (undefined if it is in no supervisor). */
  childState(agentId: string): { child: string; restarts: number; supervisor: string } | undefined {
    const supervisorId = this.supervisorOfAgent.get(agentId);
    return supervisorId ? this.nodes.get(supervisorId)?.instance.childState(agentId) : undefined;
  }

  /** The tree from the root. */
  describe(): SupervisorTree {
    return this.require(ROOT_SUPERVISOR).instance.describe();
  }

  async stop(): Promise<void> {
    await this.require(ROOT_SUPERVISOR).instance.stop();
  }

  private node(options: { id: string } & Partial<SupervisorOptions>): Node {
    const full: SupervisorOptions = {
      strategy: this.config.strategy,
      maxRestarts: this.config.maxRestarts,
      periodSeconds: this.config.periodSeconds,
      clock: this.clock,
      logger: this.logger,
      onEvent: this.onEvent,
      ...options,
    };
    const node: Node = { options: full, specs: new Map(), instance: new Supervisor(full) };
    this.nodes.set(options.id, node);
    return node;
  }

  private require(id: string): Node {
    const node = this.nodes.get(id);
    if (!node) throw new ValidationError(`no supervisor "${id}" (supervisors: ${[...this.nodes.keys()].join(', ')})`);
    return node;
  }
}
