import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, ensureError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { dashboardPage } from './page.js';
import type { ActionVerb, DashboardApp } from './types.js';

export interface DashboardServerOptions {
  /** Interface to bind. Default "127.0.0.1". */
  host: string;
  /** TCP port; 0 picks a free one. Default 7070. */
  port: number;
  /** Required on every request when set; required to be set when `host` is not a loopback address. */
  token?: string | undefined;
  logger: Logger;
}

export interface DashboardServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const AGENT_ID = /^[A-Za-z0-9_-]{1,128}$/;
const ACTIONS: ActionVerb[] = ['stop', 'resume', 'retry', 'recover'];
const MAX_BODY_BYTES = 64 * 1024;

/**
 * The HTTP side of a host: `/healthz`, `/readyz`, `/metrics`, the JSON API under `/api`, live
 * events as server-sent events, and the dashboard page. Plain `node:http`, no framework.
 */
export async function startDashboardServer(app: DashboardApp, options: DashboardServerOptions): Promise<DashboardServer> {
  if (!LOOPBACK.has(options.host) && !options.token) {
    throw new ConfigError(
      `[dashboard] token is required when the dashboard is bound to ${options.host} (anything but 127.0.0.1, ::1 or localhost)`,
    );
  }
  const sse = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    handle(app, options, sse, request, response).catch((error: unknown) => {
      options.logger.error({ err: ensureError(error), url: request.url }, 'dashboard request failed');
      if (!response.headersSent) json(response, 500, { error: { code: 'INTERNAL', message: ensureError(error).message } });
      else response.end();
    });
  });
  const unsubscribe = app.subscribe((event) => {
    const frame = event.type === 'hosts' ? 'event: hosts\ndata: {}\n\n' : `event: lifecycle\ndata: ${JSON.stringify(event)}\n\n`;
    for (const client of sse) client.write(frame);
  });
  // Comments keep idle SSE connections open through proxies.
  const keepAlive = setInterval(() => {
    for (const client of sse) client.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostPart = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${hostPart}:${port}/`;
  options.logger.info({ url }, 'dashboard listening');
  return {
    url,
    port,
    close: async () => {
      clearInterval(keepAlive);
      unsubscribe();
      for (const client of sse) client.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

async function handle(
  app: DashboardApp,
  options: DashboardServerOptions,
  sse: Set<ServerResponse>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://dashboard');
  const path = url.pathname;
  const method = request.method ?? 'GET';

  if (path === '/healthz') {
    const health = app.health();
    return json(response, health.ok ? 200 : 503, health);
  }
  // The page holds no data (it asks the API, with the token from its URL), so it is served to anyone.
  if (path === '/' && method === 'GET') return send(response, 200, 'text/html; charset=utf-8', dashboardPage());
  if (options.token && !authorized(request, url, options.token)) {
    return json(response, 401, { error: { code: 'UNAUTHORIZED', message: 'a valid token is required (Authorization: Bearer <token>, or ?token=)' } });
  }
  if (method === 'GET') {
    switch (path) {
      case '/readyz': {
        const readiness = await app.readiness();
        return json(response, readiness.ok ? 200 : 503, readiness);
      }
      case '/metrics':
        return send(response, 200, 'text/plain; version=0.0.4; charset=utf-8', app.metrics());
      case '/api/overview':
        return json(response, 200, await app.overview());
      case '/api/agents':
        return json(response, 200, { agents: await app.agents() });
      case '/api/supervisors':
        return json(response, 200, { supervisors: app.supervisors() });
      case '/api/events':
        return openEventStream(request, response, sse);
    }
  }
  const agentRoute = /^\/api\/agents\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
  if (agentRoute) {
    const agentId = decodeURIComponent(agentRoute[1]!);
    const action = agentRoute[2];
    if (!AGENT_ID.test(agentId)) {
      return json(response, 400, { error: { code: 'VALIDATION', message: `agent id ${JSON.stringify(agentId)} is invalid: use 1 to 128 letters, digits, "_" or "-"` } });
    }
    if (action === undefined && method === 'GET') {
      const detail = await app.agent(agentId);
      return detail ? json(response, 200, detail) : json(response, 404, { error: { code: 'AGENT_NOT_FOUND', message: `no agent "${agentId}"` } });
    }
    if (action !== undefined && method === 'POST' && (ACTIONS as string[]).includes(action)) {
      const body = await readJson(request);
      if (body instanceof Error) return json(response, 400, { ok: false, error: { code: 'VALIDATION', message: body.message } });
      const reply = await app.act(agentId, action as ActionVerb, body);
      return json(response, reply.ok ? 200 : statusFor(reply.error.code), reply);
    }
  }
  return json(response, method === 'GET' || method === 'POST' ? 404 : 405, { error: { code: 'NOT_FOUND', message: `no route ${method} ${path}` } });
}

function openEventStream(request: IncomingMessage, response: ServerResponse, sse: Set<ServerResponse>): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
  });
  response.write('retry: 2000\n\n');
  sse.add(response);
  request.on('close', () => sse.delete(response));
}

function authorized(request: IncomingMessage, url: URL, token: string): boolean {
  const header = request.headers.authorization;
  const given = header?.startsWith('Bearer ') ? header.slice(7) : url.searchParams.get('token');
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > MAX_BODY_BYTES) return new Error(`request body above ${MAX_BODY_BYTES} bytes`);
  }
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return new Error(`request body is not JSON: ${ensureError(error).message}`);
  }
}

function statusFor(code: string): number {
  if (code === 'AGENT_NOT_FOUND') return 404;
  if (code === 'VALIDATION') return 400;
  return 409;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}
