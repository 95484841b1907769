// The lambda sweep or the ablations (paper Fig. 3) as a result file, from one paired score result of
// scripts/experiments/srum-gain.ts --phase score. The arms are found by name (lib/eval/sweep-results.ts):
//   --kind lambda    lambda-<value>@<seed> (think mode), and lambda-<value>-normal@<seed> (the same checkpoints as
//                    extra arms :think=off) paired against base-normal, if scored  -> lambda-sweep.json
//   --kind ablation  full, no-global, no-reference, sparse, sample-level (--as ROW=ARM names another arm for a row),
//                    each paired against full                                        -> ablations.json
// Registry: `npm run experiments -- lambda-sweep` and `-- ablations` train, score and call this.
// Regenerate:
//   npx ts-node --transpile-only scripts/experiments/sweep-table.ts --kind lambda --from figures/results/lambda-sweep-score-val.json
//     --out figures/results/lambda-sweep.json
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../../lib/io';
import {
  ABLATIONS,
  ablationResult,
  formatAblations,
  formatLambdaSweep,
  lambdaSweepResult,
  type AblationRow,
  type ScoreResult,
} from '../../lib/eval/sweep-results';
import { runScript } from '../lib/run-script';

/** `full=lambda-0.1,no-reference=lambda-0` -> { full: 'lambda-0.1', ... }. */
function parseAs(text: string): Partial<Record<AblationRow, string>> {
  const as: Partial<Record<AblationRow, string>> = {};
  for (const spec of text.split(',').filter((s) => s !== '')) {
    const [row, arm, ...rest] = spec.split('=');
    if (!(row in ABLATIONS) || !arm || rest.length > 0)
      throw new Error(`--as: "${spec}" is not ROW=ARM with a row of ${Object.keys(ABLATIONS).join(', ')}`);
    as[row as AblationRow] = arm;
  }
  return as;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { kind: { type: 'string' }, from: { type: 'string' }, out: { type: 'string' }, as: { type: 'string', default: '' } },
    strict: true,
  });
  const { kind, from, out } = values;
  if ((kind !== 'lambda' && kind !== 'ablation') || from === undefined || out === undefined)
    throw new Error('usage: sweep-table.ts --kind lambda|ablation --from SCORE.json --out FILE [--as ROW=ARM,...] (see the file comment)');
  if (!fs.existsSync(from)) throw new Error(`${from} does not exist (srum-gain.ts --phase score writes it)`);
  if (kind === 'lambda' && values.as !== '') throw new Error('--as names ablation rows: it goes with --kind ablation');
  const result = JSON.parse(fs.readFileSync(from, 'utf8')) as ScoreResult;
  if (result.report === undefined || result.arms === undefined)
    throw new Error(`${from} has no arms or report: not a score result of srum-gain.ts --phase score`);
  const command = `npx ts-node --transpile-only scripts/experiments/sweep-table.ts ${process.argv.slice(2).join(' ')}`;
  if (kind === 'lambda') {
    const sweep = lambdaSweepResult(result, { from, command });
    writeJsonAtomic(out, sweep);
    console.log(formatLambdaSweep(sweep));
  } else {
    const ablations = ablationResult(result, { from, command, as: parseAs(values.as) });
    writeJsonAtomic(out, ablations);
    console.log(formatAblations(ablations));
  }
  console.log(`wrote ${out}`);
}

runScript(main);
