import { ManualClock } from '../../actors/clock.js';
import { Supervisor, type SupervisorEvent, type SupervisorOptions } from '../../supervisor/supervisor.js';
import { FakeChildren } from './fake-child.js';

/** A supervisor on a manual clock with fixed 100 ms restart delays unless the test says otherwise. */
export function setup(options: Partial<SupervisorOptions> = {}) {
  const clock = new ManualClock();
  const children = new FakeChildren();
  const events: SupervisorEvent[] = [];
  const supervisor = new Supervisor({
    id: 'root',
    clock,
    backoff: { initialDelayMs: 100, factor: 1, jitter: 0 },
    onEvent: (event) => events.push(event),
    ...options,
  });
  /** Lets exits reach the supervisor and be acted on, without moving time. */
  const settle = (): Promise<void> => clock.advance(0);
  return { clock, children, events, supervisor, settle };
}

export function childStates(supervisor: Supervisor): Record<string, string> {
  return Object.fromEntries(supervisor.describe().children.map((c) => [c.id, c.state]));
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}
