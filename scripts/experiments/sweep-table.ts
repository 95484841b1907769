// The lambda sweep or the ablations (paper Fig. 3), or the generalisation across category groups (Fig. 6), as a
// result file, from one paired score result of scripts/experiments/srum-gain.ts --phase score. The arms are found by
// name (lib/eval/sweep-results.ts, lib/eval/generalisation.ts):
//   --kind lambda          lambda-<value>@<seed> (think mode), and lambda-<value>-normal@<seed> (the same checkpoints
//                          as extra arms :think=off) paired against base-normal, if scored  -> lambda-sweep.json
//   --kind ablation        full, no-global, no-reference, sparse, sample-level (--as ROW=ARM names another arm for a
//                          row), each paired against full                                    -> ablations.json
//   --kind generalisation  gen-<group>@<seed> per category group of CATEGORY_GROUPS (--as GROUP=ARM), against base;
//                          --scores FILE (the score run's scores-<split>.json) adds the own-group and other-groups
//                          aggregates                                                          -> generalisation.json
// Registry: `npm run experiments -- lambda-sweep`, `-- ablations` and `-- generalisation` train, score and call this.
// Regenerate:
//   npx ts-node --transpile-only scripts/experiments/sweep-table.ts --kind lambda --from figures/results/lambda-sweep-score-val.json
//     --out figures/results/lambda-sweep.json
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../../lib/io';
import type { ScoreFile } from '../../lib/eval/compare';
import { CATEGORY_GROUPS, formatGeneralisation, generalisationResult } from '../../lib/eval/generalisation';
import {
  ABLATIONS,
  ablationResult,
  formatAblations,
  formatLambdaSweep,
  lambdaSweepResult,
  type AblationRow,
  type ScoreResult,
} from '../../lib/eval/sweep-results';
import { parseRowArms } from '../lib/row-arms';
import { runScript } from '../lib/run-script';

const readJson = <T>(file: string, writer: string): T => {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist (${writer} writes it)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kind: { type: 'string' },
      from: { type: 'string' },
      out: { type: 'string' },
      as: { type: 'string', default: '' },
      scores: { type: 'string' },
    },
    strict: true,
  });
  const { kind, from, out } = values;
  if ((kind !== 'lambda' && kind !== 'ablation' && kind !== 'generalisation') || from === undefined || out === undefined)
    throw new Error(
      'usage: sweep-table.ts --kind lambda|ablation|generalisation --from SCORE.json --out FILE [--as ROW=ARM,...] ' +
        '[--scores SCORES.json] (see the file comment)',
    );
  if (kind === 'lambda' && values.as !== '') throw new Error('--as names ablation rows or category groups: not with --kind lambda');
  if (kind !== 'generalisation' && values.scores !== undefined) throw new Error('--scores goes with --kind generalisation');
  const result = readJson<ScoreResult>(from, 'srum-gain.ts --phase score');
  if (result.report === undefined || result.arms === undefined)
    throw new Error(`${from} has no arms or report: not a score result of srum-gain.ts --phase score`);
  const command = `npx ts-node --transpile-only scripts/experiments/sweep-table.ts ${process.argv.slice(2).join(' ')}`;
  if (kind === 'lambda') {
    const sweep = lambdaSweepResult(result, { from, command });
    writeJsonAtomic(out, sweep);
    console.log(formatLambdaSweep(sweep));
  } else if (kind === 'ablation') {
    const ablations = ablationResult(result, { from, command, as: parseRowArms(values.as, Object.keys(ABLATIONS) as AblationRow[]) });
    writeJsonAtomic(out, ablations);
    console.log(formatAblations(ablations));
  } else {
    const file = values.scores;
    const scores = file === undefined ? undefined : { file, verdicts: readJson<ScoreFile>(file, 'srum-gain.ts --phase score') };
    const as = parseRowArms(values.as, Object.keys(CATEGORY_GROUPS));
    const generalisation = generalisationResult(result, { groups: CATEGORY_GROUPS, as, from, command, scores });
    writeJsonAtomic(out, generalisation);
    console.log(formatGeneralisation(generalisation));
  }
  console.log(`wrote ${out}`);
}

runScript(main);
