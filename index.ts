// durable-playbooks: the public API. Everything not exported here is internal.

export { playbook, step, isPlaybook, type Playbook, type Step } from './actors/playbook.js';
export type { PlaybookOptions, RetryPolicy, StepOptions } from './actors/definitions.js';
export { sleep, now, random, uuid, receive, send, continueAsNew, type ReceiveOptions } from './actors/primitives.js';
export { stepContext, type StepContext } from './actors/context.js';
export type { PayloadSchema } from './actors/durable-calls.js';
export type { Duration } from './actors/duration.js';
export { ManualClock, systemClock, type Clock, type TimerHandle } from './actors/clock.js';
export type { AgentStatus } from './actors/running-agent.js';
export { AgentState } from './actors/agent-machine.js';
export type { AgentLifecycleEvent } from './actors/events.js';
export type { Frame, JournalEntry, PendingWait } from './actors/journal.js';
export type { SerializedError } from './actors/serialize.js';

export { Host } from './supervisor/host.js';
export { isStateMachine } from './actors/machine-runtime.js';
export type { HostOptions, SpawnOptions, AgentEventListener } from './supervisor/host-options.js';
export { createHost, startHost } from './supervisor/create-host.js';
export type { StartOptions, HostServices } from './supervisor/host-services.js';
export {
  Supervisor,
  supervisorChild,
  SupervisorEscalatedError,
  type ChildExit,
  type ChildHandle,
  type ChildSpec,
  type ChildInfo,
  type RestartType,
  type SupervisorStrategy,
  type SupervisorOptions,
  type SupervisorTree,
  type SupervisorEvent,
  type BackoffOptions,
} from './supervisor/supervisor.js';
export type { SupervisorSpec } from './supervisor/supervision-tree.js';
export type { AgentSummary, HostSummary } from './supervisor/dashboard/types.js';
export { actOnAgent, type AgentAction, type ActionReply } from './supervisor/agent-actions.js';
export {
  recordCallStack,
  recordResult,
  recordResumeAt,
  recordPendingWaits,
  stateValueText,
} from './persistence/record-views.js';
export { AgentRef } from './supervisor/agent-ref.js';

export type { CheckpointStore, StoredCheckpoint } from './persistence/checkpoint-store.js';
export { FileCheckpointStore, type FileCheckpointStoreOptions } from './persistence/file-store.js';
export { LogCheckpointStore, type LogCheckpointStoreOptions } from './persistence/log-store.js';
export { MemoryCheckpointStore, type MemoryCheckpointStoreOptions } from './persistence/memory-store.js';
export { NatsKvCheckpointStore, type NatsKvCheckpointStoreOptions } from './persistence/nats-kv-store.js';
export { subjects, inboxStreamName } from './messaging/subjects.js';
export {
  startPrivateNatsServer,
  findNatsServer,
  type PrivateNatsServer,
  type PrivateNatsServerOptions,
} from './messaging/private-nats-server.js';
export { CheckpointManager, type CheckpointSummary } from './persistence/checkpoint-manager.js';
export {
  RecoveryCoordinator,
  type RecoverOptions,
  type RecoveryInfo,
  type RecoveryReport,
} from './persistence/recovery-coordinator.js';
export {
  CHECKPOINT_FORMAT,
  decodeCheckpoint,
  type CheckpointRecord,
  type PersistedAgentSnapshot,
} from './persistence/envelope.js';

export {
  loadConfig,
  parseConfig,
  checkpointBucket,
  configFromEnvironment,
  defaultConfig,
  type PlaybooksConfig,
  type DurabilityConfig,
  type NatsConfig,
  type SupervisorConfig,
  type DashboardConfig,
} from './config.js';

export * from './errors.js';
