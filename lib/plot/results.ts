// The main SRUM result as grouped bars (the paper's Table 1, re-measured on the synthetic world): CompBench-mini
// overall, then per category, one bar per method at its mean over seeds with the sample standard deviation.
// Used by scripts/figures/table1.ts.
import type { MainResults, MethodResults } from '../run/results';
import { mean, std } from '../run/results';
import { barChart } from './charts';
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
  figure.layout = {
    ...figure.layout,
    width: 1000,
    height: 480,
    margin: { t: 120 },
    legend: { orientation: 'h', yanchor: 'bottom', y: 1.02 },
  };
  return figure;
}
