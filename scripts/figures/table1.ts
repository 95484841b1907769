// Figure: the Table 1 analogue (lib/plot/results.ts mainResultsChart) from figures/results/srum-main.json.
// Regenerate: npx ts-node --transpile-only scripts/figures/table1.ts [--in figures/results/srum-main.json] [--out figures/table1]
//   -> <out>.png and <out>.svg
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { mainResultsChart, saveFigure } from '../../lib/plot';
import type { MainResults } from '../../lib/run/results';
import { runScript } from '../lib/run-script';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { in: { type: 'string', default: 'figures/results/srum-main.json' }, out: { type: 'string', default: 'figures/table1' } },
    strict: true,
  });
  if (!fs.existsSync(values.in)) throw new Error(`${values.in} does not exist: run scripts/experiments/srum-main.ts first`);
  const results = JSON.parse(fs.readFileSync(values.in, 'utf8')) as MainResults;
  for (const method of ['base', 'sft', 'srum'] as const) {
    if (!Array.isArray(results[method]?.overall)) throw new Error(`${values.in} has no ${method}.overall list: not a srum-main result`);
  }
  const figure = mainResultsChart(results);
  await saveFigure(figure, values.out, values.in);
}

runScript(main);
