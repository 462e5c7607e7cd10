/**
 * A standalone preview of the supervisor dashboard page with fake, changing data:
 *
 *   npx tsx scripts/dashboard-preview.ts [port]        (default 7070; 0 picks a free port)
 *   DASHBOARD_TOKEN=secret npx tsx scripts/dashboard-preview.ts   (the API then needs ?token=secret)
 *
 * It serves `dashboardPage()` at `/` and fakes every API route the page uses, including the
 * event stream: an order goes running → waiting → completed (and a new one spawns), a crawler
 * crashes and is restarted every 15 s, an invoice has failed, a ledger agent is quarantined
 * with a corrupt checkpoint, a host comes and goes. The POST actions change the fake state.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dashboardPage } from '../supervisor/dashboard/page.js';

type State = 'running' | 'waiting' | 'completed' | 'failed' | 'stopped';
type Err = { name: string; message: string; code?: string };
interface Checkpoint { seq: number; savedAt: string; status: string; bytes: number; callStack: string[]; corrupt?: string }
interface Agent {
  agentId: string; host: string; playbook: string; state: State; restarts: number; lastError: Err | null;
  callStack: string[]; quarantined: boolean; supervisor: string | null; checkpoints: Checkpoint[]; seq: number;
  lastCheckpointAt: number | null;
  /** What the simulation does with it next, and when. */
  plan: Array<{ inMs: number; run: (a: Agent) => void }>; nextAt: number; restartingUntil: number;
}

const SELF = 'host-a1';
const NAMESPACE = 'prod-eu';
const token = process.env.DASHBOARD_TOKEN ?? '';
const agents = new Map<string, Agent>();
const crashes: number[] = [];
let remoteHostUp = true;
let nextOrder = 1042;
let ticks = 0;
const startedAt = Date.now();

// ---------- the fake world ----------
function emit(type: string, a: Agent, extra: Record<string, unknown> = {}): void {
  broadcast('lifecycle', { type, agentId: a.agentId, playbook: a.playbook, at: new Date().toISOString(), ...extra });
}
function checkpoint(a: Agent, recorded: string[], corrupt?: string): void {
  a.seq += 1;
  a.lastCheckpointAt = Date.now();
  const bytes = 900 + ((a.seq * 7919) % 5200) + a.callStack.length * 310;
  const cp: Checkpoint = { seq: a.seq, savedAt: new Date().toISOString(), status: a.state, bytes, callStack: [...a.callStack] };
  if (corrupt) cp.corrupt = corrupt;
  a.checkpoints.push(cp);
  if (a.checkpoints.length > 10) a.checkpoints.shift();
  emit('checkpointed', a, { seq: a.seq, state: a.state, bytes, durationMs: 3 + (a.seq % 9), recorded });
}
function to(state: State, stack: string[]) {
  return (a: Agent) => {
    a.state = state;
    a.callStack = stack;
    const [kind, name] = (stack.at(-1) ?? '').split(' ');
    if (state === 'waiting') emit('waiting', a, { for: kind === 'sleep' ? 'sleep' : 'receive', name: name ?? '' });
    if (state === 'completed') emit('completed', a, { result: { ok: true } });
    checkpoint(a, [stack.at(-1) ?? state]);
  };
}
function addAgent(init: Partial<Agent> & Pick<Agent, 'agentId' | 'playbook' | 'state'>, history = 3, ageMs = 4000): Agent {
  const a: Agent = {
    host: SELF, restarts: 0, lastError: null, callStack: [], quarantined: false, supervisor: null, checkpoints: [], seq: 0,
    lastCheckpointAt: null, plan: [], nextAt: 0, restartingUntil: 0, ...init,
  };
  for (let i = 0; i < history; i++) {
    a.seq += 1;
    const savedAt = Date.now() - ageMs - (history - 1 - i) * 47_000;
    a.checkpoints.push({ seq: a.seq, savedAt: new Date(savedAt).toISOString(), status: i === history - 1 ? a.state : 'running',
      bytes: 700 + a.seq * 413, callStack: [a.playbook, ...a.callStack.slice(1, 1 + (i % a.callStack.length || 0))] });
    a.lastCheckpointAt = savedAt;
  }
  agents.set(a.agentId, a);
  return a;
}
function schedule(a: Agent, plan: Agent['plan']): void {
  a.plan = plan;
  a.nextAt = Date.now() + (plan[0]?.inMs ?? 0);
}
function spawnOrder(): void {
  const a = addAgent({ agentId: `order-${nextOrder++}`, playbook: 'order-fulfillment', state: 'running', supervisor: 'orders-sup',
    callStack: ['order-fulfillment', 'step ReserveStock'] }, 0);
  emit('spawned', a);
  checkpoint(a, ['input']);
  const pb = 'order-fulfillment';
  schedule(a, [
    { inMs: 2000, run: to('running', [pb, 'step ChargeCard']) },
    { inMs: 2000, run: to('waiting', [pb, 'receive shipment.confirmed']) },
    { inMs: 3000, run: to('running', [pb, 'call NotifyCustomer', 'step SendReceipt']) },
    { inMs: 2000, run: to('completed', []) },
    { inMs: 12000, run: () => { spawnOrder(); pruneOrders(); } },
  ]);
}
function pruneOrders(): void {
  const done = [...agents.values()].filter((a) => a.playbook === 'order-fulfillment' && a.state === 'completed');
  for (const a of done.slice(0, Math.max(0, done.length - 3))) agents.delete(a.agentId);
}
function crawlerLoop(a: Agent): Agent['plan'] {
  const pages = [a.playbook, 'call CrawlSection', 'step FetchPage'];
  return [
    { inMs: 3000, run: (x) => { x.callStack = pages; checkpoint(x, ['step FetchPage']); } },
    { inMs: 3000, run: (x) => { x.callStack = [x.playbook, 'call CrawlSection', 'step ParseLinks']; checkpoint(x, ['step ParseLinks']); } },
    { inMs: 3000, run: (x) => { checkpoint(x, ['call CrawlSection']); x.plan.push(...crawlerLoop(x)); } },
  ];
}
function crash(a: Agent): void {
  const error = { name: 'FetchError', message: 'ECONNRESET while fetching https://shop.example/sitemap-7.xml', code: 'ECONNRESET' };
  a.lastError = error;
  a.restarts += 1;
  a.restartingUntil = Date.now() + 1600;
  crashes.push(Date.now());
  emit('failed', a, { error });
  emit('supervisor.restarting', a, { supervisor: 'ingest-sup', restarts: a.restarts, delayMs: 1600 });
  setTimeout(() => emit('restarted', a, { seq: a.seq, resumeAt: a.callStack.at(-1) ?? 'start' }), 1600);
}

function seed(): void {
  spawnOrder();
  addAgent({ agentId: 'email-digest-4', playbook: 'email-digest', state: 'completed', supervisor: 'root' }, 6, 3_600_000 * 5);
  const eu1 = addAgent({ agentId: 'crawler-eu-1', playbook: 'site-crawler', state: 'running', supervisor: 'ingest-sup',
    callStack: ['site-crawler', 'call CrawlSection', 'step FetchPage'] }, 8, 1500);
  schedule(eu1, crawlerLoop(eu1));
  const eu2 = addAgent({ agentId: 'crawler-eu-2', playbook: 'site-crawler', state: 'running', supervisor: 'ingest-sup', restarts: 2,
    callStack: ['site-crawler', 'step FetchPage'] }, 8, 2500);
  schedule(eu2, [{ inMs: 1500, run: () => {} }, ...crawlerLoop(eu2)]);
  addAgent({ agentId: 'invoice-88', playbook: 'invoice-reconcile', state: 'failed', supervisor: 'billing-sup', restarts: 1,
    callStack: ['invoice-reconcile', 'call SettleInvoice', 'step ChargeCard'],
    lastError: { name: 'StepFailedError', message: 'step ChargeCard failed after 5 attempts: card_declined', code: 'STEP_FAILED' } }, 5, 95_000);
  const ledger = addAgent({ agentId: 'ledger-sync-3', playbook: 'ledger-sync', state: 'failed', supervisor: 'billing-sup', quarantined: true,
    restarts: 3, callStack: ['ledger-sync', 'call PostEntries', 'step WriteBatch'],
    lastError: { name: 'CheckpointCorruptError', message: 'checkpoint 7 failed its checksum; agent quarantined', code: 'CHECKPOINT_CORRUPT' } }, 6, 610_000);
  ledger.checkpoints.push({ seq: 7, savedAt: new Date(Date.now() - 600_000).toISOString(), status: 'running', bytes: 18_240, callStack: [],
    corrupt: 'checksum mismatch (expected 9f2c41e0, got 1b07aa93)' });
  ledger.seq = 7;
  const triage = addAgent({ agentId: 'support-triage-12', playbook: 'support-triage', state: 'waiting', supervisor: 'root',
    callStack: ['support-triage', 'call Escalate', 'sleep follow-up'] }, 4, 20_000);
  const triageLoop = (): Agent['plan'] => [
    { inMs: 9000, run: to('running', ['support-triage', 'call Escalate', 'step NotifyOnCall']) },
    { inMs: 2500, run: (x) => { to('waiting', ['support-triage', 'receive customer.reply'])(x); x.plan.push(...triageLoop()); } },
  ];
  schedule(triage, triageLoop());
  addAgent({ agentId: 'nightly-report', playbook: 'nightly-report', state: 'stopped', supervisor: 'root',
    callStack: ['nightly-report', 'step RenderPdf'] }, 3, 7_200_000);
  addAgent({ agentId: 'crawler-us-1', host: 'host-b7', playbook: 'site-crawler', state: 'running',
    callStack: ['site-crawler', 'step FetchPage'] }, 9, 2000);
  addAgent({ agentId: 'pricing-sync-2', host: 'host-b7', playbook: 'pricing-sync', state: 'waiting',
    callStack: ['pricing-sync', 'receive prices.updated'] }, 2, 41_000);
}

function tick(): void {
  const now = Date.now();
  for (const a of [...agents.values()]) {
    while (a.plan.length && now >= a.nextAt) {
      const step = a.plan.shift()!;
      step.run(a);
      a.nextAt = now + (a.plan[0]?.inMs ?? 0);
    }
  }
  const eu2 = agents.get('crawler-eu-2');
  if (eu2 && eu2.state === 'running' && now - (crashes.at(-1) ?? startedAt - 9000) >= 15_000) crash(eu2);
  ticks += 1;
  if (ticks % 60 === 0) { remoteHostUp = !remoteHostUp; broadcast('hosts', {}); }
  const us1 = agents.get('crawler-us-1');
  if (us1 && ticks % 8 === 0) checkpoint(us1, ['step FetchPage']);
}

// ---------- API views ----------
function summary(a: Agent) {
  return {
    agentId: a.agentId, host: a.host, playbook: a.playbook, state: a.state, seq: a.seq,
    lastCheckpointAgeMs: a.lastCheckpointAt == null ? null : Date.now() - a.lastCheckpointAt,
    restarts: a.restarts, lastError: a.lastError, callStack: a.callStack, quarantined: a.quarantined, supervisor: a.supervisor,
  };
}
function overview() {
  const counts = { running: 0, waiting: 0, completed: 0, failed: 0, stopped: 0 };
  for (const a of agents.values()) counts[a.state] += 1;
  const on = (h: string) => [...agents.values()].filter((a) => a.host === h).length;
  type Host = { hostId: string; namespace: string; self: boolean; lastSeenMs: number; agents: number; nats: { connected: boolean; reason?: string } | null };
  const hosts: Host[] = [
    { hostId: SELF, namespace: NAMESPACE, self: true, lastSeenMs: 0, agents: on(SELF), nats: { connected: true } },
    { hostId: 'host-b7', namespace: NAMESPACE, self: false, lastSeenMs: Date.now() % 5000, agents: on('host-b7'), nats: { connected: true } },
  ];
  if (remoteHostUp) {
    hosts.push({ hostId: 'host-c3', namespace: NAMESPACE, self: false, lastSeenMs: 48_000 + (Date.now() % 1000), agents: 0,
      nats: { connected: false, reason: 'stale connection' } });
  }
  return { hosts, counts, generatedAt: new Date().toISOString() };
}
function workerChild(id: string, restart: 'permanent' | 'transient' | 'temporary') {
  const a = agents.get(id);
  if (!a) return { id, type: 'worker', restart, state: 'stopped', restarts: 0 };
  const restarting = a.restartingUntil > Date.now();
  const state = restarting ? 'restarting' : a.state === 'running' || a.state === 'waiting' ? 'running' : a.state === 'stopped' ? 'stopped' : 'exited';
  const lastExit = a.state === 'completed' ? { reason: 'normal' } : a.state === 'stopped' ? { reason: 'shutdown' }
    : a.state === 'failed' ? { reason: a.quarantined ? 'quarantine' : 'crash', error: a.lastError?.message }
      : a.lastError ? { reason: 'crash', error: a.lastError.message } : undefined;
  return { id, type: 'worker', restart, state, restarts: a.restarts, ...(lastExit ? { lastExit } : {}) };
}
function supervisors() {
  const window = crashes.filter((t) => Date.now() - t < 60_000).length;
  const of = (sup: string) => [...agents.values()].filter((a) => a.supervisor === sup).map((a) => a.agentId);
  const sub = (id: string, strategy: string, maxRestarts: number, periodSeconds: number, restartsInPeriod: number, children: unknown[]) => ({
    id, type: 'supervisor', restart: 'permanent', state: 'running', restarts: 0,
    supervisor: { id, strategy, maxRestarts, periodSeconds, restartsInPeriod, state: 'running', children },
  });
  const root = {
    id: 'root', strategy: 'one_for_one', maxRestarts: 5, periodSeconds: 60, restartsInPeriod: 0, state: 'running',
    children: [
      sub('ingest-sup', 'rest_for_one', 5, 60, window, of('ingest-sup').map((id) => workerChild(id, 'permanent'))),
      sub('billing-sup', 'one_for_all', 3, 60, 2, of('billing-sup').map((id) => workerChild(id, 'transient'))),
      sub('orders-sup', 'one_for_one', 10, 60, 0, of('orders-sup').map((id) => workerChild(id, 'transient'))),
      ...of('root').map((id) => workerChild(id, id === 'nightly-report' ? 'temporary' : 'permanent')),
    ],
  };
  return { supervisors: [root] };
}

// ---------- actions ----------
type Reply = { status: number; body: unknown };
const fail = (status: number, code: string, message: string): Reply => ({ status, body: { ok: false, error: { code, message } } });
function act(a: Agent, action: string, body: unknown): Reply {
  const pb = a.playbook;
  if (action === 'stop') {
    if (a.state !== 'running' && a.state !== 'waiting') return fail(409, 'AGENT_NOT_RUNNING', `agent ${a.agentId} is ${a.state}, not running`);
    a.plan = [];
    a.state = 'stopped';
    emit('stopped', a);
    checkpoint(a, ['stop']);
    return { status: 200, body: { ok: true, state: a.state } };
  }
  if (action === 'resume') {
    if (a.state !== 'stopped') return fail(409, 'AGENT_NOT_STOPPED', `agent ${a.agentId} is ${a.state}; only a stopped agent can be resumed`);
    a.state = 'running';
    emit('restarted', a, { seq: a.seq, resumeAt: a.callStack.at(-1) ?? 'start' });
    schedule(a, [{ inMs: 3000, run: (x) => checkpoint(x, ['step RenderPdf']) }, { inMs: 4000, run: to('completed', []) }]);
    return { status: 200, body: { ok: true, state: a.state } };
  }
  if (action === 'retry') {
    if (a.state !== 'failed') return fail(409, 'AGENT_NOT_FAILED', `agent ${a.agentId} is ${a.state}; only a failed agent can be retried`);
    if (a.quarantined) {
      return fail(409, 'AGENT_QUARANTINED', `agent ${a.agentId} is quarantined: its latest checkpoint is corrupt; recover it from a good checkpoint`);
    }
    return restartFrom(a, a.checkpoints.filter((c) => !c.corrupt).at(-1)?.seq ?? 1, pb);
  }
  const fromSeq = (body as { fromSeq?: unknown } | null)?.fromSeq;
  if (typeof fromSeq !== 'number' || !Number.isInteger(fromSeq)) return fail(400, 'BAD_REQUEST', 'body must be { "fromSeq": <integer> }');
  if (a.state === 'running' || a.state === 'waiting') return fail(409, 'AGENT_RUNNING', `agent ${a.agentId} is ${a.state}; stop it first`);
  const cp = a.checkpoints.find((c) => c.seq === fromSeq);
  if (!cp) return fail(404, 'CHECKPOINT_NOT_FOUND', `agent ${a.agentId} has no checkpoint ${fromSeq} (kept: ${a.checkpoints.map((c) => c.seq).join(', ')})`);
  if (cp.corrupt) return fail(409, 'CHECKPOINT_CORRUPT', `checkpoint ${fromSeq} of ${a.agentId} is corrupt: ${cp.corrupt}`);
  a.checkpoints = a.checkpoints.filter((c) => c.seq <= fromSeq);
  a.seq = fromSeq;
  a.quarantined = false;
  a.callStack = cp.callStack.length ? [...cp.callStack] : [pb];
  return restartFrom(a, fromSeq, pb);
}
function restartFrom(a: Agent, seq: number, pb: string): Reply {
  a.state = 'running';
  a.restarts += 1;
  emit('restarted', a, { seq, resumeAt: a.callStack.at(-1) ?? 'start' });
  schedule(a, [
    { inMs: 2500, run: (x) => { x.callStack = [pb, 'call Finish']; checkpoint(x, ['call Finish']); } },
    { inMs: 3000, run: (x) => { x.lastError = null; to('completed', [])(x); } },
  ]);
  return { status: 200, body: { ok: true, state: a.state, fromSeq: seq } };
}

// ---------- HTTP ----------
const streams = new Set<ServerResponse>();
function broadcast(event: string, data: unknown): void {
  const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  for (const res of streams) res.write(frame);
}
function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  if (!text) return null;
  try { return JSON.parse(text); } catch { return undefined; }
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://preview');
  const path = url.pathname;
  if (req.method === 'GET' && path === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(dashboardPage());
    return;
  }
  if (!path.startsWith('/api/')) return send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${path}` } });
  const given = path === '/api/events' ? url.searchParams.get('token') : req.headers.authorization?.replace(/^Bearer /, '');
  if (token && given !== token) return send(res, 401, { error: { code: 'UNAUTHORIZED', message: 'token required' } });

  if (req.method === 'GET' && path === '/api/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 2000\n: connected\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  if (req.method === 'GET' && path === '/api/overview') return send(res, 200, overview());
  if (req.method === 'GET' && path === '/api/agents') return send(res, 200, { agents: [...agents.values()].map(summary) });
  if (req.method === 'GET' && path === '/api/supervisors') return send(res, 200, supervisors());
  const m = /^\/api\/agents\/([^/]+)(?:\/(stop|resume|retry|recover))?$/.exec(path);
  const a = m ? agents.get(decodeURIComponent(m[1]!)) : undefined;
  if (m && !a) return send(res, 404, { error: { code: 'AGENT_NOT_FOUND', message: `no agent ${decodeURIComponent(m[1]!)}` } });
  if (m && a && req.method === 'GET' && !m[2]) return send(res, 200, { agent: summary(a), checkpoints: a.checkpoints });
  if (m && a && req.method === 'POST' && m[2]) {
    const body = await readBody(req);
    if (body === undefined) return send(res, 400, { ok: false, error: { code: 'BAD_REQUEST', message: 'the body is not JSON' } });
    await new Promise((r) => setTimeout(r, 120));
    const reply = act(a, m[2], body);
    return send(res, reply.status, reply.body);
  }
  send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${path}` } });
});

seed();
setInterval(tick, 500).unref();
setInterval(() => { for (const res of streams) res.write(': ping\n\n'); }, 15_000).unref();
const port = Number(process.argv[2] ?? 7070);
server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  console.log(`dashboard preview on http://127.0.0.1:${actual}/${token ? '?token=' + encodeURIComponent(token) : ''}`);
});
