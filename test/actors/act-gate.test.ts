import { describe, expect, it } from 'vitest';
import { playbook, step } from 'durable-playbooks';
import type { ActGate } from '../../actors/act-gate.js';
import { AgentRuntime } from '../../actors/agent-runtime.js';
import { systemClock } from '../../actors/clock.js';
import { definitionOf } from '../../actors/playbook.js';
import { silentLogger, until } from '../helpers/hosts.js';

/** A host's lease as the runtime sees it, opened and closed by the test. */
class TestGate implements ActGate {
  isValid = true;
  private waiters: (() => void)[] = [];
  whenValid(): Promise<void> {
    return this.isValid ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
  open(): void {
    this.isValid = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function agentWithFlakyStep(gate: ActGate, attempts: number[]) {
  const Flaky = step(
    'Flaky',
    async () => {
      attempts.push(Date.now());
      if (attempts.length === 1) throw new Error('first attempt fails');
      return 'ok';
    },
    { retry: { maxAttempts: 3, initialDelayMs: 30 } },
  );
  const Flow = playbook('GatedRetry', async () => Flaky());
  return new AgentRuntime({
    agentId: 'gated',
    definition: definitionOf(Flow),
    input: undefined,
    writer: undefined,
    sendToAgent: async () => undefined,
    gate,
    clock: systemClock,
    logger: silentLogger,
    emit: () => undefined,
  });
}

describe('the act gate (a host lease) and step attempts', () => {
  it('a retry waits while the host may not act, and runs once it may again', async () => {
    const gate = new TestGate();
    const attempts: number[] = [];
    const agent = agentWithFlakyStep(gate, attempts);
    agent.run();
    await until(() => attempts.length === 1, 5_000, 'the first attempt');
    gate.isValid = false; // the lease lapsed during the retry's backoff
    await wait(150); // well past the 30 ms backoff
    expect(attempts).toHaveLength(1);
    gate.open();
    expect(await agent.result()).toBe('ok');
    expect(attempts).toHaveLength(2);
  });

  it('a retry whose agent was taken over meanwhile never starts', async () => {
    const gate = new TestGate();
    const attempts: number[] = [];
    const agent = agentWithFlakyStep(gate, attempts);
    agent.run();
    await until(() => attempts.length === 1, 5_000, 'the first attempt');
    gate.isValid = false;
    await wait(100);
    await agent.detach(); // the host let go of the agent (another host took it) before the gate opened
    gate.open();
    await wait(100);
    expect(attempts).toHaveLength(1);
  });
});
