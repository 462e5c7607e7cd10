/**
 * Whether an agent's host may act for it now: start a side effect, write a checkpoint, take
 * a message. Closed while the host's lease on its agents has lapsed (it was paused or cut
 * off); it opens again once the lease is renewed and the agent is known to be still its own.
 */
export interface ActGate {
  readonly isValid: boolean;
  whenValid(): Promise<void>;
}

/** The gate of a host that needs no lease (one host per store). */
export const ALWAYS_OPEN: ActGate = { isValid: true, whenValid: () => Promise.resolve() };
