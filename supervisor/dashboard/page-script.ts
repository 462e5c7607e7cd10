/**
 * The dashboard page's browser script: plain modern JavaScript, inlined by `dashboardPage`.
 * Data goes into the DOM only through textContent and attributes (never innerHTML).
 * Kept in `String.raw` templates: they must contain no backtick and no dollar-brace. The
 * script is one function scope assembled from three parts: state, helpers and HTTP (here),
 * rendering (page-script-render.ts), interaction and live events (page-script-events.ts).
 */
import { SCRIPT_EVENTS } from './page-script-events.js';
import { SCRIPT_RENDER } from './page-script-render.js';

const SCRIPT_CORE = String.raw`
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

`;

export const PAGE_SCRIPT = ['(() => {', "  'use strict';", SCRIPT_CORE, SCRIPT_RENDER, SCRIPT_EVENTS, '})();'].join('\n');
