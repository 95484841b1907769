// A small progress display for long work: count, rate, ETA and a few live numbers (e.g. loss), on stderr.
// On a terminal it redraws one line; elsewhere (CI, notebooks) it prints a line at most every few seconds.

export interface ProgressOptions {
  label: string;
  total: number;
  /** Unit of the rate, e.g. "img" or "samples" (default "it"). */
  unit?: string;
  /** Minimum seconds between lines when not on a terminal (default 5). */
  everySeconds?: number;
  /** Print nothing (tests). */
  quiet?: boolean;
}

export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastPrint = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly options: ProgressOptions) {}

  /** Advance by `n` and show the given live numbers. */
  tick(n = 1, stats: Record<string, number | string> = {}): void {
    this.done += n;
    const now = Date.now();
    const finished = this.done >= this.options.total;
    const gap = this.tty ? 100 : (this.options.everySeconds ?? 5) * 1000;
    if (this.options.quiet || (!finished && now - this.lastPrint < gap)) return;
    this.lastPrint = now;
    const line = this.format(stats, now);
    process.stderr.write(this.tty ? `\r${line}\x1b[K${finished ? '\n' : ''}` : `${line}\n`);
  }

  private format(stats: Record<string, number | string>, now: number): string {
    const seconds = (now - this.start) / 1000;
    const rate = seconds >= 0.5 ? this.done / seconds : 0; // no rate from the first instant (it would read as millions/s)
    const left = rate > 0 ? (this.options.total - this.done) / rate : Infinity;
    const width = 20;
    const filled = Math.min(width, Math.round((width * this.done) / Math.max(this.options.total, 1)));
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const extra = Object.entries(stats).map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`);
    return [
      `${this.options.label} [${bar}] ${this.done}/${this.options.total}`,
      `${rate > 0 ? rate.toFixed(2) : '-'} ${this.options.unit ?? 'it'}/s`,
      `ETA ${formatDuration(left)}`,
      ...extra,
    ].join('  ');
  }
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : v.toPrecision(4);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
