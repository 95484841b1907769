// The main SRUM result as grouped bars (the paper's Table 1, re-measured on the synthetic world): CompBench-mini
// overall, then per category, one bar per method at its mean over seeds with the sample standard deviation.
// protocolResultsChart: the same from a paired comparison on the evaluation protocol (lib/eval/compare.ts), each bar
// with its standard error clustered by prompt text. Used by scripts/figures/table1.ts.
import type { ComparisonReport } from '../eval/compare';
import type { MainResults, MethodResults } from '../run/results';
import { mean, std } from '../run/results';
import { barChart, legendAbove, lineChart } from './charts';
import type { Figure } from './figure';

const METHODS: Array<[keyof MainResults, string]> = [
  ['base', 'base'],
  ['sft', 'SFT'],
  ['srum', 'SRUM'],
];

export function mainResultsChart(results: MainResults, title?: string): Figure {
  const categories = Object.keys(results.base.per_category) as Array<keyof MethodResults['per_category']>;
  const labels = ['overall', ...categories.map(String)];
  const lists = (r: MethodResults): number[][] => [r.overall, ...categories.map((c) => r.per_category[c] ?? [])];
  const series = METHODS.map(([key, name]) => {
    const r = results[key];
    const u = mean(r.understanding);
    return { name: `${name} (understanding ${u.toFixed(1)}%)`, values: lists(r).map(mean), errors: lists(r).map(std) };
  });
  const seeds = results.srum.seeds.length;
  const figure = barChart(labels, series, {
    title: title ?? `CompBench-mini, independent evaluator: mean ± sd over ${seeds} seeds`,
    yTitle: 'points (0-100)',
    yRange: [0, 100],
  });
  return legendAbove(figure, 1000, 480, 120);
}

/**
 * Table 1 on the protocol: overall, in-domain, held-out-pair and per-category pass rates of each arm (seed-averaged),
 * ± one standard error clustered by prompt text; the legend gives each arm's paired difference to the base.
 * `arms`: [report key, display name] in legend order (default: every arm, named by its key).
 */
export function protocolResultsChart(report: ComparisonReport, arms?: Array<[string, string]>, title?: string): Figure {
  const shown = arms ?? Object.keys(report.arms).map((k): [string, string] => [k, k]);
  for (const [key] of shown) if (report.arms[key] === undefined) throw new Error(`protocolResultsChart: no arm ${key} in the report`);
  const base = report.arms.base;
  const categories = Object.keys(base.per_category) as Array<keyof typeof base.per_category>;
  const labels = ['overall', 'in-domain', 'held-out pairs', ...categories.map(String)];
  const series = shown.map(([key, name]) => {
    const arm = report.arms[key];
    const cells = [arm.overall, arm.in_domain, arm.held_out, ...categories.map((c) => arm.per_category[c] ?? { mean: NaN, se: NaN })];
    const paired = report.paired[`${key}-base`]?.overall;
    const seeds = arm.per_seed === undefined ? 1 : Object.keys(arm.per_seed).length;
    const vsBase =
      paired === undefined ? '' : `, ${paired.mean >= 0 ? '+' : ''}${paired.mean.toFixed(1)} ± ${paired.se.toFixed(1)} vs base`;
    return {
      name: `${name}${seeds > 1 ? ` (${seeds} seeds)` : ''}${vsBase}`,
      values: cells.map((c) => c.mean),
      errors: cells.map((c) => c.se),
    };
  });
  const p = report.protocol;
  const figure = barChart(labels, series, {
    title: title ?? `CompBench-mini on ${p.split}, ${p.n_prompts} prompts x ${p.draws} draws: pass rate ± SE clustered by prompt`,
    yTitle: 'evaluator pass rate (%)',
    yRange: [
      0,
      Math.min(
        100,
        10 * Math.ceil(Math.max(...series.flatMap((s) => s.values.map((v, i) => v + s.errors[i])).filter(Number.isFinite)) / 10),
      ),
    ],
  });
  // Plotly wraps the horizontal legend by the entries' widths (about 6.6 px a character beside a 45 px swatch, in
  // ~1000 px); the title sits above however many rows that makes.
  const widest = Math.max(...series.map((s) => s.name.length));
  const legendRows = Math.ceil(series.length / Math.max(1, Math.floor(1000 / (6.6 * widest + 45))));
  return legendAbove(figure, 1100, 420 + 26 * legendRows, 80 + 26 * legendRows);
}

/**
 * Self-play rounds: each round's arm minus base, paired on the protocol's images (seed-averaged), overall, in-domain
 * and held-out pairs, with the clustered SE as error bars. `rounds` lists the arms in order ('base' sits at 0);
 * `labels` names them on the x axis (default: the arm names).
 */
export function roundsChart(report: ComparisonReport, rounds: string[], options: { labels?: string[]; title?: string } = {}): Figure {
  const labels = options.labels ?? rounds;
  if (labels.length !== rounds.length) throw new Error(`roundsChart: ${labels.length} labels for ${rounds.length} rounds`);
  const diff = (arm: string, part: 'overall' | 'in_domain' | 'held_out'): { mean: number; se: number } => {
    if (arm === 'base') return { mean: 0, se: 0 };
    const paired = report.paired[`${arm}-base`];
    if (paired === undefined) throw new Error(`roundsChart: no arm ${arm} in the report`);
    return paired[part];
  };
  const x = rounds.map((_, k) => k);
  const parts: Array<['overall' | 'in_domain' | 'held_out', string]> = [
    ['overall', 'overall'],
    ['in_domain', 'in-domain prompts'],
    ['held_out', 'held-out-pair prompts'],
  ];
  const series = parts.map(([part, name]) => ({
    name,
    x,
    y: rounds.map((arm) => diff(arm, part).mean),
    errors: rounds.map((arm) => diff(arm, part).se),
  }));
  const p = report.protocol;
  const figure = lineChart(series, {
    title:
      options.title ??
      `Self-play rounds on ${p.split} (${p.n_prompts} prompts x ${p.draws} draws): gain over base ± SE clustered by prompt`,
    xTitle: 'post-training round',
    yTitle: 'evaluator pass rate − base (points)',
  });
  figure.layout = { ...figure.layout, xaxis: { ...(figure.layout.xaxis as object), tickmode: 'array', tickvals: x, ticktext: labels } };
  return legendAbove(figure, 800, 480, 110);
}
