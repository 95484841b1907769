// Figure (the design of the paper's Figure 6): arms trained on one group of categories each, evaluated on every
// category and on the held-out colour-shape pairs; each cell the arm minus the base with ± 1 prompt-clustered SE, the
// categories a row trained on outlined.
// Input: figures/results/generalisation.json (scripts/experiments/sweep-table.ts --kind generalisation; `npm run
// experiments -- generalisation`). Without it the script says so and draws nothing.
// Regenerate: npx ts-node --transpile-only scripts/figures/generalisation.ts [--in figures/results/generalisation.json]
//   [--out figures/generalisation]  -> <out>.png and <out>.svg
import type { GeneralisationResult } from '../../lib/eval/generalisation';
import { generalisationChart } from '../../lib/plot';
import { drawResultFigure } from '../lib/result-figure';
import { runScript } from '../lib/run-script';

runScript(() =>
  drawResultFigure<GeneralisationResult>({
    input: 'figures/results/generalisation.json',
    out: 'figures/generalisation',
    experiment: 'generalisation',
    fields: ['groups', 'trained_on', 'minus_base', 'overall'],
    chart: (result) => generalisationChart(result),
  }),
);
