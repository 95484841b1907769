// The understanding-generation gap as grouped bars (paper Figure 1's claim, re-measured): overall, then
// per category, one bar per rate. Used by notebooks/01-model.ipynb and scripts/figures/gap-chart.ts.
import type { GapRateKey, GapRates, GapReport } from '../eval/gap';
import { barChart, legendAbove } from './charts';
import type { Figure } from './figure';

const RATES: Array<[GapRateKey, string]> = [
  ['understanding_accuracy', 'understanding (verdict vs truth)'],
  ['generation_accuracy_normal', 'generation, normal mode (evaluator passes)'],
  ['generation_accuracy_think', 'generation, think mode (evaluator passes)'],
  ['understanding_on_generated', 'self-verdict agrees with evaluator'],
];

export function gapChart(report: GapReport, title?: string): Figure {
  const categories = Object.keys(report.per_category) as Array<keyof GapReport['per_category']>;
  const rows: GapRates[] = [report, ...categories.map((c) => report.per_category[c] as GapRates)];
  const labels = ['overall', ...categories.map(String)];
  // Both modes when measured; else generation_accuracy, the default sampler mode's.
  const rates = rows.every((r) => r.generation_accuracy_normal !== undefined)
    ? RATES
    : RATES.map(([key, name]): [GapRateKey, string] =>
        key === 'generation_accuracy_normal' ? ['generation_accuracy', 'generation (evaluator passes)'] : [key, name],
      );
  const series = rates
    .filter(([key]) => rows.every((r) => typeof r[key] === 'number'))
    .map(([key, name]) => {
      // Error bars: one standard error (repeats of a prompt count once); reports saved before they existed have none.
      const errors = rows.map((r) => r.standard_error?.[key]);
      return {
        name,
        values: rows.map((r) => r[key] as number),
        ...(errors.every((e) => typeof e === 'number' && Number.isFinite(e)) ? { errors: errors as number[] } : {}),
      };
    });
  const figure = barChart(labels, series, {
    title: title ?? `Understanding vs generation (n = ${report.n}, seed ${report.seed})`,
    yTitle: 'fraction',
    yRange: [0, 1],
  });
  return legendAbove(figure, 1000, 480, 120);
}
