/**
 * The dashboard page's browser script: plain modern JavaScript, inlined by `dashboardPage`.
 * Data goes into the DOM only through textContent and attributes (never innerHTML).
 * Kept in a `String.raw` template: it must contain no backtick and no dollar-brace.
 */
export const PAGE_SCRIPT = String.raw`
(() => {
  'use strict';
  const STATES = ['running', 'waiting', 'completed', 'failed', 'stopped'];
  const FIELDS = ['agentId', 'playbook', 'state', 'seq', 'age', 'restarts', 'host', 'error'];
  const ACTIONS = {
    stop: { label: 'Stop', ask: (id) => 'Stop agent "' + id + '"?\n\nIt stops for good, with a final checkpoint in state "stopped".' },
    resume: { label: 'Resume', ask: (id) => 'Resume agent "' + id + '" from its latest checkpoint?' },
    retry: { label: 'Retry', ask: (id) => 'Retry agent "' + id + '"?\n\nIt restarts from its last good checkpoint.' },
    recover: { label: 'Recover', ask: (id, seq) => 'Recover agent "' + id + '" from checkpoint #' + seq + '?\n\nIt runs again from that checkpoint.' },
  };
  const token = new URLSearchParams(location.search).get('token') || '';
  const $ = (id) => document.getElementById(id);
  const S = {
    overview: null, agents: [], supervisors: [], fetchedAt: 0,
    selectedId: null, selectedSeq: null, detail: null, detailFor: null, detailMissing: false,
    authError: false, netError: null, busy: false, filter: '', stateFilter: '',
  };

  // ---------- helpers ----------
  function h(tag, attrs, ...kids) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const kid of kids.flat()) if (kid != null && kid !== false) node.append(kid instanceof Node ? kid : String(kid));
    return node;
  }
  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }
  function sig(key, value) {
    const s = JSON.stringify(value);
    if (sig.last[key] === s) return false;
    sig.last[key] = s;
    return true;
  }
  sig.last = {};
  function fmtAgo(ms) {
    if (ms == null || !isFinite(ms)) return '';
    const s = Math.floor(Math.max(0, ms) / 1000);
    if (s < 1) return 'just now';
    if (s < 60) return s + 's ago';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + String(s % 60).padStart(2, '0') + 's ago';
    const hr = Math.floor(m / 60);
    if (hr < 24) return hr + 'h ' + String(m % 60).padStart(2, '0') + 'm ago';
    return Math.floor(hr / 24) + 'd ' + (hr % 24) + 'h ago';
  }
  function fmtBytes(n) {
    if (typeof n !== 'number' || !isFinite(n)) return '';
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KB';
    return (n / 1048576).toFixed(1) + ' MB';
  }
  function fmtTime(iso) {
    const d = new Date(iso);
    if (!iso || isNaN(d.getTime())) return iso || '';
    const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
    return d.toDateString() === new Date().toDateString() ? time : d.toLocaleDateString() + ' ' + time;
  }
  /** Checkpoint ages are relative to when the data was fetched; they keep counting between fetches. */
  const sinceFetch = () => (S.fetchedAt ? Date.now() - S.fetchedAt : 0);
  /** A host's lastSeenMs is an age (ms since its last heartbeat, 0 for this host) when fetched. */
  const hostAgo = (v) => (typeof v !== 'number' ? null : v + sinceFetch());
  const errorText = (e) => (e ? (e.message || e.name || 'error') + (e.code ? ' (' + e.code + ')' : '') : '');

  // ---------- HTTP ----------
  async function api(path, init) {
    init = init || {};
    const headers = Object.assign({ Accept: 'application/json' }, init.headers);
    if (token) headers.Authorization = 'Bearer ' + token;
    let res;
    try {
      res = await fetch(path, Object.assign({}, init, { headers, cache: 'no-store' }));
    } catch (err) {
      throw Object.assign(new Error('the dashboard server did not answer (' + err.message + ')'), { network: true });
    }
    let body = null;
    const text = await res.text();
    try { body = text ? JSON.parse(text) : null; } catch { body = null; }
    if (res.status === 401) { setAuthError(true); throw Object.assign(new Error('token required'), { status: 401 }); }
    setAuthError(false);
    return { status: res.status, ok: res.ok, body };
  }
  async function getJson(path) {
    const r = await api(path);
    if (!r.ok) throw Object.assign(new Error(errorText(r.body && r.body.error) || 'HTTP ' + r.status + ' from ' + path), { status: r.status });
    return r.body || {};
  }
  async function fetchDetail(id) {
    try {
      return { id, data: await getJson('/api/agents/' + encodeURIComponent(id)), missing: false };
    } catch (err) {
      if (err.status === 404) return { id, data: null, missing: true };
      throw err;
    }
  }
  function applyDetail(d) {
    if (!d || d.id !== S.selectedId) return;
    S.detailFor = d.id; S.detail = d.data; S.detailMissing = d.missing;
    const cps = (d.data && d.data.checkpoints) || [];
    if (S.selectedSeq != null && !cps.some((c) => c.seq === S.selectedSeq && !c.corrupt)) S.selectedSeq = null;
  }

  let inflight = null, again = false;
  function refresh() {
    if (inflight) { again = true; return inflight; }
    inflight = (async () => {
      try {
        const id = S.selectedId;
        const [ov, ag, sv, det] = await Promise.all([
          getJson('/api/overview'), getJson('/api/agents'), getJson('/api/supervisors'),
          id ? fetchDetail(id).catch(() => null) : null, // a failing detail keeps the last one shown
        ]);
        S.overview = ov; S.agents = ag.agents || []; S.supervisors = sv.supervisors || []; S.fetchedAt = Date.now();
        applyDetail(det);
        setNetError(null);
        renderAll();
      } catch (err) {
        if (err.status !== 401) setNetError(err);
      } finally {
        inflight = null;
        if (again) { again = false; refresh(); }
      }
    })();
    return inflight;
  }
  let debounce = null;
  function scheduleRefresh() {
    if (debounce) return;
    debounce = setTimeout(() => { debounce = null; refresh(); }, 150);
  }

  // ---------- banners, toasts, live indicator ----------
  function setAuthError(on) {
    if (S.authError === on) return;
    S.authError = on;
    document.body.classList.toggle('is-locked', on);
    renderBanner();
  }
  function setNetError(err) {
    const msg = err ? err.message : null;
    if (S.netError === msg) return;
    S.netError = msg;
    $('updated').classList.toggle('stale', !!msg);
    renderBanner();
  }
  function renderBanner() {
    const b = $('banner');
    b.replaceChildren();
    if (S.authError) {
      b.dataset.kind = 'auth';
      b.append(h('div', { class: 'banner-text' },
        h('strong', { text: token ? 'Token rejected' : 'Token required' }),
        token ? 'The dashboard did not accept the token in this URL. Check ' : 'This dashboard needs an access token. Open it as ',
        token ? h('code', { text: '[dashboard] token' }) : h('code', { text: location.pathname + '?token=<your token>' }),
        token ? ' in playbooks.toml.' : ' (the token is [dashboard] token in playbooks.toml).'));
    } else if (S.netError) {
      b.dataset.kind = 'warn';
      b.append(h('div', { class: 'banner-text' }, h('strong', { text: 'Cannot load the dashboard data' }),
        S.netError + '. Retrying every 5 s; the data below may be stale.'));
    }
    b.hidden = !S.authError && !S.netError;
  }
  function toast(kind, title, detail) {
    const box = $('toast');
    const t = h('div', { class: 'toast toast-' + kind, role: kind === 'error' ? 'alert' : 'status' },
      h('div', { class: 'toast-title', text: title }),
      detail ? h('div', { class: 'toast-detail', text: detail }) : null,
      h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', text: String.fromCharCode(215) }));
    t.querySelector('.toast-close').addEventListener('click', () => t.remove());
    box.append(t);
    while (box.children.length > 3) box.firstElementChild.remove();
    setTimeout(() => t.remove(), kind === 'error' ? 12000 : 4500);
  }
  function setLive(on) {
    const el = $('live');
    setText(el, on ? 'live' : 'offline');
    el.dataset.state = on ? 'live' : 'offline';
    el.title = on ? 'Receiving live events' : 'Event stream disconnected; reconnecting (polling every 5 s meanwhile)';
  }

  // ---------- rendering ----------
  function renderAll() {
    renderHeader(); renderCounts(); renderTable(); renderTree(); renderHosts(); renderDetail();
  }
  function renderHeader() {
    const hosts = (S.overview && S.overview.hosts) || [];
    const self = hosts.find((x) => x.self);
    const spaces = [...new Set(hosts.map((x) => x.namespace).filter(Boolean))];
    setText($('namespace'), (self && self.namespace) || spaces.join(', ') || '-');
    tickHeader();
  }
  function tickHeader() {
    if (!S.overview) return;
    const at = S.overview.generatedAt;
    setText($('updated'), 'Updated ' + (fmtTime(at) || fmtTime(new Date(S.fetchedAt).toISOString())));
  }
  function renderCounts() {
    const counts = (S.overview && S.overview.counts) || {};
    for (const st of STATES) {
      const n = Number(counts[st] || 0);
      setText(document.querySelector('[data-testid="count-' + st + '"]'), String(n));
      const card = document.querySelector('.count-card[data-state="' + st + '"]');
      card.setAttribute('aria-pressed', String(S.stateFilter === st));
      if (st === 'failed') card.classList.toggle('alert', n > 0);
    }
  }
  function matches(a) {
    if (S.stateFilter && a.state !== S.stateFilter) return false;
    const q = S.filter.trim().toLowerCase();
    if (!q) return true;
    const e = a.lastError || {};
    const hay = [a.agentId, a.playbook, a.host, a.supervisor, a.state, e.name, e.message, e.code, a.quarantined ? 'quarantined' : '']
      .filter(Boolean).join(' ').toLowerCase();
    return q.split(/\s+/).every((w) => hay.includes(w));
  }
  const rows = new Map();
  function makeRow(id) {
    const tr = h('tr', { 'data-agent-id': id, tabindex: '0', 'aria-selected': 'false' });
    for (const f of FIELDS) tr.append(h('td', { 'data-field': f, class: f === 'seq' || f === 'restarts' ? 'num' : null }));
    tr.cells[2].append(h('span', { class: 'badge' }));
    return tr;
  }
  function updateRow(tr, a) {
    const c = tr.cells;
    setText(c[0], a.agentId);
    c[0].classList.toggle('quarantined', !!a.quarantined);
    c[0].title = a.agentId + (a.supervisor ? ' (supervisor ' + a.supervisor + ')' : '') + (a.quarantined ? ', quarantined' : '');
    setText(c[1], a.playbook || '');
    c[1].title = a.playbook || '';
    const badge = c[2].firstChild;
    setText(badge, a.state);
    badge.dataset.state = a.state;
    setText(c[3], String(a.seq));
    c[4].dataset.age = a.lastCheckpointAgeMs == null ? '' : String(a.lastCheckpointAgeMs);
    setText(c[4], a.lastCheckpointAgeMs == null ? '' : fmtAgo(a.lastCheckpointAgeMs + sinceFetch()));
    setText(c[5], String(a.restarts));
    c[5].classList.toggle('hot', a.restarts > 0);
    setText(c[6], a.host || '');
    c[6].title = a.host || '';
    setText(c[7], a.lastError ? a.lastError.message || a.lastError.name || '' : '');
    c[7].title = a.lastError ? [a.lastError.name, a.lastError.code, a.lastError.message].filter(Boolean).join(' | ') : '';
    const sel = a.agentId === S.selectedId;
    tr.classList.toggle('selected', sel);
    tr.setAttribute('aria-selected', String(sel));
  }
  let emptyRow = null;
  function renderTable() {
    const body = $('agent-rows');
    const shown = S.agents.filter(matches);
    const keep = new Set(shown.map((a) => a.agentId));
    for (const [id, tr] of rows) if (!keep.has(id)) { tr.remove(); rows.delete(id); }
    if (emptyRow) { emptyRow.remove(); emptyRow = null; }
    for (const child of [...body.children]) if (!child.dataset.agentId) child.remove();
    shown.forEach((a, i) => {
      let tr = rows.get(a.agentId);
      if (!tr) { tr = makeRow(a.agentId); rows.set(a.agentId, tr); }
      updateRow(tr, a);
      if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
    });
    if (!shown.length) {
      const msg = S.agents.length ? 'No agents match the filter.' : 'No agents yet.';
      emptyRow = h('tr', { class: 'empty-row' }, h('td', { colspan: '8', text: msg }));
      body.append(emptyRow);
    }
    const total = S.agents.length;
    setText($('agent-count'), shown.length === total ? total + (total === 1 ? ' agent' : ' agents') : shown.length + ' of ' + total + ' shown');
    const opts = $('state-filter').options;
    for (const o of opts) {
      const n = o.value ? S.agents.filter((a) => a.state === o.value).length : total;
      setText(o, (o.value ? o.value[0].toUpperCase() + o.value.slice(1) : 'All states') + ' (' + n + ')');
    }
  }
  function supNode(sup, asChild) {
    const used = Number(sup.restartsInPeriod) || 0, max = Number(sup.maxRestarts) || 0;
    const ratio = max > 0 ? used / max : used > 0 ? 1 : 0;
    const fill = h('span');
    fill.style.width = Math.min(100, Math.round(ratio * 100)) + '%';
    const st = asChild && (asChild.state === 'restarting' || asChild.state === 'starting') ? asChild.state : sup.state;
    const head = h('div', { class: 'sup-head' },
      h('span', { class: 'sup-icon', 'aria-hidden': 'true', text: 'S' }),
      h('span', { class: 'sup-id', text: sup.id }),
      h('span', { class: 'tag', title: 'restart strategy', text: sup.strategy }),
      asChild ? h('span', { class: 'tag', title: 'restart policy', text: asChild.restart }) : null,
      h('span', { class: 'badge child-state', 'data-child-state': st, text: st }),
      asChild && asChild.restarts > 0 ? h('span', { class: 'child-restarts hot', text: asChild.restarts + (asChild.restarts === 1 ? ' restart' : ' restarts') }) : null,
      h('span', { class: 'intensity', title: 'Restart intensity: restarts in the current period / restarts allowed before escalating' },
        h('span', { class: 'intensity-text', 'data-testid': 'intensity', text: used + ' / ' + max + ' in ' + sup.periodSeconds + ' s' }),
        h('span', { class: 'meter' + (ratio >= 1 ? ' bad' : ratio >= 0.6 ? ' warn' : '') }, fill)));
    const list = h('ul', { class: 'children' });
    for (const c of sup.children || []) list.append(childNode(c));
    if (!(sup.children || []).length) list.append(h('li', { class: 'none', text: 'no children' }));
    return h('div', { class: 'sup', 'data-supervisor-id': sup.id, 'data-state': sup.state }, head, list);
  }
  function exitLine(c) {
    const x = c.lastExit;
    if (!x) return null;
    const bad = x.reason === 'crash' || x.reason === 'quarantine';
    if (!bad && !x.error) return null;
    const text = 'last exit: ' + x.reason + (x.error ? ' - ' + x.error : '');
    return h('div', { class: 'child-exit' + (bad ? ' crash' : ''), title: text, text });
  }
  function childNode(c) {
    const li = h('li', { 'data-child-id': c.id, 'data-child-type': c.type });
    if (c.type === 'supervisor' && c.supervisor) {
      li.append(supNode(c.supervisor, c));
      const x = exitLine(c);
      if (x) li.firstChild.firstChild.append(x);
      return li;
    }
    li.append(h('div', { class: 'child-row' },
      c.type === 'worker'
        ? h('button', { type: 'button', class: 'child-id' + (c.id === S.selectedId ? ' current' : ''), 'data-select-agent': c.id, title: 'Show agent ' + c.id, text: c.id })
        : h('span', { class: 'sup-id', text: c.id }),
      h('span', { class: 'tag', title: 'restart policy', text: c.restart }),
      h('span', { class: 'badge child-state', 'data-child-state': c.state, 'data-exit': c.state === 'exited' && c.lastExit ? c.lastExit.reason : null,
        title: c.lastExit ? 'last exit: ' + c.lastExit.reason : null, text: c.state }),
      h('span', { class: 'child-restarts' + (c.restarts > 0 ? ' hot' : ''), text: c.restarts + (c.restarts === 1 ? ' restart' : ' restarts') }),
      exitLine(c)));
    return li;
  }
  function renderTree() {
    if (!sig('tree', [S.supervisors, S.selectedId])) return;
    const box = $('supervisor-tree');
    let sups = 0, workers = 0;
    const count = (s) => { sups++; for (const c of s.children || []) { if (c.supervisor) count(c.supervisor); else if (c.type === 'worker') workers++; } };
    S.supervisors.forEach(count);
    setText($('tree-sub'), sups ? sups + (sups === 1 ? ' supervisor' : ' supervisors') + ', ' + workers + (workers === 1 ? ' worker' : ' workers') : '');
    box.replaceChildren(...(S.supervisors.length ? S.supervisors.map((s) => supNode(s, null)) : [h('div', { class: 'empty', text: 'No supervisors running on this host.' })]));
  }
  function renderHosts() {
    const hosts = (S.overview && S.overview.hosts) || [];
    setText($('hosts-sub'), hosts.length + (hosts.length === 1 ? ' host' : ' hosts'));
    const box = $('hosts');
    box.replaceChildren(...hosts.map((x) => {
      const nats = x.nats;
      const seen = h('span', { 'data-seen': String(x.lastSeenMs) }, 'seen ' + fmtAgo(hostAgo(x.lastSeenMs)));
      const ago = hostAgo(x.lastSeenMs);
      const health = (nats && !nats.connected) || ago > 60000 ? 'bad' : ago > 15000 ? 'warn' : 'ok';
      return h('div', { class: 'host', 'data-host-id': x.hostId, 'data-health': health },
        h('span', { class: 'host-dot', title: health === 'ok' ? 'healthy' : health === 'warn' ? 'not seen recently' : 'unhealthy' }),
        h('div', { class: 'host-name' }, h('span', { text: x.hostId }), x.self ? h('span', { class: 'tag tag-accent', 'data-self': '', text: 'this host' }) : null),
        h('div', { class: 'host-agents' }, h('strong', { text: String(x.agents) }), x.agents === 1 ? 'agent' : 'agents'),
        h('div', { class: 'host-meta' }, seen, h('span', { text: x.namespace }),
          nats == null ? h('span', { text: 'NATS not used' })
            : nats.connected ? h('span', { class: 'nats-ok', text: 'NATS connected' })
              : h('span', { class: 'nats-bad', text: 'NATS disconnected' + (nats.reason ? ': ' + nats.reason : '') })));
    }));
    if (!hosts.length) box.append(h('div', { class: 'empty', text: 'No hosts reported.' }));
  }
  function selectedAgent() {
    const id = S.selectedId;
    return S.agents.find((a) => a.agentId === id) || (S.detailFor === id && S.detail ? S.detail.agent : null);
  }
  function renderDetail() {
    const id = S.selectedId;
    $('detail-empty').hidden = !!id;
    $('detail-body').hidden = !id;
    if (!id) return;
    const a = selectedAgent();
    const loaded = S.detailFor === id;
    const cps = loaded && S.detail ? S.detail.checkpoints || [] : null;
    setText($('d-id'), id);
    const badge = $('d-state');
    setText(badge, a ? a.state : loaded && S.detailMissing ? 'unknown' : 'loading');
    if (a) badge.dataset.state = a.state; else delete badge.dataset.state;
    $('d-quarantined').hidden = !(a && a.quarantined);
    const meta = a
      ? [['Playbook', a.playbook], ['Host', a.host || '-'], ['Supervisor', a.supervisor || '-'], ['Seq', String(a.seq)],
        ['Checkpointed', a.lastCheckpointAgeMs == null ? '-' : fmtAgo(a.lastCheckpointAgeMs + sinceFetch())], ['Restarts', String(a.restarts)]]
      : [['Status', loaded && S.detailMissing ? 'This agent is not known to the supervisor (any more).' : 'Loading...']];
    if (sig('meta', meta)) $('d-meta').replaceChildren(...meta.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
    const st = a ? a.state : null;
    const good = cps ? cps.filter((c) => !c.corrupt) : [];
    const why = {
      stop: st === 'running' || st === 'waiting' ? '' : 'Only a running or waiting agent can be stopped',
      resume: st === 'stopped' ? '' : 'Only a stopped agent can be resumed',
      retry: st === 'failed' ? '' : 'Only a failed agent can be retried',
      recover: !st ? 'Unknown agent' : st === 'running' || st === 'waiting' ? 'Stop the agent before recovering it from a checkpoint'
        : !cps ? 'Loading checkpoints...' : !good.length ? 'No readable checkpoint to recover from' : '',
    };
    for (const btn of document.querySelectorAll('#agent-detail button[data-action]')) {
      const reason = why[btn.dataset.action];
      btn.disabled = S.busy || !!reason;
      btn.title = reason || ACTIONS[btn.dataset.action].label + ' ' + id;
    }
    const err = a && a.lastError;
    if (sig('error', err || null)) {
      $('d-error').replaceChildren(err
        ? h('div', { class: 'error-box' }, h('span', { class: 'error-name', text: err.name || 'Error' }), err.code ? h('span', { class: 'tag tag-bad', text: err.code }) : null,
          h('div', { class: 'error-message', text: err.message || '' }))
        : h('div', { class: 'none', text: 'No error.' }));
    }
    const stack = (a && a.callStack) || [];
    if (sig('stack', [stack, st])) {
      $('d-stack').replaceChildren(...stack.map((f, i) => {
        const li = h('li', { text: f });
        li.style.setProperty('--depth', String(Math.min(i, 8)));
        return li;
      }));
      $('d-stack').hidden = !stack.length;
      $('d-stack-empty').hidden = !!stack.length;
      setText($('d-stack-empty'), st === 'running' || st === 'waiting' ? 'Empty: not inside a durable call.' : 'Empty: the agent is not running.');
    }
    setText($('d-cp-hint'), S.selectedSeq != null ? '#' + S.selectedSeq + ' selected for recover' : cps && cps.length ? 'click one to recover from it' : '');
    if (!sig('timeline', [id, cps, S.selectedSeq])) return;
    const tl = $('d-timeline');
    if (!cps) { tl.replaceChildren(h('li', { class: 'none', text: 'Loading checkpoints...' })); return; }
    if (!cps.length) { tl.replaceChildren(h('li', { class: 'none', text: 'No checkpoints.' })); return; }
    tl.replaceChildren(...[...cps].sort((x, y) => y.seq - x.seq).map((c) => {
      const sel = c.seq === S.selectedSeq;
      const li = h('li', { 'data-seq': String(c.seq), class: (c.corrupt ? 'corrupt' : '') + (sel ? ' selected' : ''), 'aria-selected': String(sel),
        'data-state': STATES.includes(c.status) ? c.status : null, title: c.corrupt ? 'corrupt: ' + c.corrupt : 'Select #' + c.seq + ' to recover from it' },
      h('div', { class: 'cp-row' }, h('span', { class: 'cp-seq', text: '#' + c.seq }),
        c.corrupt ? h('span', { class: 'tag tag-bad', text: 'corrupt' }) : c.status ? h('span', { class: 'badge', 'data-state': c.status, text: c.status }) : null,
        c.savedAt ? h('span', { class: 'cp-time', title: c.savedAt, text: fmtTime(c.savedAt) }) : null,
        sel ? h('span', { class: 'cp-pick', text: 'recover from' }) : null,
        h('span', { class: 'cp-size', text: fmtBytes(c.bytes) })),
      c.corrupt ? h('div', { class: 'cp-corrupt', text: c.corrupt })
        : c.callStack && c.callStack.length ? h('div', { class: 'cp-sub', text: c.callStack.join('  ' + String.fromCharCode(8250) + '  ') }) : null);
      return li;
    }));
  }

  // ---------- interaction ----------
  function writeHash() {
    const hash = S.selectedId ? '#agent=' + encodeURIComponent(S.selectedId) : '';
    history.replaceState(null, '', location.pathname + location.search + hash);
  }
  function readHash() {
    const m = /^#agent=(.+)$/.exec(location.hash);
    if (!m) return null;
    try { return decodeURIComponent(m[1]); } catch { return null; }
  }
  function select(id) {
    if (!id || S.selectedId === id) return;
    S.selectedId = id; S.selectedSeq = null; S.detail = null; S.detailFor = null; S.detailMissing = false;
    writeHash(); renderTable(); renderTree(); renderDetail();
    if (window.innerWidth < 1180) $('agent-detail').scrollIntoView({ behavior: 'smooth', block: 'start' });
    fetchDetail(id).then((d) => { applyDetail(d); renderDetail(); }, (err) => { if (err.status !== 401) setNetError(err); });
  }
  async function runAction(action) {
    const id = S.selectedId;
    const spec = ACTIONS[action];
    if (!id || !spec || S.busy) return;
    let body = null, seq = null;
    if (action === 'recover') {
      const cps = (S.detailFor === id && S.detail && S.detail.checkpoints) || [];
      const latest = cps.filter((c) => !c.corrupt).reduce((m, c) => Math.max(m, c.seq), 0);
      const def = S.selectedSeq != null ? S.selectedSeq : latest || '';
      const answer = window.prompt('Recover agent "' + id + '" from which checkpoint? (seq)', String(def));
      if (answer == null) return;
      seq = Number(answer.trim());
      if (!Number.isInteger(seq) || seq < 1) { toast('error', 'Recover cancelled', '"' + answer + '" is not a checkpoint seq.'); return; }
      body = JSON.stringify({ fromSeq: seq });
    }
    if (!window.confirm(spec.ask(id, seq))) return;
    S.busy = true; renderDetail();
    try {
      const r = await api('/api/agents/' + encodeURIComponent(id) + '/' + action,
        body ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body } : { method: 'POST' });
      const b = r.body || {};
      if (r.ok && b.ok !== false) toast('ok', spec.label + ' accepted', 'Agent ' + id + (seq != null ? ', from checkpoint #' + seq : '') + '.');
      else toast('error', spec.label + ' failed for ' + id, errorText(b.error) || 'HTTP ' + r.status);
    } catch (err) {
      toast('error', spec.label + ' failed for ' + id, err.status === 401 ? 'The dashboard needs a valid token.' : err.message);
    } finally {
      S.busy = false;
      renderDetail();
      refresh();
    }
  }

  // ---------- live events ----------
  const EV_CLASS = { failed: 'bad', fenced: 'bad', 'supervisor.escalated': 'bad', 'message.rejected': 'bad', restarted: 'warn', 'step.retrying': 'warn',
    'supervisor.restarting': 'warn', completed: 'good', spawned: 'info', waiting: 'info', stopped: '', checkpointed: '' };
  function eventSummary(e) {
    switch (e.type) {
      case 'restarted': return 'from #' + e.seq + (e.resumeAt ? ' at ' + e.resumeAt : '');
      case 'checkpointed': return '#' + e.seq + ' ' + fmtBytes(e.bytes) + (e.recorded && e.recorded.length ? ' - ' + e.recorded.join(', ') : '');
      case 'waiting': return (e.for || '') + ' ' + (e.name || '');
      case 'step.retrying': return (e.step || '') + ' attempt ' + e.attempt + ': ' + errorText(e.error);
      case 'message.rejected': return (e.messageType || '') + ': ' + (e.reason || '');
      case 'failed': case 'fenced': return errorText(e.error);
      case 'supervisor.restarting': return 'by ' + e.supervisor + ', restart ' + e.restarts + (e.delayMs ? ' in ' + e.delayMs + ' ms' : '');
      case 'supervisor.escalated': return e.supervisor + ': ' + (e.reason || '');
      default: return e.reason || (e.error ? errorText(e.error) : e.supervisor || '');
    }
  }
  function addEvent(e) {
    const list = $('events');
    const empty = list.querySelector('.ev-empty');
    if (empty) empty.remove();
    const cls = EV_CLASS[e.type] == null ? '' : EV_CLASS[e.type];
    const summary = eventSummary(e);
    list.prepend(h('li', { class: e.type === 'checkpointed' ? 'quiet' : null, title: summary },
      h('span', { class: 'ev-time', text: fmtTime(e.at || new Date().toISOString()).split(' ').pop() }),
      h('span', { class: 'ev-type ' + cls, text: String(e.type) }),
      h('span', { class: 'ev-body' }, e.agentId ? h('span', { class: 'ev-agent', text: e.agentId }) : null, summary ? '  ' + summary : '')));
    while (list.children.length > 80) list.lastElementChild.remove();
  }
  let backoff = 1000;
  function connect() {
    const es = new EventSource('/api/events' + (token ? '?token=' + encodeURIComponent(token) : ''));
    es.onopen = () => { backoff = 1000; setLive(true); scheduleRefresh(); };
    es.onerror = () => {
      setLive(false);
      if (es.readyState === EventSource.CLOSED) { es.close(); setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 30000); refresh(); }
    };
    es.addEventListener('lifecycle', (m) => {
      try { addEvent(JSON.parse(m.data)); } catch { /* a malformed event still triggers a refresh */ }
      scheduleRefresh();
    });
    es.addEventListener('hosts', () => scheduleRefresh());
  }

  // ---------- wiring ----------
  $('agent-rows').addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-agent-id]');
    if (tr) select(tr.dataset.agentId);
  });
  $('agent-rows').addEventListener('keydown', (ev) => {
    const tr = ev.target.closest('tr[data-agent-id]');
    if (!tr) return;
    if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(tr.dataset.agentId); }
    const next = ev.key === 'ArrowDown' ? tr.nextElementSibling : ev.key === 'ArrowUp' ? tr.previousElementSibling : null;
    if (next && next.dataset.agentId) { ev.preventDefault(); next.focus(); select(next.dataset.agentId); }
  });
  $('supervisor-tree').addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-select-agent]');
    if (b) select(b.dataset.selectAgent);
  });
  $('d-timeline').addEventListener('click', (ev) => {
    const li = ev.target.closest('li[data-seq]');
    if (!li) return;
    const seq = Number(li.dataset.seq);
    if (li.classList.contains('corrupt')) { toast('error', 'Checkpoint #' + seq + ' is corrupt', 'It cannot be recovered from.'); return; }
    S.selectedSeq = S.selectedSeq === seq ? null : seq;
    renderDetail();
  });
  for (const btn of document.querySelectorAll('#agent-detail button[data-action]')) btn.addEventListener('click', () => runAction(btn.dataset.action));
  $('filter').addEventListener('input', (ev) => { S.filter = ev.target.value; renderTable(); });
  $('state-filter').addEventListener('change', (ev) => { S.stateFilter = ev.target.value; renderCounts(); renderTable(); });
  for (const card of document.querySelectorAll('.count-card')) {
    card.addEventListener('click', () => {
      S.stateFilter = S.stateFilter === card.dataset.state ? '' : card.dataset.state;
      $('state-filter').value = S.stateFilter;
      renderCounts(); renderTable();
    });
  }
  window.addEventListener('hashchange', () => { const id = readHash(); if (id) select(id); });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  setInterval(() => { if (!document.hidden) refresh(); }, 5000);
  setInterval(() => {
    for (const td of document.querySelectorAll('td[data-field="age"]')) if (td.dataset.age) setText(td, fmtAgo(Number(td.dataset.age) + sinceFetch()));
    for (const s of document.querySelectorAll('#hosts [data-seen]')) setText(s, 'seen ' + fmtAgo(hostAgo(Number(s.dataset.seen))));
  }, 1000);

  S.selectedId = readHash();
  setLive(false);
  renderDetail();
  refresh();
  connect();
})();
`;
