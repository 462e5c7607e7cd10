/** The supervisor's public shapes: child specs and handles, exits, options, events, and the tree it reports. */
import type { Clock } from '../actors/clock.js';
import type { Logger } from '../logger.js';
import type { BackoffOptions } from './backoff.js';

export type RestartType = 'permanent' | 'transient' | 'temporary';
export type SupervisorStrategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';

/** How a child ended. */
export type ChildExit =
  | { reason: 'normal'; value?: unknown } // finished its work
  | { reason: 'crash'; error: Error } // failed: restarted according to its restart type
  | { reason: 'quarantine'; error: Error } // failed in a way a restart cannot fix: never restarted
  | { reason: 'shutdown' }; // stopped by its supervisor or on request: never restarted

/** A started child. */
export interface ChildHandle {
  /** Settles when the child ends, whatever the reason. Never rejects. */
  readonly exit: Promise<ChildExit>;
  /** Asks the child to stop; resolves once it has (its `exit` then resolves, normally with { reason: 'shutdown' }). */
  stop(): Promise<void>;
}

export interface ChildStartContext {
  /** 0 for the first start, n for the n-th restart of this child. */
  restarts: number;
}

export interface ChildSpec {
  /** Unique among the children of one supervisor. */
  id: string;
  /** Starts (or restarts) the child. A rejected start counts as a crash. */
  start(context: ChildStartContext): Promise<ChildHandle>;
  /**
   * Starts the child at once if it can (a run that is already going, say); `undefined` when it
   * cannot, and `start` is used. A supervisor with nothing else to do adds such a child without
   * a turn through its operation queue. A throw counts as a crash, as a rejected `start` does.
   */
  startNow?(context: ChildStartContext): ChildHandle | undefined;
  /** Which exits lead to a restart. */
  restart: RestartType;
  /** Default 'worker'. */
  type?: 'worker' | 'supervisor';
  /** For a child that is itself a supervisor: lets describe() nest its tree. */
  describe?: () => SupervisorTree;
}

export interface SupervisorOptions {
  /** Names the supervisor in events, logs and its parent's tree. */
  id: string;
  /** Default 'one_for_one'. */
  strategy?: SupervisorStrategy;
  /** Restarts allowed within `periodSeconds` before the supervisor escalates. Default 5. */
  maxRestarts?: number;
  /** Window of the restart intensity, and run time after which a child's backoff starts over, in seconds. Default 60. */
  periodSeconds?: number;
  /** Delays between restarts of a child. Defaults: see `BackoffOptions`. */
  backoff?: BackoffOptions;
  /** Default: systemClock from actors/clock.ts. */
  clock?: Clock;
  /** Source of randomness for jitter, in [0, 1). Default Math.random. */
  random?: () => number;
  /** Default: no logging. */
  logger?: Logger;
  /** Called for every supervision event (never throws into the supervisor: listener errors are caught). Default: none. */
  onEvent?: (event: SupervisorEvent) => void;
}

export type SupervisorEvent =
  | { type: 'child.started'; supervisor: string; child: string; restarts: number }
  | { type: 'child.exited'; supervisor: string; child: string; exit: ChildExit }
  | { type: 'child.restarting'; supervisor: string; child: string; restarts: number; delayMs: number }
  | { type: 'escalated'; supervisor: string; reason: string };

export interface ChildInfo {
  id: string;
  type: 'worker' | 'supervisor';
  restart: RestartType;
  state: 'starting' | 'running' | 'restarting' | 'exited' | 'stopped';
  /** Restarts of this child so far. */
  restarts: number;
  lastExit?: { reason: ChildExit['reason']; error?: string };
  /** The nested tree when the child is a supervisor (from ChildSpec.describe). */
  supervisor?: SupervisorTree;
}

export interface SupervisorTree {
  id: string;
  strategy: SupervisorStrategy;
  maxRestarts: number;
  periodSeconds: number;
  /** Restarts counted in the current period (the restart intensity used). */
  restartsInPeriod: number;
  state: 'running' | 'escalated' | 'stopped';
  children: ChildInfo[];
}
