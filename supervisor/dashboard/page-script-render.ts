/** The dashboard script's rendering part (see page-script.ts): counts, table, tree, hosts, detail. */
export const SCRIPT_RENDER = String.raw`
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

`;
