// Figure: SRUM's self-play rounds, each round's gain over base on the evaluation protocol (paired, clustered SE), from
// a score result that carries its report (srum-gain.ts --phase score with the rounds as --extra-arms).
// Regenerate: npx ts-node --transpile-only scripts/figures/rounds.ts --in figures/results/unbound-rounds-val.json
//   --rounds base,srum-think-nr,round1,round2,round3 [--labels base,0,1,2,3] --out figures/unbound-rounds  -> <out>.png, .svg
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { ComparisonReport } from '../../lib/eval/compare';
import { roundsChart, saveFigure } from '../../lib/plot';
import { runScript } from '../lib/run-script';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { in: { type: 'string' }, out: { type: 'string' }, rounds: { type: 'string' }, labels: { type: 'string' } },
    strict: true,
  });
  if (values.in === undefined || values.out === undefined || values.rounds === undefined)
    throw new Error('usage: rounds.ts --in RESULT.json --rounds base,ARM1,ARM2,... --out FIGURE');
  const result = JSON.parse(fs.readFileSync(values.in, 'utf8')) as { report?: ComparisonReport };
  if (result.report === undefined) throw new Error(`${values.in} carries no protocol report (srum-gain.ts --phase score writes one)`);
  const labels = values.labels?.split(',');
  await saveFigure(roundsChart(result.report, values.rounds.split(','), { labels }), values.out, values.in);
}

runScript(main);
