import type { ChildExit, ChildHandle, ChildSpec, RestartType } from '../../supervisor/supervisor.js';

interface Run {
  end: (exit: ChildExit) => void;
}

/**
 * Supervised children driven by the test: it decides when a running child crashes, finishes
 * or is quarantined, and which starts fail. `log` records starts and stops in order, as
 * 'start a#0' (child a, restart 0), 'fail a#1' (a start that rejected) and 'stop a'.
 */
export class FakeChildren {
  readonly log: string[] = [];
  private readonly running = new Map<string, Run>();
  private readonly failures = new Map<string, number>();

  spec(id: string, restart: RestartType = 'permanent'): ChildSpec {
    return { id, restart, start: async ({ restarts }) => this.start(id, restarts) };
  }

  /** A child that can also start at once (`startNow`), as an agent's first run does. */
  specNow(id: string, restart: RestartType = 'permanent'): ChildSpec {
    return { ...this.spec(id, restart), startNow: ({ restarts }) => this.start(id, restarts) };
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Makes the next `count` starts of `id` reject. */
  failStarts(id: string, count = 1): void {
    this.failures.set(id, (this.failures.get(id) ?? 0) + count);
  }

  crash(id: string, message = `${id} crashed`): void {
    this.current(id).end({ reason: 'crash', error: new Error(message) });
  }

  finish(id: string, value?: unknown): void {
    this.current(id).end({ reason: 'normal', value });
  }

  quarantine(id: string, message = `${id} is beyond repair`): void {
    this.current(id).end({ reason: 'quarantine', error: new Error(message) });
  }

  private start(id: string, restarts: number): ChildHandle {
    const failures = this.failures.get(id) ?? 0;
    if (failures > 0) {
      this.failures.set(id, failures - 1);
      this.log.push(`fail ${id}#${restarts}`);
      throw new Error(`${id} failed to start`);
    }
    if (this.running.has(id)) throw new Error(`test bug: ${id} started while running`);
    this.log.push(`start ${id}#${restarts}`);
    let resolveExit: (exit: ChildExit) => void = () => undefined;
    const exit = new Promise<ChildExit>((resolve) => (resolveExit = resolve));
    const run: Run = {
      end: (value) => {
        if (this.running.get(id) !== run) return;
        this.running.delete(id);
        resolveExit(value);
      },
    };
    this.running.set(id, run);
    return {
      exit,
      stop: async () => {
        if (this.running.get(id) !== run) return;
        this.log.push(`stop ${id}`);
        run.end({ reason: 'shutdown' });
      },
    };
  }

  private current(id: string): Run {
    const run = this.running.get(id);
    if (!run) throw new Error(`test bug: ${id} is not running`);
    return run;
  }
}
