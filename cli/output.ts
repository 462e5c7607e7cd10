import type { Failure } from './errors.js';

/*
 * The CLI's output layer. Human text goes to stdout (progress and results) and stderr
 * (errors, warnings, logs); with --json, stdout carries only JSON for scripts. Colour only
 * when the stream is a terminal and NO_COLOR is unset (https://no-color.org).
 */

type Paint = (text: string) => string;
const ANSI = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
export type Style = Record<keyof typeof ANSI, Paint>;

function styles(enabled: boolean): Style {
  const entries = Object.entries(ANSI).map(([name, [on, off]]) => [name, enabled ? (text: string) => `\u001b[${on}m${text}\u001b[${off}m` : (text: string) => text]);
  return Object.fromEntries(entries) as Style;
}

export interface OutputOptions {
  json: boolean;
  verbose: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  /** Styles for stdout text. */
  readonly style: Style;
  /** Styles for stderr text (it may be a terminal when stdout is piped, or the reverse). */
  readonly errStyle: Style;
  private readonly stdout: NodeJS.WriteStream;
  private readonly stderr: NodeJS.WriteStream;

  constructor(options: OutputOptions) {
    const env = options.env ?? process.env;
    this.json = options.json;
    this.verbose = options.verbose;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
    this.style = styles(Boolean(this.stdout.isTTY) && !noColor);
    this.errStyle = styles(Boolean(this.stderr.isTTY) && !noColor);
  }

  /** A line of human output; dropped with --json, where stdout is reserved for JSON. */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** Text printed whatever the mode (help, version). */
  raw(text: string): void {
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** One JSON document (or one NDJSON line) on stdout. */
  data(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A line on stderr, whatever the mode (logs). */
  stderrLine(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.errStyle.yellow('warning:')} ${text}\n`);
  }

  /** Extra detail for --verbose, on stderr so it never mixes with --json output. */
  debug(text: string): void {
    if (this.verbose) this.stderr.write(`${this.errStyle.dim(text)}\n`);
  }

  /** The one error line (plus a hint) on stderr, or the JSON error object on stdout. */
  failure(failure: Failure): void {
    if (this.json) {
      const error = { code: failure.code, message: failure.message, ...(failure.hint ? { hint: failure.hint } : {}) };
      this.data({ ok: false, error, ...failure.details });
      return;
    }
    this.stderr.write(`${this.errStyle.red('error:')} ${failure.message}\n`);
    if (failure.hint) this.stderr.write(`${this.errStyle.dim(`hint: ${failure.hint}`)}\n`);
  }

  /** Rows padded into columns; `header` is dimmed. `colour` paints a cell; padding ignores the colour codes. */
  table(header: string[], rows: string[][], colour: (column: number, cell: string) => string = (_, cell) => cell): void {
    const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
    const render = (cells: string[], paint: (column: number, cell: string) => string) =>
      cells
        .map((cell, i) => paint(i, cell) + (i === cells.length - 1 ? '' : ' '.repeat((widths[i] ?? 0) - cell.length)))
        .join('  ')
        .trimEnd();
    this.line(render(header, (_, cell) => this.style.dim(cell)));
    for (const row of rows) this.line(render(row, colour));
  }

  /** Flushes stdout before the process exits (pipes may be asynchronous on some platforms). */
  flush(): Promise<void> {
    return new Promise((resolve) => this.stdout.write('', () => resolve()));
  }
}

/** A JSON value on one line, cut to `max` characters for human output. */
export function preview(value: unknown, max = 120): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A time in ISO 8601, plus how far away it is ("in 5m", "3s ago"). */
export function when(epochMs: number, now = Date.now()): string {
  const delta = epochMs - now;
  const abs = Math.abs(delta);
  const span = abs < 1000 ? `${abs}ms` : abs < 60_000 ? `${Math.round(abs / 1000)}s` : abs < 3_600_000 ? `${Math.round(abs / 60_000)}m` : `${Math.round(abs / 3_600_000)}h`;
  return `${new Date(epochMs).toISOString()} (${delta >= 0 ? `in ${span}` : `${span} ago`})`;
}

export function bytes(count: number): string {
  return count < 1024 ? `${count} B` : count < 1024 * 1024 ? `${(count / 1024).toFixed(1)} KiB` : `${(count / 1024 / 1024).toFixed(1)} MiB`;
}

/** An agent state in colour: green when completed, red when failed, and so on. */
export function paintState(style: Style, state: unknown): string {
  const text = String(state ?? '?');
  const paint = { completed: style.green, failed: style.red, waiting: style.yellow, running: style.cyan }[text] ?? style.dim;
  return paint(text);
}
