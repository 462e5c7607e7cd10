import type { ChildExit, ChildHandle, ChildInfo, ChildSpec, RestartType } from './supervisor-types.js';

/** What a supervisor keeps of one child. */
export interface ChildRecord {
  spec: ChildSpec;
  state: ChildInfo['state'];
  restarts: number;
  /** Restarts in a row without a run of `periodSeconds` in between: drives the backoff. */
  consecutive: number;
  handle: ChildHandle | undefined;
  /** `handle.exit`, made safe to await even if a child breaks its promise never to reject. */
  exit: Promise<ChildExit> | undefined;
  startedAt?: number;
  lastExit?: ChildExit;
}

/** Whether an exit leads to a restart, by the child's restart type (as OTP decides it). */
export function shouldRestart(restart: RestartType, exit: ChildExit): boolean {
  if (exit.reason === 'quarantine' || exit.reason === 'shutdown') return false;
  if (restart === 'permanent') return true;
  return restart === 'transient' && exit.reason === 'crash';
}

/** How `describe()` shows a child. */
export function childInfo(rec: ChildRecord): ChildInfo {
  const info: ChildInfo = {
    id: rec.spec.id,
    type: rec.spec.type ?? 'worker',
    restart: rec.spec.restart,
    state: rec.state,
    restarts: rec.restarts,
  };
  const last = rec.lastExit;
  if (last) info.lastExit = last.reason === 'crash' || last.reason === 'quarantine' ? { reason: last.reason, error: last.error.message } : { reason: last.reason };
  const nested = rec.spec.describe?.();
  if (nested) info.supervisor = nested;
  return info;
}
