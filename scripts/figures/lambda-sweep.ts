// Figure (paper Figure 3, right): pass rate minus base against the reference weight lambda_c, think and normal mode,
// ± 1 prompt-clustered SE and a dot per training seed; understanding of the same checkpoints beside it.
// Input: figures/results/lambda-sweep.json (scripts/experiments/sweep-table.ts --kind lambda; `npm run experiments --
// lambda-sweep`). Without it the script says so and draws nothing.
// Regenerate: npx ts-node --transpile-only scripts/figures/lambda-sweep.ts [--in figures/results/lambda-sweep.json]
//   [--out figures/lambda-sweep]  -> <out>.png and <out>.svg
import type { LambdaSweepResult } from '../../lib/eval/sweep-results';
import { lambdaSweepChart } from '../../lib/plot';
import { drawResultFigure } from '../lib/result-figure';
import { runScript } from '../lib/run-script';

runScript(() =>
  drawResultFigure<LambdaSweepResult>({
    input: 'figures/results/lambda-sweep.json',
    out: 'figures/lambda-sweep',
    experiment: 'lambda-sweep',
    fields: ['lambdas', 'minus_base', 'overall', 'understanding', 'base'],
    chart: (result) => lambdaSweepChart(result),
  }),
);
