import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { playbook, receive, step } from 'durable-playbooks';
import { launchChromium } from '../helpers/browser.js';
import { repoRoot } from '../helpers/child.js';
import { hostsClosedAfterEach } from '../helpers/hosts.js';

const newHost = hostsClosedAfterEach();

describe('the dashboard in a browser', () => {
  it('shows agents live, counts a crash and restart, and runs an action after confirmation', async () => {
    let crashes = 0;
    const Approval = playbook('Approval', async () => {
      await step('Draft', () => new Promise((resolve) => setTimeout(resolve, 500)))(); // long enough to be seen running
      const answer = await receive<string>('approve');
      await step('Record', async () => answer)();
      return answer;
    });
    const Flaky = playbook('Flaky', async () => {
      await step('Prepare', async () => 'ok')();
      await step('Call', async () => {
        if (++crashes === 1) throw new Error('upstream timed out');
      }, { retry: { maxAttempts: 1 } })();
      return receive('never');
    });
    const host = await newHost({ durability: { storage: 'memory' }, dashboard: { port: 0 }, playbooks: [Approval, Flaky] });
    await host.supervisor('workers', { backoff: { initialDelayMs: 800, maxDelayMs: 800, jitter: 0 } });
    const url = (await host.start()).dashboard!.url;

    await using browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await page.goto(url);
    await expect.poll(() => page.textContent('[data-testid="live"]')).toBe('live');

    // running → waiting → completed, watched live
    const approval = await host.spawn(Approval, { id: 'approval-7', supervisor: 'workers' });
    const state = page.locator('tr[data-agent-id="approval-7"] [data-field="state"]');
    await expect.poll(() => state.textContent(), { timeout: 5_000, interval: 20 }).toBe('running');
    await expect.poll(() => state.textContent(), { timeout: 5_000, interval: 20 }).toBe('waiting');
    await approval.send('approve', 'yes');
    await expect.poll(() => state.textContent(), { timeout: 5_000 }).toBe('completed');
    await expect.poll(() => page.textContent('[data-testid="count-completed"]')).toBe('1');

    // a crash, then a restart by its supervisor, counted
    await host.spawn(Flaky, { id: 'flaky-1', supervisor: 'workers' });
    const flaky = page.locator('tr[data-agent-id="flaky-1"]');
    await expect.poll(() => flaky.locator('[data-field="error"]').textContent(), { timeout: 5_000, interval: 20 }).toContain('upstream timed out');
    await expect.poll(() => flaky.locator('[data-field="restarts"]').textContent(), { timeout: 5_000 }).toBe('1');
    await expect.poll(() => flaky.locator('[data-field="state"]').textContent(), { timeout: 5_000 }).toBe('waiting');
    expect(await page.locator('[data-supervisor-id="workers"]').count()).toBe(1);

    // an action, after a confirmation: stop the restarted agent
    await flaky.click();
    await expect.poll(() => page.textContent('[data-testid="call-stack"]')).toContain('Flaky');
    await expect.poll(() => page.locator('[data-testid="checkpoint-timeline"] li').count()).toBeGreaterThan(2);
    await page.click('[data-testid="agent-detail"] button[data-action="stop"]');
    await expect.poll(() => flaky.locator('[data-field="state"]').textContent(), { timeout: 5_000 }).toBe('stopped');
    expect(dialogs.some((message) => /stop/i.test(message) && message.includes('flaky-1'))).toBe(true);
    expect(host.get('flaky-1')!.status()).toMatchObject({ state: 'stopped', restarts: 1, supervisor: 'workers' });
    await expect.poll(() => flaky.locator('[data-field="restarts"]').textContent()).toBe('1');
    await expect.poll(() => page.textContent('[data-testid="last-error"]')).toContain('upstream timed out');

    const shots = join(repoRoot, 'test-results');
    await mkdir(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
  }, 60_000);
});
