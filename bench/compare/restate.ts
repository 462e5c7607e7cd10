/**
 * Restate: the restate-server binary from its npm package, started here on loopback with free
 * ports, telemetry off and a temporary base directory; the 3-step service served by the
 * TypeScript SDK (HTTP/2, in this process), registered through the admin API and invoked through
 * the ingress HTTP API (one request per workflow, awaiting its result).
 *
 * The workflow is a plain Restate service handler with three `ctx.run` steps — the lightest
 * durable handler Restate has (a Restate "workflow" adds per-key state and exclusivity on top).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { deferCleanup, drive, freePort, GiveUp, importPeer, payload, peerPath, peerVersion, StepTimer, unavailable, waitUntil, type SystemResult, type Workload } from './workload.js';

/** The bits of @restatedev/restate-sdk used here (it is not a project dependency: no types). */
interface RestateContext {
  run<T>(name: string, action: () => Promise<T>): Promise<T>;
}
interface RestateSdk {
  service(definition: { name: string; handlers: Record<string, (ctx: RestateContext, input: number) => Promise<unknown>> }): unknown;
  endpoint(): { bind(service: unknown): { http2Handler(): (req: Http2ServerRequest, res: Http2ServerResponse) => void } };
}

export const DURABILITY =
  "Restate's own log (Bifrost, replicated loglet with replication 1 on this single node): the log-server's RocksDB WAL is fsynced per write batch (rocksdb-disable-wal-fsync = false) before an entry is acknowledged; no replication";

const SERVICE = 'CompareThreeSteps';

export async function benchRestate(workload: Workload): Promise<SystemResult> {
  const serverVersion = peerVersion('@restatedev/restate-server');
  const sdkVersion = peerVersion('@restatedev/restate-sdk');
  const base = {
    id: 'restate',
    name: 'Restate',
    role: 'peer' as const,
    version: `restate-server ${serverVersion ?? '?'}, @restatedev/restate-sdk ${sdkVersion ?? '?'}`,
    durability: DURABILITY,
  };
  const cleanups: (() => Promise<unknown>)[] = [];
  const log: string[] = [];
  try {
    if (!serverVersion || !sdkVersion) throw new Error('@restatedev/restate-server or @restatedev/restate-sdk is not installed in bench/peers/');
    const binary = peerPath(`@restatedev/restate-server-${platform()}-${arch()}/bin/restate-server`);

    // ── the server ───────────────────────────────────────────────────────────────────────────
    const dir = await mkdtemp(join(tmpdir(), 'restate-compare-'));
    cleanups.push(deferCleanup(() => rm(dir, { recursive: true, force: true })));
    const [ingressPort, adminPort, fabricPort] = (await distinctFreePorts(3)) as [number, number, number];
    const config = join(dir, 'restate.toml');
    await writeFile(
      config,
      [
        'node-name = "compare"',
        'disable-telemetry = true',
        'listen-mode = "tcp"',
        `bind-address = "127.0.0.1:${fabricPort}"`,
        `advertised-address = "http://127.0.0.1:${fabricPort}/"`,
        'log-filter = "warn"',
        'log-disable-ansi-codes = true',
        '[ingress]',
        `bind-address = "127.0.0.1:${ingressPort}"`,
        '[admin]',
        `bind-address = "127.0.0.1:${adminPort}"`,
        'disable-web-ui = true',
        '',
      ].join('\n'),
    );
    const server = spawn(binary, ['--config-file', config, '--base-dir', join(dir, 'data'), '--no-logo'], {
      cwd: dir,
      // RESTATE_* variables override the config file: only ours reach the server.
      env: { ...withoutRestateVariables(process.env), DO_NOT_TRACK: '1', RESTATE_DISABLE_TELEMETRY: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keepLog = (chunk: Buffer) => {
      log.push(chunk.toString());
      if (log.length > 200) log.splice(0, log.length - 200);
    };
    server.stdout!.on('data', keepLog);
    server.stderr!.on('data', keepLog);
    cleanups.push(deferCleanup(() => stopProcess(server)));

    const admin = `http://127.0.0.1:${adminPort}`;
    const ingress = `http://127.0.0.1:${ingressPort}`;
    await waitUntil(
      'restate-server (admin /health and ingress /restate/health)',
      async () => {
        if (server.exitCode !== null || server.signalCode !== null) throw new GiveUp(`restate-server exited (${server.signalCode ?? `code ${server.exitCode}`})`);
        return (await fetch(`${admin}/health`)).ok && (await fetch(`${ingress}/restate/health`)).ok;
      },
      60_000,
      100,
    );

    // ── the service, served by the SDK over HTTP/2 in this process ────────────────────────────
    process.env.RESTATE_LOGGING ??= 'ERROR'; // its one warning: no request signing, fine on loopback
    const restate = await importPeer<RestateSdk>('@restatedev/restate-sdk');
    const timer = new StepTimer();
    const service = restate.service({
      name: SERVICE,
      handlers: {
        run: async (ctx, i) => {
          await timer.time(() => ctx.run('A', async () => payload(i, 'A')));
          await timer.time(() => ctx.run('B', async () => payload(i, 'B')));
          return (await timer.time(() => ctx.run('C', async () => payload(i, 'C')))).index;
        },
      },
    });
    const endpoint = createHttp2Server(restate.endpoint().bind(service).http2Handler());
    const sessions = new Set<Http2Session>();
    endpoint.on('session', (session: Http2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    const endpointPort = await new Promise<number>((resolve, reject) => {
      endpoint.once('error', reject);
      endpoint.listen(0, '127.0.0.1', () => {
        const address = endpoint.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
    cleanups.push(
      deferCleanup(
        () =>
          new Promise<void>((resolve) => {
            for (const session of sessions) session.destroy();
            endpoint.close(() => resolve());
          }),
      ),
    );

    // ── register the deployment, wait until the ingress knows the service ─────────────────────
    const registered = await fetch(`${admin}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uri: `http://127.0.0.1:${endpointPort}`, force: true }),
    });
    if (!registered.ok) throw new Error(`registering the deployment: HTTP ${registered.status} ${await registered.text()}`);

    const agent = new Agent({ keepAlive: true, maxSockets: workload.inFlight + 10 });
    cleanups.push(deferCleanup(async () => agent.destroy()));
    const invoke = (i: number) => postJson(agent, ingressPort, `/${SERVICE}/run`, i);
    await waitUntil(
      'the ingress to route to the registered service',
      async () => {
        const result = await invoke(-1);
        return result === -1;
      },
      30_000,
      200,
    );

    // Durable writes behind the figures: invocations as the server saw them (its SQL API).
    const measured = await drive(invoke, timer, workload);
    const completed = await countInvocations(admin).catch(() => undefined);
    return {
      ...base,
      status: 'ok',
      ...measured,
      details: {
        ports: { ingress: ingressPort, admin: adminPort, endpoint: endpointPort },
        serviceType: 'service (3 ctx.run steps)',
        endpointProtocol: 'HTTP/2 bidirectional stream (SDK http2Handler)',
        ingressClient: 'node:http keep-alive agent, HTTP/1.1, JSON',
        invocationsSeenByServer: completed,
      },
    };
  } catch (error) {
    const tail = log.join('').split('\n').filter(Boolean).slice(-15).join('\n');
    const result = unavailable(base, error);
    if (tail) result.details = { serverLogTail: tail };
    return result;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

function withoutRestateVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('RESTATE_')));
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function postJson(agent: Agent, port: number, path: string, body: unknown): Promise<unknown> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) return reject(new Error(`ingress ${path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
          try {
            resolve(JSON.parse(text));
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function countInvocations(admin: string): Promise<unknown> {
  const response = await fetch(`${admin}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: `SELECT status, count(*) AS n FROM sys_invocation WHERE target_service_name = '${SERVICE}' GROUP BY status` }),
  });
  if (!response.ok) throw new Error(`query: HTTP ${response.status}`);
  return ((await response.json()) as { rows?: unknown }).rows;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timeout = new Promise((resolve) => setTimeout(resolve, 15_000, 'timeout'));
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}
