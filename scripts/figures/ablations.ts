// Figure (paper Figure 3, left): each ablation of SRUM as its pass rate minus base, full SRUM first, ± 1
// prompt-clustered SE and a dot per training seed; each row's paired difference to full SRUM in its label.
// Input: figures/results/ablations.json (scripts/experiments/sweep-table.ts --kind ablation; `npm run experiments --
// ablations`). Without it the script says so and draws nothing.
// Regenerate: npx ts-node --transpile-only scripts/figures/ablations.ts [--in figures/results/ablations.json]
//   [--out figures/ablations]  -> <out>.png and <out>.svg
import type { AblationResult } from '../../lib/eval/sweep-results';
import { ablationChart } from '../../lib/plot';
import { drawResultFigure } from '../lib/result-figure';
import { runScript } from '../lib/run-script';

runScript(() =>
  drawResultFigure<AblationResult>({
    input: 'figures/results/ablations.json',
    out: 'figures/ablations',
    experiment: 'ablations',
    fields: ['rows', 'minus_base', 'minus_full', 'overall', 'understanding', 'base'],
    chart: (result) => ablationChart(result),
  }),
);
