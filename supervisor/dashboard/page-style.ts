/** The dashboard page's stylesheet (inlined by `dashboardPage`; no external assets). */
export const PAGE_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f3f5f8; --panel: #ffffff; --panel-2: #f8f9fb; --border: #e1e5eb; --border-strong: #cdd4dd;
  --text: #18212d; --muted: #5b6776; --faint: #8a95a3; --accent: #2563eb; --accent-bg: #eaf1ff;
  --running: #1d5fd1; --running-bg: #e6efff; --running-line: #a9c4f5;
  --waiting: #a15c00; --waiting-bg: #fff3dc; --waiting-line: #f0cf8f;
  --completed: #17803d; --completed-bg: #e4f5e9; --completed-line: #a6dcb5;
  --failed: #c4232d; --failed-bg: #fde8e8; --failed-line: #f2b3b6;
  --stopped: #5b6573; --stopped-bg: #eceff3; --stopped-line: #cbd1d9;
  --topbar: #111827; --topbar-text: #e5e7eb; --topbar-muted: #9ca3af;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", "DejaVu Sans", Arial, sans-serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
  --radius: 8px; --shadow: 0 1px 2px rgba(16, 24, 40, .06);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --panel: #151b23; --panel-2: #1a212b; --border: #2a323d; --border-strong: #3a4451;
    --text: #e6edf3; --muted: #9aa6b5; --faint: #6e7a89; --accent: #5b9cff; --accent-bg: #172742;
    --running: #6ea8ff; --running-bg: #16284a; --running-line: #2d4f86;
    --waiting: #f0b35a; --waiting-bg: #3a2a10; --waiting-line: #6b4c1c;
    --completed: #57c47a; --completed-bg: #13301d; --completed-line: #25583a;
    --failed: #ff7b7f; --failed-bg: #3d1618; --failed-line: #6e2a2d;
    --stopped: #a3adba; --stopped-bg: #262d37; --stopped-line: #444e5b;
    --topbar: #0a0d12; --shadow: none;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; }
body { background: var(--bg); color: var(--text); font: 14px/1.45 var(--sans); -webkit-font-smoothing: antialiased; }
button, input, select { font: inherit; color: inherit; }
h2 { font-size: 13px; font-weight: 650; letter-spacing: .02em; text-transform: uppercase; color: var(--muted); margin: 0; }
h3 { font-size: 12px; font-weight: 650; letter-spacing: .03em; text-transform: uppercase; color: var(--faint); margin: 18px 0 8px; }
.h3-note { text-transform: none; letter-spacing: 0; font-weight: 400; margin-left: 6px; color: var(--faint); }
.mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
[hidden] { display: none !important; }

/* Top bar */
.topbar { position: sticky; top: 0; z-index: 20; display: flex; align-items: center; justify-content: space-between; gap: 16px;
  padding: 0 24px; height: 52px; background: var(--topbar); color: var(--topbar-text); }
.brand { display: flex; align-items: center; gap: 10px; min-width: 0; }
.brand svg { flex: none; }
.brand-name { font-weight: 700; font-size: 15px; letter-spacing: .01em; }
.brand-sep { width: 1px; height: 18px; background: #374151; }
.brand-sub { color: var(--topbar-muted); font-size: 13px; white-space: nowrap; }
.topbar-meta { display: flex; align-items: center; gap: 18px; font-size: 13px; color: var(--topbar-muted); white-space: nowrap; }
#updated.stale { color: #fbbf24; }
.topbar-meta strong { color: var(--topbar-text); font-weight: 600; font-family: var(--mono); font-size: 12.5px; }
.live { display: inline-flex; align-items: center; gap: 7px; padding: 3px 10px 3px 9px; border-radius: 999px; font-weight: 600;
  font-size: 12px; letter-spacing: .04em; text-transform: uppercase; background: #3b1d20; color: #fca5a5; }
.live::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: currentColor; }
.live[data-state="live"] { background: #12331f; color: #6ee7a0; }
.live[data-state="live"]::before { box-shadow: 0 0 0 0 rgba(110, 231, 160, .6); animation: pulse 2s infinite; }
@keyframes pulse { 0% { box-shadow: 0 0 0 0 rgba(110, 231, 160, .55); } 70% { box-shadow: 0 0 0 7px rgba(110, 231, 160, 0); } 100% { box-shadow: 0 0 0 0 rgba(110, 231, 160, 0); } }

/* Banners and toasts */
.banner { margin: 16px 24px 0; padding: 12px 16px; border-radius: var(--radius); border: 1px solid var(--failed-line);
  background: var(--failed-bg); color: var(--failed); display: flex; gap: 12px; align-items: flex-start; }
.banner strong { display: block; margin-bottom: 2px; }
.banner .banner-text { color: var(--text); }
.banner code { font-family: var(--mono); font-size: 12.5px; background: var(--panel); padding: 1px 5px; border-radius: 4px; border: 1px solid var(--border); }
.banner[data-kind="warn"] { border-color: var(--waiting-line); background: var(--waiting-bg); color: var(--waiting); }
.toasts { position: fixed; right: 20px; bottom: 20px; z-index: 50; display: flex; flex-direction: column; gap: 8px; width: min(420px, calc(100vw - 40px)); }
.toast { display: grid; grid-template-columns: 4px 1fr auto; gap: 0 12px; background: var(--panel); color: var(--text); border: 1px solid var(--border);
  border-radius: var(--radius); box-shadow: 0 8px 24px rgba(16, 24, 40, .16); overflow: hidden; animation: toast-in .18s ease-out; }
.toast::before { content: ""; grid-row: 1 / span 2; background: var(--completed); }
.toast-error::before { background: var(--failed); }
.toast-title { padding: 10px 0 0; font-weight: 600; }
.toast-detail { grid-column: 2; padding: 2px 0 10px; color: var(--muted); font-size: 13px; word-break: break-word; }
.toast-title:last-of-type { padding-bottom: 10px; }
.toast-close { grid-column: 3; grid-row: 1; border: 0; background: none; color: var(--faint); cursor: pointer; font-size: 18px; line-height: 1; padding: 8px 10px; }
.toast-close:hover { color: var(--text); }
@keyframes toast-in { from { transform: translateY(6px); opacity: 0; } to { transform: none; opacity: 1; } }

/* Layout */
main { padding: 16px 24px 32px; max-width: 1680px; margin: 0 auto; }
body.is-locked main { opacity: .45; pointer-events: none; }
.counts { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 12px; margin-bottom: 16px; }
.count-card { position: relative; background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); padding: 12px 16px 12px 18px;
  box-shadow: var(--shadow); overflow: hidden; cursor: pointer; text-align: left; }
.count-card::before { content: ""; position: absolute; left: 0; top: 0; bottom: 0; width: 4px; background: var(--c); }
.count-card:hover { border-color: var(--border-strong); }
.count-card[aria-pressed="true"] { border-color: var(--c); box-shadow: 0 0 0 1px var(--c) inset; }
.count-label { display: flex; align-items: center; gap: 7px; font-size: 12px; font-weight: 600; letter-spacing: .04em; text-transform: uppercase; color: var(--muted); }
.count-label::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--c); }
.count-value { font-size: 28px; font-weight: 650; line-height: 1.15; margin-top: 4px; font-variant-numeric: tabular-nums; }
.count-card.alert { background: var(--failed-bg); border-color: var(--failed-line); }
.count-card.alert .count-value { color: var(--failed); }
[data-state="running"] { --c: var(--running); --cb: var(--running-bg); --cl: var(--running-line); }
[data-state="waiting"] { --c: var(--waiting); --cb: var(--waiting-bg); --cl: var(--waiting-line); }
[data-state="completed"] { --c: var(--completed); --cb: var(--completed-bg); --cl: var(--completed-line); }
[data-state="failed"] { --c: var(--failed); --cb: var(--failed-bg); --cl: var(--failed-line); }
[data-state="stopped"] { --c: var(--stopped); --cb: var(--stopped-bg); --cl: var(--stopped-line); }
.layout { display: grid; grid-template-columns: minmax(0, 1fr) clamp(330px, 26vw, 440px); gap: 16px; align-items: start; }
.col { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
@media (max-width: 1180px) {
  .layout { grid-template-columns: minmax(0, 1fr); } .col { display: contents; }
  .p-agents { order: 1; } .p-detail { order: 2; } .p-tree { order: 3; } .p-hosts { order: 4; } .p-events { order: 5; }
  .counts { grid-template-columns: repeat(3, minmax(0, 1fr)); }
}
@media (max-width: 640px) { .counts { grid-template-columns: repeat(2, minmax(0, 1fr)); } .brand-sub, .brand-sep, #updated { display: none; } main { padding: 12px; } }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); min-width: 0; }
.panel-head { display: flex; align-items: center; gap: 10px; padding: 12px 16px; border-bottom: 1px solid var(--border); min-height: 50px; flex-wrap: wrap; }
.panel-sub { color: var(--faint); font-size: 12.5px; }
.panel-body { padding: 14px 16px 16px; }
.spacer { flex: 1; }
.empty { color: var(--faint); padding: 18px 16px; text-align: center; }

/* Badges and tags */
.badge { display: inline-flex; align-items: center; gap: 6px; padding: 1px 9px 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
  line-height: 20px; white-space: nowrap; color: var(--c, var(--stopped)); background: var(--cb, var(--stopped-bg)); border: 1px solid var(--cl, var(--stopped-line)); }
.badge::before { content: ""; width: 6px; height: 6px; border-radius: 50%; background: currentColor; flex: none; }
.badge[data-state="running"]::before { animation: blink 1.6s ease-in-out infinite; }
@keyframes blink { 50% { opacity: .35; } }
.tag { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 11.5px; line-height: 18px; font-weight: 500; color: var(--muted);
  background: var(--panel-2); border: 1px solid var(--border); white-space: nowrap; font-family: var(--mono); }
.tag-warn { color: var(--waiting); background: var(--waiting-bg); border-color: var(--waiting-line); }
.tag-bad { color: var(--failed); background: var(--failed-bg); border-color: var(--failed-line); }
.tag-accent { color: var(--accent); background: var(--accent-bg); border-color: transparent; font-family: var(--sans); font-weight: 600; }

/* Agent table */
.toolbar { display: flex; gap: 8px; margin-left: auto; }
.input { height: 32px; padding: 0 10px; border: 1px solid var(--border-strong); border-radius: 6px; background: var(--panel); min-width: 0; }
.input:focus { outline: 2px solid var(--accent); outline-offset: -1px; border-color: transparent; }
input.input { width: 260px; }
.table-wrap { overflow-x: auto; }
table.agents { width: 100%; min-width: 800px; border-collapse: collapse; font-size: 13px; table-layout: fixed; }
.agents col.c-agent { width: 20%; } .agents col.c-playbook { width: 12%; } .agents col.c-state { width: 128px; } .agents col.c-seq { width: 52px; }
.agents col.c-age { width: 122px; } .agents col.c-restarts { width: 84px; } .agents col.c-host { width: 84px; }
.agents th { text-align: left; font-size: 12px; font-weight: 600; color: var(--muted);
  padding: 8px 10px; overflow: hidden; text-overflow: ellipsis; border-bottom: 1px solid var(--border); background: var(--panel-2); white-space: nowrap; }
.agents td { padding: 8px 10px; border-bottom: 1px solid var(--border); vertical-align: middle; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.agents tbody tr:last-child td { border-bottom: 0; }
.agents tbody tr[data-agent-id] { cursor: pointer; }
.agents tbody tr[data-agent-id]:hover { background: var(--panel-2); }
.agents tbody tr[data-agent-id]:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
.agents tbody tr.selected { background: var(--accent-bg) !important; box-shadow: inset 3px 0 0 var(--accent); }
.agents .num { text-align: right; font-variant-numeric: tabular-nums; }
.agents td[data-field="agentId"] { font-family: var(--mono); font-size: 12.5px; font-weight: 600; }
.agents td[data-field="agentId"].quarantined::after { content: "quarantined"; margin-left: 6px; padding: 0 5px; border-radius: 4px; font: 600 10.5px/17px var(--sans);
  color: var(--failed); background: var(--failed-bg); border: 1px solid var(--failed-line); }
.agents td[data-field="playbook"] { color: var(--muted); }
.agents td[data-field="host"] { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.agents td[data-field="error"] { color: var(--failed); font-size: 12.5px; }
.agents td[data-field="restarts"].hot { color: var(--waiting); font-weight: 650; }
.agents td[data-field="age"] { color: var(--muted); font-variant-numeric: tabular-nums; }
.agents td:empty::before { content: "\\2014"; color: var(--faint); }
.agents td[data-field="error"]:empty::before { content: ""; }
.agents tr.empty-row td { text-align: center; color: var(--faint); padding: 28px; cursor: default; }

/* Agent detail */
.detail-title { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.detail-id { font-family: var(--mono); font-size: 15px; font-weight: 650; word-break: break-all; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 12px 0 0; font-size: 13px; }
.kv dt { color: var(--faint); }
.kv dd { margin: 0; min-width: 0; word-break: break-word; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 14px; padding-top: 14px; border-top: 1px solid var(--border); }
.btn { height: 30px; padding: 0 10px; border-radius: 6px; border: 1px solid var(--border-strong); background: var(--panel); cursor: pointer; font-weight: 550; font-size: 13px;
  display: inline-flex; align-items: center; gap: 6px; }
.btn:hover:not(:disabled) { background: var(--panel-2); border-color: var(--faint); }
.btn:disabled { opacity: .45; cursor: not-allowed; }
.btn-danger:not(:disabled) { color: var(--failed); border-color: var(--failed-line); }
.btn-primary:not(:disabled) { color: #fff; background: var(--accent); border-color: var(--accent); }
.btn-primary:hover:not(:disabled) { background: var(--accent); filter: brightness(1.08); }
.error-box { border: 1px solid var(--failed-line); background: var(--failed-bg); border-radius: 6px; padding: 10px 12px; }
.error-box .error-name { font-weight: 650; color: var(--failed); margin-right: 6px; }
.error-box .error-message { margin-top: 4px; font-family: var(--mono); font-size: 12.5px; white-space: pre-wrap; word-break: break-word; }
.none { color: var(--faint); font-size: 13px; }
ol.stack { list-style: none; margin: 0; padding: 0; font-family: var(--mono); font-size: 12.5px; border: 1px solid var(--border); border-radius: 6px; background: var(--panel-2); }
ol.stack li { padding: 5px 10px 5px calc(10px + var(--depth, 0) * 14px); border-top: 1px solid var(--border); position: relative; word-break: break-all; }
ol.stack li:first-child { border-top: 0; }
ol.stack li::before { content: "\\21B3"; color: var(--faint); margin-right: 6px; }
ol.stack li:first-child::before { content: "\\25B8"; }
ol.stack li:last-child { font-weight: 650; background: var(--accent-bg); }
ul.timeline { list-style: none; margin: 0; padding: 0; position: relative; max-height: 420px; overflow-y: auto; }
ul.timeline li { position: relative; padding: 7px 10px 7px 30px; border-radius: 6px; cursor: pointer; border: 1px solid transparent; }
ul.timeline li::before { content: ""; position: absolute; left: 14px; top: 0; bottom: 0; width: 2px; background: var(--border); }
ul.timeline li:first-child::before { top: 14px; }
ul.timeline li:last-child::before { bottom: calc(100% - 14px); }
ul.timeline li::after { content: ""; position: absolute; left: 9px; top: 11px; width: 8px; height: 8px; border-radius: 50%; background: var(--panel);
  border: 2px solid var(--c, var(--faint)); }
ul.timeline li:hover { background: var(--panel-2); }
ul.timeline li.selected { background: var(--accent-bg); border-color: var(--accent); }
ul.timeline li.corrupt { cursor: not-allowed; }
ul.timeline li.corrupt::after { border-color: var(--failed); background: var(--failed); border-radius: 2px; }
.cp-row { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.cp-seq { font-family: var(--mono); font-weight: 650; min-width: 34px; }
.cp-time { color: var(--muted); font-size: 12.5px; font-variant-numeric: tabular-nums; }
.cp-size { margin-left: auto; color: var(--faint); font-size: 12px; font-variant-numeric: tabular-nums; }
.cp-sub { font-family: var(--mono); font-size: 11.5px; color: var(--faint); margin-top: 2px; word-break: break-all; }
.cp-corrupt { color: var(--failed); font-size: 12px; margin-top: 2px; }
.cp-pick { font-size: 11px; font-weight: 650; color: var(--accent); text-transform: uppercase; letter-spacing: .04em; }

/* Hosts */
.hosts { display: flex; flex-direction: column; }
.host { display: grid; grid-template-columns: 10px minmax(0, 1fr) auto; gap: 2px 12px; padding: 10px 16px; border-top: 1px solid var(--border); align-items: center; }
.host:first-child { border-top: 0; }
.host-dot { width: 10px; height: 10px; border-radius: 50%; background: var(--completed); grid-column: 1; grid-row: 1 / span 2; }
.host[data-health="warn"] .host-dot { background: var(--waiting); }
.host[data-health="bad"] .host-dot { background: var(--failed); }
.host-name { grid-column: 2; grid-row: 1; font-family: var(--mono); font-weight: 600; font-size: 13px; display: flex; gap: 8px; align-items: center; min-width: 0; word-break: break-all; }
.host-agents { grid-column: 3; grid-row: 1 / span 2; text-align: right; font-size: 12px; color: var(--muted); }
.host-agents strong { display: block; font-size: 18px; color: var(--text); font-variant-numeric: tabular-nums; line-height: 1.1; }
.host-meta { grid-column: 2; grid-row: 2; font-size: 12.5px; color: var(--muted); display: flex; gap: 12px; flex-wrap: wrap; }
.nats-ok { color: var(--completed); }
.nats-bad { color: var(--failed); }

/* Supervision tree */
.tree { padding: 12px 16px 16px; }
.sup { border: 1px solid var(--border); border-radius: 8px; background: var(--panel); }
.sup + .sup { margin-top: 12px; }
.sup[data-state="escalated"] { border-color: var(--failed-line); }
.sup-head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; padding: 8px 12px; background: var(--panel-2); border-bottom: 1px solid var(--border); border-radius: 8px 8px 0 0; }
.sup[data-state="escalated"] > .sup-head { background: var(--failed-bg); }
.sup-id { font-family: var(--mono); font-weight: 650; }
.sup-icon { width: 18px; height: 18px; border-radius: 4px; display: inline-grid; place-items: center; background: var(--accent-bg); color: var(--accent); font: 700 10px/1 var(--sans); flex: none; }
.intensity { display: inline-flex; align-items: center; gap: 8px; color: var(--muted); font-size: 12.5px; margin-left: auto; }
.meter { width: 64px; height: 6px; border-radius: 3px; background: var(--border); overflow: hidden; }
.meter > span { display: block; height: 100%; background: var(--completed); }
.meter.warn > span { background: var(--waiting); }
.meter.bad > span { background: var(--failed); }
ul.children { list-style: none; margin: 0; padding: 6px 12px 10px 12px; }
ul.children > li { position: relative; padding: 6px 0 0 22px; }
ul.children > li::before { content: ""; position: absolute; left: 7px; top: 0; height: 19px; width: 11px; border-left: 1px solid var(--border-strong); border-bottom: 1px solid var(--border-strong); border-bottom-left-radius: 4px; }
ul.children > li:not(:last-child)::after { content: ""; position: absolute; left: 7px; top: 0; bottom: -6px; border-left: 1px solid var(--border-strong); }
ul.children > li > .sup { margin-top: 2px; }
.child-row { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; min-height: 26px; }
.child-id { font-family: var(--mono); font-size: 12.5px; font-weight: 600; background: none; border: 0; padding: 0; color: var(--accent); cursor: pointer; text-align: left; }
.child-id:hover { text-decoration: underline; }
.child-id.current { color: var(--text); text-decoration: underline; text-decoration-color: var(--accent); text-underline-offset: 3px; }
.child-restarts { font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
.child-restarts.hot { color: var(--waiting); font-weight: 600; }
.child-exit { font-size: 12px; color: var(--muted); flex-basis: 100%; padding-left: 2px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.child-exit.crash { color: var(--failed); }
.child-state { --c: var(--stopped); --cb: var(--stopped-bg); --cl: var(--stopped-line); }
.child-state[data-child-state="running"] { --c: var(--running); --cb: var(--running-bg); --cl: var(--running-line); }
.child-state[data-child-state="starting"] { --c: var(--running); --cb: var(--panel); --cl: var(--running-line); }
.child-state[data-child-state="restarting"] { --c: var(--waiting); --cb: var(--waiting-bg); --cl: var(--waiting-line); }
.child-state[data-exit="normal"] { --c: var(--completed); --cb: var(--completed-bg); --cl: var(--completed-line); }
.child-state[data-exit="crash"], .child-state[data-exit="quarantine"] { --c: var(--failed); --cb: var(--failed-bg); --cl: var(--failed-line); }
.child-state[data-child-state="escalated"] { --c: var(--failed); --cb: var(--failed-bg); --cl: var(--failed-line); }

/* Event feed */
ol.events { list-style: none; margin: 0; padding: 4px 0; max-height: 360px; overflow-y: auto; font-size: 12.5px; }
ol.events li { display: grid; grid-template-columns: 62px 118px 1fr; gap: 8px; padding: 4px 16px; align-items: baseline; }
ol.events li:hover { background: var(--panel-2); }
ol.events li.quiet, ol.events li.quiet .ev-type, ol.events li.quiet .ev-agent { color: var(--faint); font-weight: 500; }
ol.events li.ev-empty { display: block; color: var(--faint); padding: 14px 16px; text-align: center; }
.ev-time { font-family: var(--mono); font-size: 11.5px; color: var(--faint); font-variant-numeric: tabular-nums; }
.ev-type { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.ev-type.bad { color: var(--failed); } .ev-type.warn { color: var(--waiting); } .ev-type.good { color: var(--completed); } .ev-type.info { color: var(--running); }
.ev-body { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ev-agent { font-family: var(--mono); font-size: 12px; color: var(--text); }
`;
