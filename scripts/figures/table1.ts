// Figure: the Table 1 analogue. From a srum-main result (base / SFT / SRUM per seed, lib/plot/results.ts
// mainResultsChart) or from a paired protocol comparison that carries its report (srum-gain.ts --phase score,
// `srum compare --out`: protocolResultsChart, clustered SEs on the bars).
// Regenerate: npx ts-node --transpile-only scripts/figures/table1.ts [--in figures/results/srum-main.json] [--out figures/table1]
//   [--arms key=Label,...] (protocol results: which arms, in legend order; default all)  -> <out>.png and <out>.svg
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { ComparisonReport } from '../../lib/eval/compare';
import { mainResultsChart, protocolResultsChart, saveFigure } from '../../lib/plot';
import type { MainResults } from '../../lib/run/results';
import { runScript } from '../lib/run-script';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      in: { type: 'string', default: 'figures/results/srum-main.json' },
      out: { type: 'string', default: 'figures/table1' },
      arms: { type: 'string' },
    },
    strict: true,
  });
  if (!fs.existsSync(values.in)) throw new Error(`${values.in} does not exist: run scripts/experiments/srum-main.ts first`);
  const results = JSON.parse(fs.readFileSync(values.in, 'utf8')) as Partial<MainResults> & { report?: ComparisonReport };
  if (results.report !== undefined) {
    const arms = values.arms?.split(',').map((spec): [string, string] => {
      const [key, label] = spec.split('=');
      return [key, label ?? key];
    });
    return saveFigure(protocolResultsChart(results.report, arms), values.out, values.in);
  }
  for (const method of ['base', 'sft', 'srum'] as const) {
    if (!Array.isArray(results[method]?.overall))
      throw new Error(`${values.in} has neither a protocol report nor ${method}.overall: not a comparison result`);
  }
  await saveFigure(mainResultsChart(results as MainResults), values.out, values.in);
}

runScript(main);
