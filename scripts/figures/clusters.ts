// Figure: average activation strength of the understanding and generation clusters per task and model (paper Fig. 5),
// from figures/results/clusters.json (scripts/experiments/clusters.ts).
// Regenerate: npx ts-node --transpile-only scripts/figures/clusters.ts [--in figures/results/clusters.json] [--out figures/clusters]
//   -> <out>.png and <out>.svg
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { ClusterReport } from '../../lib/eval/clusters';
import { clusterActivationChart, saveFigure } from '../../lib/plot';
import { runScript } from '../lib/run-script';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { in: { type: 'string', default: 'figures/results/clusters.json' }, out: { type: 'string', default: 'figures/clusters' } },
    strict: true,
  });
  if (!fs.existsSync(values.in)) throw new Error(`${values.in} does not exist: run scripts/experiments/clusters.ts first`);
  const report = JSON.parse(fs.readFileSync(values.in, 'utf8')) as ClusterReport;
  if (report.models === undefined || report.clusters?.understanding === undefined)
    throw new Error(`${values.in} has no clusters or models: not a clusters.ts result`);
  await saveFigure(clusterActivationChart(report), values.out, values.in);
}

runScript(main);
