import { describe, expect, it } from 'vitest';
import { createHost, ErrorCode, playbook, receive, step, type Host } from 'durable-playbooks';
import { hostsClosedAfterEach, silentLogger, until } from '../helpers/hosts.js';

const newHost = hostsClosedAfterEach();

const Greet = step('Greet', async (name: string) => `hello ${name}`);
const Waiter = playbook('Waiter', async (name: string) => {
  const greeting = await Greet(name);
  return `${greeting}, ${await receive<string>('reply')}`;
});
let brokenCalls = 0;
const Broken = playbook('Broken', async () => {
  await Greet('x');
  await step('Fragile', async () => {
    if (++brokenCalls < 3) throw new Error('fragile broke');
    return 'fixed';
  }, { retry: { maxAttempts: 1 } })();
  return 'recovered';
});

async function dashboardHost(options: { token?: string } = {}): Promise<{ host: Host; url: string; api: (path: string, init?: RequestInit) => Promise<Response> }> {
  const host = await newHost({
    durability: { storage: 'memory' },
    dashboard: { port: 0, ...(options.token ? { token: options.token } : {}) },
    playbooks: [Waiter, Broken],
  });
  const services = await host.start();
  const url = services.dashboard!.url;
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  return {
    host,
    url,
    api: (path, init = {}) => fetch(new URL(path, url), { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } }),
  };
}

describe('health, metrics and the dashboard API', () => {
  it('serves /healthz, /readyz and /metrics', async () => {
    const { host, api } = await dashboardHost();
    await host.spawn(Waiter, { id: 'w1', input: 'ada' });
    expect(await (await api('/healthz')).json()).toEqual({ ok: true });
    const ready = await api('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, checks: { store: { ok: true }, supervisor: { ok: true } } });
    const metrics = await (await api('/metrics')).text();
    expect(metrics).toContain('# TYPE playbooks_checkpoints_total counter');
    expect(metrics).toMatch(/playbooks_checkpoints_total\{store="memory"\} \d+/);
    expect(metrics).toContain('playbooks_checkpoint_duration_seconds_bucket{le="+Inf"}');
    expect(metrics).toMatch(/playbooks_agents\{state="(running|waiting)"\} 1/);
    expect(metrics).toContain('playbooks_host_healthy 1');
  });

  it('lists agents, shows one with its checkpoint history, and the supervisor tree', async () => {
    const { host, api } = await dashboardHost();
    await host.spawn(Waiter, { id: 'w2', input: 'bob' });
    await until(() => host.get('w2')!.status().state === 'waiting', 5_000, 'w2 to wait');
    const { agents } = (await (await api('/api/agents')).json()) as { agents: Record<string, unknown>[] };
    expect(agents).toEqual([
      expect.objectContaining({ agentId: 'w2', playbook: 'Waiter', state: 'waiting', restarts: 0, host: host.id, supervisor: 'root', callStack: ['Waiter'], lastError: null }),
    ]);
    expect(typeof agents[0]!.lastCheckpointAgeMs).toBe('number');

    const detail = (await (await api('/api/agents/w2')).json()) as { agent: unknown; checkpoints: { seq: number; status: string }[] };
    expect(detail.checkpoints.map((c) => [c.seq, c.status])).toEqual([
      [1, 'running'],
      [2, 'waiting'], // its step's result and the wait that follows share a write
    ]);
    expect((await api('/api/agents/nobody')).status).toBe(404);
    const bad = await api('/api/agents/bad%20id!');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.Validation);

    const { supervisors } = (await (await api('/api/supervisors')).json()) as { supervisors: Record<string, any>[] };
    expect(supervisors[0]).toMatchObject({ id: 'root', strategy: 'one_for_one', maxRestarts: 5, state: 'running' });
    expect(supervisors[0]!.children).toEqual([expect.objectContaining({ id: 'w2', type: 'worker', restart: 'transient', state: 'running' })]);

    const overview = (await (await api('/api/overview')).json()) as Record<string, any>;
    expect(overview.counts).toEqual({ running: 0, waiting: 1, completed: 0, failed: 0, stopped: 0 });
    expect(overview.hosts).toEqual([expect.objectContaining({ hostId: host.id, self: true, agents: 1 })]);
    expect((await api('/nowhere')).status).toBe(404);
  });

  it('streams lifecycle events as server-sent events', async () => {
    const { host, api } = await dashboardHost();
    const response = await api('/api/events');
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    await host.spawn(Waiter, { id: 'w3', input: 'cy' });
    let text = '';
    while (!text.includes('"type":"waiting"')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('event: lifecycle');
    expect(text).toMatch(/data: \{"agentId":"w3","playbook":"Waiter",.*"type":"spawned"/);
    await reader.cancel();
  });

  it('acts on agents: stop, resume, retry a failed one, recover from an older checkpoint', async () => {
    const { host, api } = await dashboardHost();
    const post = (path: string, body?: unknown) =>
      api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const waiter = await host.spawn(Waiter, { id: 'w4', input: 'dee' });
    await until(() => waiter.status().state === 'waiting', 5_000, 'w4 to wait');

    expect(await (await post('/api/agents/w4/stop')).json()).toEqual({ ok: true, agentId: 'w4', state: 'stopped' });
    const resumed = (await (await post('/api/agents/w4/resume')).json()) as { ok: boolean; state: string };
    expect(resumed.ok).toBe(true);
    expect(resumed.state).not.toBe('stopped');

    brokenCalls = 0;
    // temporary: its supervisor does not restart it, so the dashboard's retry is what brings it back
    const broken = await host.spawn(Broken, { id: 'b1', restart: 'temporary' });
    await expect(broken.result()).rejects.toThrow('fragile broke');
    const notFailed = await post('/api/agents/w4/retry');
    expect(notFailed.status).toBe(400);
    const retried = (await (await post('/api/agents/b1/retry')).json()) as { ok: boolean; fromSeq: number };
    expect(retried).toMatchObject({ ok: true, fromSeq: 2 }); // after Greet, before the failing step
    await expect(host.get('b1')!.result()).rejects.toThrow('fragile broke'); // its second call fails too
    expect(((await (await post('/api/agents/b1/retry')).json()) as { ok: boolean }).ok).toBe(true);
    expect(await host.get('b1')!.result()).toBe('recovered'); // the third succeeds
    expect(brokenCalls).toBe(3);

    await waiter.stop();
    const recovered = (await (await post('/api/agents/w4/recover', { fromSeq: 2 })).json()) as { ok: boolean; fromSeq: number };
    expect(recovered).toMatchObject({ ok: true, fromSeq: 2 });
    const badBody = await post('/api/agents/w4/recover', { fromSeq: 'two' });
    expect(badBody.status).toBe(400);
    const unknown = await post('/api/agents/ghost/stop');
    expect(unknown.status).toBe(404);
  });

  it('requires a token when one is configured, and refuses to bind beyond loopback without one', async () => {
    const { api, url } = await dashboardHost({ token: 's3cret' });
    expect((await api('/api/agents')).status).toBe(200);
    expect((await fetch(new URL('/api/agents', url))).status).toBe(401);
    expect((await fetch(new URL('/api/agents?token=wrong', url))).status).toBe(401);
    expect((await fetch(new URL('/api/agents?token=s3cret', url))).status).toBe(200);
    expect((await fetch(new URL('/healthz', url))).status).toBe(200); // for load balancers

    const open = await createHost({ durability: { storage: 'memory' }, dashboard: { host: '0.0.0.0', port: 0 }, logger: silentLogger });
    await expect(open.start()).rejects.toThrow(/\[dashboard\] token is required when the dashboard is bound to 0\.0\.0\.0/);
    await open.close();
  });
});
