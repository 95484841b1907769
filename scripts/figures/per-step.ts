// Figure (paper Figure 4): layout and detail scores of the predicted clean image per sampling step, one line per arm,
// bands of one prompt-clustered standard error; the independent evaluator solid, the model's own judge dashed.
// Input: figures/results/per-step.json (scripts/experiments/per-step.ts).
// Regenerate: npx ts-node --transpile-only scripts/figures/per-step.ts [--in figures/results/per-step.json] [--out figures/per-step]
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { perStepChart, saveFigure } from '../../lib/plot';
import type { PerStepResultFile } from '../../lib/eval/per-step';
import { runScript } from '../lib/run-script';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { in: { type: 'string', default: 'figures/results/per-step.json' }, out: { type: 'string', default: 'figures/per-step' } },
    strict: true,
  });
  if (!fs.existsSync(values.in)) throw new Error(`${values.in} does not exist (see scripts/experiments/per-step.ts)`);
  const result = JSON.parse(fs.readFileSync(values.in, 'utf8')) as PerStepResultFile;
  const { n_prompts, draws } = result.protocol;
  const images = draws === 1 ? `${n_prompts} val prompts` : `${n_prompts} val prompts x ${draws} draws`;
  const figure = perStepChart(result, {
    title: `Layout and detail of the predicted clean image per sampling step<br><sup>${images}; mean ± 1 standard error</sup>`,
  });
  await saveFigure(figure, values.out, values.in);
}

runScript(main);
