// Figure: the understanding-generation gap of the shipped model, per category (lib/plot/gap.ts gapChart).
// Input: the JSON printed by `npx srum gap --n 400 --seed 11 --json > figures/results/gap-base.json`.
// Regenerate: npx ts-node --transpile-only scripts/figures/gap-chart.ts [--in figures/results/gap-base.json] [--out figures/gap]
//   -> <out>.png and <out>.svg
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { GapReport } from '../../lib/eval/gap';
import { gapChart, saveFigure } from '../../lib/plot';
import { runScript } from '../lib/run-script';

const REQUIRED = ['understanding_accuracy', 'generation_accuracy', 'understanding_on_generated', 'n', 'seed', 'per_category'] as const;

/** The gap report in a file: the last line that parses as a JSON object (tolerates progress lines before it). */
function readGapReport(file: string): GapReport & { checkpoint?: string; checkpoint_step?: number } {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: run \`npx srum gap --n 400 --seed 11 --json > ${file}\` first`);
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'));
  const last = lines.at(-1);
  if (last === undefined) throw new Error(`${file} holds no JSON object`);
  const report = JSON.parse(last) as Record<string, unknown>;
  const missing = REQUIRED.filter((key) => !(key in report));
  if (missing.length > 0) throw new Error(`${file} is not a gap report (missing ${missing.join(', ')})`);
  return report as unknown as GapReport;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      in: { type: 'string', default: 'figures/results/gap-base.json' },
      out: { type: 'string', default: 'figures/gap' },
    },
    strict: true,
  });
  const report = readGapReport(values.in);
  const from = report.checkpoint === undefined ? '' : ` of ${report.checkpoint} (step ${report.checkpoint_step})`;
  const figure = gapChart(report, `Understanding vs generation${from}, n = ${report.n}, seed ${report.seed}`);
  await saveFigure(figure, values.out, values.in);
}

runScript(main);
