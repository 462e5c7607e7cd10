import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '../actors/clock.js';
import type { AgentLifecycleEvent } from '../actors/events.js';
import type { Playbook } from '../actors/playbook.js';
import type { DashboardConfig, DurabilityConfig, NatsConfig, SupervisorConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { NatsMessaging } from '../messaging/nats-messaging.js';
import type { CheckpointStore } from '../persistence/checkpoint-store.js';
import type { CheckpointPosition } from '../persistence/checkpoint-writer.js';
import type { CheckpointRecord } from '../persistence/envelope.js';
import type { HostLease } from './host-lease.js';
import type { RestartType } from './supervisor.js';
import type { SupervisorSpec } from './supervision-tree.js';
import type { AnyStateMachine } from 'xstate';

export interface HostOptions {
  /** Path of a `playbooks.toml`. Default: none (built-in defaults, file store in ./.checkpoints). */
  configFile?: string;
  /** Overrides the `[durability]` section, in camelCase (`{ enabled: false }`, `{ storagePath }`, …). */
  durability?: Partial<DurabilityConfig>;
  /** A checkpoint store to use instead of the one `durability.storage` names. */
  store?: CheckpointStore;
  /** Overrides the `[nats]` section, in camelCase (`{ enabled: true, servers: […] }`, …). */
  nats?: Partial<NatsConfig>;
  /** Overrides the `[supervisor]` section (the root supervisor), in camelCase. */
  supervisor?: Partial<SupervisorConfig>;
  /** Overrides the `[dashboard]` section, in camelCase. */
  dashboard?: Partial<DashboardConfig>;
  /** An open NATS connection to use (the host does not close it); implies NATS messaging. */
  natsConnection?: NatsConnection;
  /** Playbooks (and XState machines) this host can spawn and recover (more with `register`). */
  playbooks?: (Playbook<never, unknown> | AnyStateMachine)[];
  /**
   * Supervisors to create under the root before anything runs (so recovered agents find the
   * supervisors they ran under), by id; a parent must come before its children.
   */
  supervisors?: Record<string, SupervisorSpec>;
  /** Default: pino on stderr at `PLAYBOOKS_LOG_LEVEL` (default "info"). */
  logger?: Logger;
  /** Default: the system clock. Tests pass a `ManualClock`. */
  clock?: Clock;
  /** Identifies this host in logs and checkpoints. Default: a random UUID. */
  hostId?: string;
}

export type AgentEventListener = (event: AgentLifecycleEvent) => void;

export interface SpawnOptions<Input> {
  /** Default: a random UUID. 1–128 of A-Z a-z 0-9 _ - */
  id?: string;
  input?: Input;
  /** How the agent's supervisor restarts it: "transient" (default) after a crash, "permanent" after any exit, "temporary" never. */
  restart?: RestartType;
  /** The supervisor to run under (made with `host.supervisor`). Default "root". */
  supervisor?: string;
}

/** @internal What `createHost` resolved (it is async; the constructor is not). */
export interface HostWiring {
  hostId: string;
  logger: Logger;
  store: CheckpointStore | undefined;
  messaging: NatsMessaging | undefined;
  /** The host's lease on its agents, when several hosts share the store (NATS). */
  lease: HostLease | undefined;
}

/** Options of `adopt`, the one way an agent's run starts from a stored snapshot. */
export interface AdoptOptions {
  /** The checkpoint whose snapshot the agent resumes from. */
  record: CheckpointRecord;
  /** The agent's newest stored checkpoint, which its next write must follow. */
  after: CheckpointPosition;
  /** Resume a stopped agent. */
  resumeStopped?: boolean;
  /** Write the first checkpoint before running (a fork: a new agent from an old snapshot). */
  persistFirst?: boolean;
}
