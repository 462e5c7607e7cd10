import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';

const STATES = ['running', 'waiting', 'completed', 'failed', 'stopped'] as const;

/** The brand mark: three stacked checkpoints on a rail (inline SVG, no external asset). */
const LOGO = `<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
<rect x="1" y="1" width="22" height="22" rx="6" fill="#2563eb"/>
<path d="M8 6v12" stroke="#bfd3ff" stroke-width="2" stroke-linecap="round"/>
<circle cx="8" cy="7" r="2.2" fill="#fff"/><circle cx="8" cy="12" r="2.2" fill="#fff"/><circle cx="8" cy="17" r="2.2" fill="#fff"/>
<path d="M12.5 7h5M12.5 12h4M12.5 17h5.5" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/></svg>`;

const FAVICON =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect x="1" y="1" width="22" height="22" rx="6" fill="#2563eb"/>' +
      '<circle cx="8" cy="7" r="2.2" fill="#fff"/><circle cx="8" cy="12" r="2.2" fill="#fff"/><circle cx="8" cy="17" r="2.2" fill="#fff"/></svg>',
  );

/** Everything the page loads is inline; the policy keeps it that way (and pins fetches to this origin). */
const CSP = [
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function countCard(state: (typeof STATES)[number]): string {
  const label = state[0]!.toUpperCase() + state.slice(1);
  return `<button type="button" class="count-card" data-state="${state}" aria-pressed="false" title="Show only ${state} agents">
<span class="count-label">${label}</span><span class="count-value" data-testid="count-${state}">&ndash;</span></button>`;
}

/**
 * The supervisor health dashboard: one self-contained HTML document (inline CSS and script, no
 * external assets). It reads the dashboard's JSON API and its event stream from the same origin.
 */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>durable-playbooks · supervisor health</title>
<link rel="icon" href="${FAVICON}">
<style>${PAGE_STYLE}</style>
</head>
<body>
<header class="topbar">
  <div class="brand">${LOGO}<span class="brand-name">durable-playbooks</span><span class="brand-sep"></span><span class="brand-sub">Supervisor health</span></div>
  <div class="topbar-meta">
    <span>Namespace <strong id="namespace" data-testid="namespace">&ndash;</strong></span>
    <span id="updated" title="When the supervisor generated the data shown">not loaded yet</span>
    <span id="live" class="live" data-testid="live" data-state="offline" role="status" title="Live event stream">offline</span>
  </div>
</header>
<div id="banner" class="banner" data-testid="banner" role="alert" hidden></div>
<main>
  <section class="counts" aria-label="Agents by state">
${STATES.map(countCard).join('\n')}
  </section>
  <div class="layout">
    <div class="col">
      <section class="panel p-agents" aria-labelledby="agents-title">
        <div class="panel-head">
          <h2 id="agents-title">Agents</h2><span class="panel-sub" id="agent-count"></span>
          <div class="toolbar">
            <input id="filter" class="input" data-testid="filter" type="search" placeholder="Filter by id, playbook, host, error&hellip;" aria-label="Filter agents" autocomplete="off">
            <select id="state-filter" class="input" data-testid="state-filter" aria-label="Filter by state">
              <option value="">All states</option>
${STATES.map((s) => `              <option value="${s}">${s[0]!.toUpperCase() + s.slice(1)}</option>`).join('\n')}
            </select>
          </div>
        </div>
        <div class="table-wrap">
          <table class="agents" data-testid="agent-table">
            <colgroup><col class="c-agent"><col class="c-playbook"><col class="c-state"><col class="c-seq"><col class="c-age"><col class="c-restarts"><col class="c-host"><col class="c-error"></colgroup>
            <thead><tr>
              <th scope="col">Agent</th><th scope="col">Playbook</th><th scope="col">State</th><th scope="col" class="num">Seq</th>
              <th scope="col" title="Time since the last checkpoint">Checkpointed</th><th scope="col" class="num">Restarts</th><th scope="col">Host</th><th scope="col">Last error</th>
            </tr></thead>
            <tbody id="agent-rows"><tr class="empty-row"><td colspan="8">Loading&hellip;</td></tr></tbody>
          </table>
        </div>
      </section>
      <section class="panel p-tree" aria-labelledby="tree-title">
        <div class="panel-head"><h2 id="tree-title">Supervision tree</h2><span class="panel-sub" id="tree-sub"></span></div>
        <div id="supervisor-tree" class="tree" data-testid="supervisor-tree"><div class="empty">Loading&hellip;</div></div>
      </section>
    </div>
    <div class="col">
      <section id="agent-detail" class="panel p-detail" data-testid="agent-detail" aria-labelledby="detail-title">
        <div class="panel-head"><h2 id="detail-title">Agent</h2></div>
        <div id="detail-empty" class="empty">Select an agent to see its call stack, checkpoints and actions.</div>
        <div id="detail-body" class="panel-body" hidden>
          <div class="detail-title"><span id="d-id" class="detail-id" data-testid="detail-id"></span><span id="d-state" class="badge"></span><span id="d-quarantined" class="tag tag-bad" hidden>quarantined</span></div>
          <dl id="d-meta" class="kv"></dl>
          <div class="actions">
            <button type="button" class="btn btn-danger" data-action="stop">Stop</button>
            <button type="button" class="btn" data-action="resume">Resume</button>
            <button type="button" class="btn btn-primary" data-action="retry">Retry</button>
            <button type="button" class="btn" data-action="recover">Recover&hellip;</button>
          </div>
          <h3>Last error</h3>
          <div id="d-error" data-testid="last-error"></div>
          <h3>Call stack <span class="h3-note">outermost first</span></h3>
          <ol id="d-stack" class="stack" data-testid="call-stack"></ol><div id="d-stack-empty" class="none" hidden></div>
          <h3>Checkpoints <span id="d-cp-hint" class="h3-note"></span></h3>
          <ul id="d-timeline" class="timeline" data-testid="checkpoint-timeline"></ul>
        </div>
      </section>
      <section class="panel p-hosts" aria-labelledby="hosts-title">
        <div class="panel-head"><h2 id="hosts-title">Hosts</h2><span class="panel-sub" id="hosts-sub"></span></div>
        <div id="hosts" class="hosts" data-testid="hosts"><div class="empty">Loading&hellip;</div></div>
      </section>
      <section class="panel p-events" aria-labelledby="events-title">
        <div class="panel-head"><h2 id="events-title">Recent events</h2><span class="panel-sub">from the live stream</span></div>
        <ol id="events" class="events" data-testid="events"><li class="ev-empty">Waiting for events&hellip;</li></ol>
      </section>
    </div>
  </div>
</main>
<div id="toast" class="toasts" data-testid="toast" aria-live="polite"></div>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
