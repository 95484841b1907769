// Understanding of trained arms against their base, paired scene by scene, with a standard error clustered by prompt
// text: the comparison the ±1-point understanding bar needs. The result files' understanding column is one accuracy
// on 400 scenes, whose step is 0.25 points and whose noise is not reported; here the same scenes (understandingItems)
// are asked of every model over several scene seeds, and an arm of several training seeds is averaged scene by scene.
// --cache FILE keeps every model's answers, so a rerun with one more arm asks only that one.
//   npx ts-node --transpile-only scripts/experiments/understanding-paired.ts --split val --base data/backbone-unbound \
//     --arms srum=runs/bb/gain/srum-bb1-u10@0+runs/bb/gain/srum-bb1-u10@1 --scene-seeds 11,12,13 --out FILE
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { understandingItems, type EvalSplit, type UnderstandingItem } from '../../lib/eval/benchmarks';
import { loadArm, pairedUnderstanding } from '../../lib/eval/compare';
import { writeJsonAtomic } from '../../lib/io';
import { disposeModel } from '../../lib/model/params';
import { runScript } from '../lib/run-script';

/** Answers kept per (source, split, n, scene seed), so a rerun with one more arm asks only that arm. */
type AnswerCache = Record<string, UnderstandingItem[]>;

/**
 * A model's answers over every scene seed, concatenated in seed order. Missing ones are asked, added to `cache` and
 * written to `cacheFile` at once, so a stopped run keeps what it measured.
 */
function answers(
  source: string,
  split: EvalSplit,
  n: number,
  sceneSeeds: readonly number[],
  cache: AnswerCache,
  cacheFile: string | undefined,
): UnderstandingItem[] {
  const key = (seed: number): string => `${source}|${split}|${n}|${seed}`;
  const missing = sceneSeeds.filter((seed) => cache[key(seed)] === undefined);
  if (missing.length > 0) {
    const model = loadArm(source);
    try {
      for (const seed of missing) cache[key(seed)] = understandingItems(model, { n, seed, split });
    } finally {
      disposeModel(model);
    }
    if (cacheFile !== undefined) writeJsonAtomic(cacheFile, cache);
  }
  return sceneSeeds.flatMap((seed) => cache[key(seed)]);
}

const percentCorrect = (items: readonly UnderstandingItem[]): number => (100 * items.filter((i) => i.correct).length) / items.length;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      split: { type: 'string', default: 'val' },
      base: { type: 'string' },
      arms: { type: 'string' },
      n: { type: 'string', default: '400' },
      'scene-seeds': { type: 'string', default: '11,12,13' },
      out: { type: 'string' },
      cache: { type: 'string' },
    },
  });
  if (values.base === undefined || values.arms === undefined || values.out === undefined)
    throw new Error(
      'usage: understanding-paired.ts --base DIR --arms name=DIR[+DIR...],... --out FILE [--split val] [--n 400] [--scene-seeds 11,12,13]',
    );
  if (values.split !== 'val' && values.split !== 'test') throw new Error(`--split must be val or test, not '${values.split}'`);
  const split: EvalSplit = values.split;
  const n = Number(values.n);
  const sceneSeeds = values['scene-seeds'].split(',').map(Number);
  if (!Number.isInteger(n) || n < 1 || sceneSeeds.some((s) => !Number.isInteger(s))) throw new Error('--n and --scene-seeds take integers');
  const arms = values.arms.split(',').map((spec) => {
    const [name, sources] = spec.split('=');
    if (name === undefined || sources === undefined || name === '' || sources === '')
      throw new Error(`bad arm '${spec}': name=DIR[+DIR...]`);
    return { name, sources: sources.split('+') };
  });
  await initBackend();

  const started = Date.now();
  const say = (what: string): void => console.error(`[understanding] ${what} (${Math.round((Date.now() - started) / 1000)} s)`);
  const cacheFile = values.cache;
  const cache: AnswerCache =
    cacheFile !== undefined && fs.existsSync(cacheFile) ? (JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as AnswerCache) : {};
  const ask = (source: string): UnderstandingItem[] => answers(source, split, n, sceneSeeds, cache, cacheFile);
  const base = ask(values.base);
  say(`base: ${percentCorrect(base).toFixed(2)}% of ${base.length} scenes`);
  const result: Record<string, { sources: string[]; accuracy: number[]; minus_base: { mean: number; se: number } }> = {};
  for (const arm of arms) {
    const seeds = arm.sources.map(ask);
    const paired = pairedUnderstanding(base, seeds);
    result[arm.name] = { sources: arm.sources, accuracy: seeds.map(percentCorrect), minus_base: { mean: paired.mean, se: paired.se } };
    say(`${arm.name}: ${paired.mean >= 0 ? '+' : ''}${paired.mean.toFixed(2)} ± ${paired.se.toFixed(2)} against base`);
  }
  writeJsonAtomic(values.out, {
    command: `npx ts-node --transpile-only scripts/experiments/understanding-paired.ts ${process.argv.slice(2).join(' ')}`,
    split,
    test_looked_at: split === 'test',
    n_per_seed: n,
    scene_seeds: sceneSeeds,
    scenes: base.length,
    base: { source: values.base, accuracy: percentCorrect(base) },
    arms: result,
  });
}

runScript(main);
