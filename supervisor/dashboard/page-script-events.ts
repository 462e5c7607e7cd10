/** The dashboard script's interaction part (see page-script.ts): selection, actions, live events, wiring. */
export const SCRIPT_EVENTS = String.raw`
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
`;
