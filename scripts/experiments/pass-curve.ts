// Experiment: the evaluator's pass rate of a run's snapshots, step by step — does more generation training mean more
// passes? Validation prompts, default sampler settings (normal mode), guidance as given. Prompts are split by what
// their constraints ask: `presence` prompts pass with at least one matching object (exists constraints only), so
// extra objects never fail them; `exact` prompts hold a count or a relation, which need exactly the objects named.
// For relation constraints it also counts the objects matching the subject and the object (0, 1, 2+), which tells
// whether they fail on duplicates (2+) or on objects drawn unrecognisably (0). A diagnostic on the validation split, not a benchmark.
// Regenerate: npx ts-node --transpile-only scripts/experiments/pass-curve.ts --checkpoints DIR,DIR,... [--n 160]
//   [--seed 3] [--guidance 4] [--ema] [--json OUT.json]
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { evaluateImage, type Verdict } from '../../lib/eval/evaluate';
import { DEFAULT_SAMPLING, generateImages } from '../../lib/generate/generate';
import { writeJsonAtomic } from '../../lib/io';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { disposeModel } from '../../lib/model/params';
import { loadEmaCheckpoint } from '../../lib/train/ema';
import { matches } from '../../lib/world/semantics';
import { samplePrompts } from '../../lib/world/splits';
import type { ObjectDesc, Prompt } from '../../lib/world/types';
import { runScript } from '../lib/run-script';

interface Rate {
  passed: number;
  n: number;
  rate: number;
}

export interface CurvePoint {
  checkpoint: string;
  step: number;
  ema: boolean;
  pass: Rate;
  presence: Rate;
  exact: Rate;
  objects_per_image: number;
  per_category: Record<string, Rate>;
  /** Relation constraints by 'subject matches/object matches' (each 0, 1 or 2+). */
  relation_matches: Record<string, number>;
}

const rate = (passed: number, n: number): Rate => ({ passed, n, rate: n === 0 ? 0 : passed / n });
const isExact = (p: Prompt): boolean => p.constraints.some((c) => c.kind !== 'exists');

function relationMatches(verdicts: readonly Verdict[]): Record<string, number> {
  const out: Record<string, number> = {};
  const capped = (n: number): string => (n >= 2 ? '2+' : String(n));
  for (const verdict of verdicts) {
    for (const { constraint } of verdict.constraints) {
      if (constraint.kind !== 'relation') continue;
      const found = (desc: ObjectDesc): number => verdict.objects.filter((o) => matches(desc, o)).length;
      const key = `${capped(found(constraint.subject))}/${capped(found(constraint.object))}`;
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkpoints: { type: 'string' },
      n: { type: 'string', default: '160' },
      seed: { type: 'string', default: '3' },
      guidance: { type: 'string', default: String(DEFAULT_SAMPLING.guidanceScale) },
      ema: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
    strict: true,
  });
  if (values.checkpoints === undefined) throw new Error('--checkpoints DIR,DIR,... is required');
  const [n, seed, guidanceScale] = [Number(values.n), Number(values.seed), Number(values.guidance)];
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed) || !(guidanceScale >= 1))
    throw new Error('--n must be a positive integer, --seed an integer, --guidance >= 1');
  await initBackend({ quiet: true });
  const prompts = samplePrompts({ split: 'val', n, seed });
  const points: CurvePoint[] = [];
  for (const dir of values.checkpoints.split(',')) {
    const { model, manifest } = values.ema ? loadEmaCheckpoint(dir) : loadCheckpoint(dir);
    try {
      const verdicts = generateImages(
        model,
        prompts.map((p) => p.text),
        { seed, guidanceScale },
      ).map((image, i) => evaluateImage(image, prompts[i]));
      const count = (keep: (i: number) => boolean): Rate => {
        const chosen = verdicts.filter((_, i) => keep(i));
        return rate(chosen.filter((v) => v.passed).length, chosen.length);
      };
      const categories = [...new Set(prompts.map((p) => p.category))];
      const point: CurvePoint = {
        checkpoint: dir,
        step: manifest.step,
        ema: values.ema,
        pass: count(() => true),
        presence: count((i) => !isExact(prompts[i])),
        exact: count((i) => isExact(prompts[i])),
        objects_per_image: verdicts.reduce((sum, v) => sum + v.objects.length, 0) / n,
        per_category: Object.fromEntries(categories.map((c) => [c, count((i) => prompts[i].category === c)])),
        relation_matches: relationMatches(verdicts),
      };
      points.push(point);
      const show = (r: Rate): string => `${r.passed}/${r.n} = ${r.rate.toFixed(3)}`;
      console.log(
        `${dir}${values.ema ? ' EMA' : ''} step ${point.step}: pass ${show(point.pass)}  presence ${show(point.presence)}  exact ${show(point.exact)}  objects ${point.objects_per_image.toFixed(2)}  relations (subject/object matches) ${JSON.stringify(point.relation_matches)}`,
      );
    } finally {
      disposeModel(model);
    }
  }
  if (values.json !== undefined) {
    writeJsonAtomic(values.json, {
      command: `npx ts-node --transpile-only scripts/experiments/pass-curve.ts ${process.argv.slice(2).join(' ')}`,
      n,
      seed,
      guidance: guidanceScale,
      split: 'val',
      points,
    });
    console.log(`wrote ${values.json}`);
  }
}

runScript(main);
