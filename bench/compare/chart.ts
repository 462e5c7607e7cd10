/**
 * The chart the README shows: an SVG bar chart (sequential latency per workflow, throughput
 * with N in flight) in a self-contained HTML page — no external assets — screenshotted by
 * playwright-core driving the system's Chromium.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { SystemResult, Workload } from './workload.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChartMeta {
  title: string;
  subtitle: string;
  workload: Workload;
  footnotes: string[];
}

const COLORS: Record<string, string> = {
  'playbooks-nats': '#1d4ed8',
  'playbooks-file': '#60a5fa',
  'playbooks-log': '#7c3aed',
  restate: '#ea580c',
  dbos: '#059669',
  'kv-floor': '#9ca3af',
};

/** A short durability tag under each name. */
const TAGS: Record<string, string> = {
  'playbooks-nats': 'JetStream file, fsync every 2 min',
  'playbooks-file': 'fsync per checkpoint',
  'playbooks-log': 'fdatasync per batch (group commit)',
  restate: 'own log: RocksDB WAL, fsync per batch',
  dbos: 'Postgres commit: WAL fsync',
  'kv-floor': 'JetStream file, fsync every 2 min',
};

const W = 1100;
const LABEL_W = 290;
const VALUE_W = 290;
const BAR_W = W - LABEL_W - VALUE_W - 40;
const ROW_H = 50;
const BAR_H = 22;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

interface Row {
  result: SystemResult;
  value?: number;
  whisker?: number;
  /** Min and max over the rounds, drawn as a thin range across the bar. */
  range?: [number, number];
  label: string;
}

function panel(y0: number, title: string, note: string, rows: Row[]): { svg: string; height: number } {
  const extent = (r: Row) => Math.max(r.value ?? 0, r.whisker ?? 0, r.range?.[1] ?? 0);
  // The floor may dwarf the engines (throughput): then it runs off the scale, marked as such.
  const engines = Math.max(1e-9, ...rows.filter((r) => r.result.role !== 'floor').map(extent));
  const all = Math.max(1e-9, ...rows.map(extent));
  const max = (all > engines * 1.6 ? engines * 1.25 : all) * 1.04;
  const scale = (v: number) => (Math.min(v, max) / max) * BAR_W;
  const parts: string[] = [];
  parts.push(`<text x="24" y="${y0 + 22}" class="panel-title">${esc(title)}</text>`);
  parts.push(`<text x="24" y="${y0 + 42}" class="panel-note">${esc(note)}</text>`);
  const top = y0 + 60;
  // gridlines
  const ticks = niceTicks(max);
  for (const t of ticks) {
    const x = LABEL_W + scale(t);
    parts.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + rows.length * ROW_H - 8}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${top + rows.length * ROW_H + 8}" class="tick">${fmtTick(t)}</text>`);
  }
  rows.forEach((row, i) => {
    const y = top + i * ROW_H;
    const color = COLORS[row.result.id] ?? '#6b7280';
    const floor = row.result.role === 'floor';
    parts.push(`<text x="${LABEL_W - 14}" y="${y + 15}" class="name${row.result.role === 'ours' ? ' ours' : ''}">${esc(row.result.name)}</text>`);
    parts.push(`<text x="${LABEL_W - 14}" y="${y + 32}" class="tag">${esc(TAGS[row.result.id] ?? '')}</text>`);
    if (row.value === undefined) {
      parts.push(`<text x="${LABEL_W + 6}" y="${y + 17}" class="na">${esc(row.label)}</text>`);
      return;
    }
    const w = Math.max(2, scale(row.value));
    parts.push(
      `<rect x="${LABEL_W}" y="${y}" width="${w}" height="${BAR_H}" rx="3" fill="${floor ? 'url(#hatch)' : color}"${floor ? ` stroke="${color}" stroke-width="1"` : ''}/>`,
    );
    let end = LABEL_W + w;
    if (row.value > max) {
      // off the scale: a break across the bar's end
      const bx = LABEL_W + BAR_W - 26;
      parts.push(`<rect x="${bx}" y="${y - 3}" width="9" height="${BAR_H + 6}" fill="#ffffff"/>`);
      parts.push(`<line x1="${bx - 2}" y1="${y + BAR_H + 3}" x2="${bx + 4}" y2="${y - 3}" class="whisker"/>`);
      parts.push(`<line x1="${bx + 5}" y1="${y + BAR_H + 3}" x2="${bx + 11}" y2="${y - 3}" class="whisker"/>`);
    }
    if (row.whisker !== undefined && row.whisker > row.value) {
      const x2 = LABEL_W + scale(row.whisker);
      const cy = y + BAR_H / 2;
      parts.push(`<line x1="${end}" y1="${cy}" x2="${x2}" y2="${cy}" class="whisker"/>`);
      parts.push(`<line x1="${x2}" y1="${cy - 6}" x2="${x2}" y2="${cy + 6}" class="whisker"/>`);
      end = x2;
    }
    if (row.range && row.range[1] > row.range[0] && row.range[1] <= max) {
      const [lo, hi] = row.range.map((v) => LABEL_W + scale(v)) as [number, number];
      const cy = y + BAR_H + 5;
      parts.push(`<line x1="${lo}" y1="${cy}" x2="${hi}" y2="${cy}" class="range"/>`);
      parts.push(`<line x1="${lo}" y1="${cy - 3}" x2="${lo}" y2="${cy + 3}" class="range"/>`);
      parts.push(`<line x1="${hi}" y1="${cy - 3}" x2="${hi}" y2="${cy + 3}" class="range"/>`);
    }
    parts.push(`<text x="${end + 8}" y="${y + 16}" class="value">${esc(row.label)}</text>`);
  });
  return { svg: parts.join('\n'), height: 60 + rows.length * ROW_H + 24 };
}

function fmtTick(value: number): string {
  if (value === 0) return '0';
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

function niceTicks(max: number): number[] {
  const rough = max / 5;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let t = 0; t <= max; t += step) ticks.push(t);
  return ticks;
}

function roundRange(r: SystemResult): [number, number] | undefined {
  const values = (r.rounds ?? []).map((f) => f.workflowsPerSecond).filter((v): v is number => v !== undefined);
  return values.length > 1 ? [Math.min(...values), Math.max(...values)] : undefined;
}

export function chartSvg(results: SystemResult[], meta: ChartMeta): { svg: string; height: number } {
  const latencyRows: Row[] = results.map((r) =>
    r.status === 'ok' && r.sequential
      ? {
          result: r,
          value: r.sequential.workflow.p50,
          whisker: r.sequential.workflow.p99,
          label: `${fmt(r.sequential.workflow.p50)} ms  (p99 ${fmt(r.sequential.workflow.p99)}) · ${r.role === 'floor' ? 'put' : 'step'} ${fmt(r.sequential.step.p50)}`,
        }
      : { result: r, label: `unavailable${r.reason ? `: ${r.reason.slice(0, 70)}` : ''}` },
  );
  const throughputRows: Row[] = results.map((r) =>
    r.status === 'ok' && r.throughput
      ? {
          result: r,
          value: r.throughput.workflowsPerSecond,
          label:
            r.role === 'floor'
              ? `${fmt(r.throughput.workflowsPerSecond)} (${fmt(r.throughput.stepsPerSecond)} puts/s ÷ ${String(r.details?.putsPerWorkflow ?? 5)})`
              : `${fmt(r.throughput.workflowsPerSecond)} workflows/s${roundRange(r) ? `  (rounds ${fmt(roundRange(r)![0])}–${fmt(roundRange(r)![1])})` : ''}`,
          ...(roundRange(r) && r.role !== 'floor' ? { range: roundRange(r) } : {}),
        }
      : { result: r, label: 'unavailable' },
  );
  const parts: string[] = [];
  let y = 0;
  parts.push(`<text x="24" y="38" class="title">${esc(meta.title)}</text>`);
  parts.push(`<text x="24" y="62" class="subtitle">${esc(meta.subtitle)}</text>`);
  y = 80;
  const p1 = panel(
    y,
    'Sequential: latency per workflow, p50 (whisker: p99) — lower is better',
    `ms · ${meta.workload.sequentialRuns.toLocaleString('en-US')} workflows one at a time, after ${meta.workload.warmup} warm-up · "step": p50 of one step, timed inside the workflow`,
    latencyRows,
  );
  parts.push(p1.svg);
  y += p1.height + 14;
  const p2 = panel(
    y,
    `Throughput: ${meta.workload.inFlight} workflows in flight — higher is better`,
    `workflows per second · ${meta.workload.total.toLocaleString('en-US')} workflows after ${meta.workload.throughputWarmup.toLocaleString('en-US')} warm-up${throughputRows.some((r) => r.range) ? ' · thin line under a bar: min–max over the rounds' : ''}`,
    throughputRows,
  );
  parts.push(p2.svg);
  y += p2.height + 10;
  parts.push(`<line x1="24" y1="${y}" x2="${W - 24}" y2="${y}" class="rule"/>`);
  y += 22;
  for (const note of meta.footnotes) {
    parts.push(`<text x="24" y="${y}" class="foot">${esc(note)}</text>`);
    y += 18;
  }
  const height = y + 10;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}">
<defs>
  <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
    <rect width="6" height="6" fill="#f3f4f6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9ca3af" stroke-width="2.5"/>
  </pattern>
  <style>
    text { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; fill: #111827; }
    .title { font-size: 22px; font-weight: bold; }
    .subtitle { font-size: 13px; fill: #4b5563; }
    .panel-title { font-size: 15px; font-weight: bold; }
    .panel-note { font-size: 12px; fill: #6b7280; }
    .name { font-size: 13.5px; text-anchor: end; }
    .name.ours { font-weight: bold; }
    .tag { font-size: 11px; fill: #6b7280; text-anchor: end; }
    .value { font-size: 12.5px; fill: #111827; }
    .na { font-size: 12.5px; fill: #b91c1c; font-style: italic; }
    .tick { font-size: 10.5px; fill: #9ca3af; text-anchor: middle; }
    .grid { stroke: #e5e7eb; stroke-width: 1; }
    .whisker { stroke: #374151; stroke-width: 1.3; }
    .range { stroke: #111827; stroke-width: 1.2; opacity: 0.55; }
    .rule { stroke: #e5e7eb; stroke-width: 1; }
    .foot { font-size: 11.5px; fill: #4b5563; }
  </style>
</defs>
<rect width="100%" height="100%" fill="#ffffff"/>
${parts.join('\n')}
</svg>`;
  return { svg, height };
}

/** Renders the chart to `pngPath` (and returns the SVG, kept in the JSON results' folder). */
export async function renderChart(results: SystemResult[], meta: ChartMeta, pngPath: string): Promise<string> {
  const { svg, height } = chartSvg(results, meta);
  const dir = await mkdtemp(join(tmpdir(), 'peers-chart-'));
  try {
    const html = join(dir, 'chart.html');
    await writeFile(html, `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;padding:0;background:#fff}</style></head><body>${svg}</body></html>`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: W, height: Math.ceil(height) }, deviceScaleFactor: 2 });
      await page.goto(pathToFileURL(html).href);
      await page.locator('svg').screenshot({ path: pngPath });
    } finally {
      await browser.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return svg;
}
