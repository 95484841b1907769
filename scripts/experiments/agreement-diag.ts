// Experiment: where does the model's own verdict on its generations disagree with the independent evaluator?
// Validation split only. Prints the 2 x 2 table (self verdict x evaluator verdict) per category and, with --out,
// writes what each side saw in every image. Regenerate: npx ts-node --transpile-only scripts/experiments/agreement-diag.ts [--checkpoint data/base] [--n 280] [--seed 5]
//   [--out DIR: each image as DIR/<k>.png and every record in DIR/records.json] [--steps N --guidance W --shift S --eta E: sampler settings other than the defaults]
//   [--plan-temperature T [--plan-fields shape,size]: think-mode plans with those fields drawn at temperature T (predictPlan)]
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { evaluateImage } from '../../lib/eval/evaluate';
import { generateImages } from '../../lib/generate/generate';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { describeObjects, promptVerdict } from '../../lib/judge/verdict';
import { disposeModel } from '../../lib/model/params';
import { samplePrompts } from '../../lib/world/splits';
import { readPng, writePng } from '../../lib/world/png';
import type { RgbImage } from '../../lib/world/types';
import { PLAN_FIELDS, type PlanField } from '../../lib/model/classes';
import { predictPlan } from '../../lib/model/plan';
import { hashString, makeRng } from '../../lib/rng';
import { encodeBatch } from '../../lib/world/tokenizer';
import { runScript } from '../lib/run-script';

const SHIFTS: readonly [number, number][] = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
];

/** The image moved by (dx, dy) pixels; the pixels uncovered at the edge repeat the edge. */
function shifted(image: RgbImage, dx: number, dy: number): RgbImage {
  const { width, height, data } = image;
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (Math.min(height - 1, Math.max(0, y - dy)) * width + Math.min(width - 1, Math.max(0, x - dx))) * 3;
      out.set(data.subarray(src, src + 3), (y * width + x) * 3);
    }
  }
  return { width, height, data: out };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: 'string', default: 'data/base' },
      n: { type: 'string', default: '280' },
      seed: { type: 'string', default: '5' },
      out: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      shift: { type: 'string' },
      eta: { type: 'string' },
      'plan-temperature': { type: 'string' },
      'plan-fields': { type: 'string', default: 'shape' },
      images: { type: 'string' },
      stability: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const [n, seed] = [Number(values.n), Number(values.seed)];
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed)) throw new Error('--n must be a positive integer, --seed an integer');
  if (
    values.images !== undefined &&
    (values.steps ?? values.guidance ?? values.shift ?? values.eta ?? values['plan-temperature']) !== undefined
  )
    throw new Error('--images reads saved images: --steps, --guidance, --shift, --eta and --plan-temperature only apply when generating');
  const fields = values['plan-fields'].split(',') as PlanField[];
  const unknown = fields.filter((f) => !PLAN_FIELDS.includes(f));
  if (unknown.length > 0) throw new Error(`--plan-fields: unknown ${unknown.join(', ')} (fields: ${PLAN_FIELDS.join(', ')})`);
  await initBackend({ quiet: true });
  const { model } = loadCheckpoint(values.checkpoint);
  try {
    const prompts = samplePrompts({ split: 'val', n, seed });
    const sampler = {
      steps: values.steps === undefined ? undefined : Number(values.steps),
      guidanceScale: values.guidance === undefined ? undefined : Number(values.guidance),
      timestepShift: values.shift === undefined ? undefined : Number(values.shift),
      stochasticity: values.eta === undefined ? undefined : Number(values.eta),
    };
    const texts = prompts.map((p) => p.text);
    const planTemperature = values['plan-temperature'] === undefined ? undefined : Number(values['plan-temperature']);
    const plans =
      planTemperature === undefined
        ? undefined
        : predictPlan(model, encodeBatch(texts, model.config.maxTextTokens), {
            temperature: planTemperature,
            rng: makeRng(hashString(`plans:${seed}`)),
            fields,
          });
    const images =
      values.images !== undefined
        ? prompts.map((_, k) => readPng(`${values.images}/${k}.png`))
        : generateImages(model, texts, { seed, think: true, plans, ...sampler });
    const stability = { evaluatorKeeps: 0, judgeKeeps: 0, agree: 0 };
    const tally: Record<string, { tt: number; tf: number; ft: number; ff: number }> = {};
    const records: unknown[] = [];
    prompts.forEach((prompt, k) => {
      const ev = evaluateImage(images[k], prompt);
      const self = promptVerdict(model, images[k], prompt);
      const t = (tally[prompt.category] ??= { tt: 0, tf: 0, ft: 0, ff: 0 });
      const key = `${self.passed ? 't' : 'f'}${ev.passed ? 't' : 'f'}` as 'tt';
      t[key] += 1;
      if (values.out) writePng(`${values.out}/${k}.png`, images[k]);
      if (values.stability) {
        for (const [dx, dy] of SHIFTS) {
          const moved = shifted(images[k], dx, dy);
          const [evMoved, selfMoved] = [evaluateImage(moved, prompt).passed, promptVerdict(model, moved, prompt).passed];
          stability.evaluatorKeeps += +(evMoved === ev.passed);
          stability.judgeKeeps += +(selfMoved === self.passed);
          stability.agree += +(evMoved === selfMoved);
        }
      }
      records.push({
        k,
        category: prompt.category,
        prompt: prompt.text,
        self: self.passed,
        evaluator: ev.passed,
        selfP: self.probabilities.map((p) => +p.toFixed(2)),
        selfSaw: describeObjects(self.parsed ?? []),
        evalDetails: ev.constraints.map((c) => `${c.passed ? 'ok' : 'FAIL'} ${c.text}: ${c.detail}`),
      });
    });
    let agree = 0;
    for (const [c, t] of Object.entries(tally)) {
      agree += t.tt + t.ff;
      console.log(
        `${c.padEnd(14)} self+eval+ ${t.tt}  self+eval- ${t.tf}  self-eval+ ${t.ft}  self-eval- ${t.ff}  agree ${((t.tt + t.ff) / (t.tt + t.tf + t.ft + t.ff)).toFixed(2)}`,
      );
    }
    console.log(`agreement ${(agree / prompts.length).toFixed(3)} over ${prompts.length}`);
    if (values.stability) {
      const share = (count: number): string => (count / (prompts.length * SHIFTS.length)).toFixed(3);
      console.log(
        `under a 1-px shift: the evaluator keeps its verdict ${share(stability.evaluatorKeeps)}, the judge ${share(stability.judgeKeeps)}; they agree on the shifted images ${share(stability.agree)}`,
      );
    }
    if (values.out) fs.writeFileSync(`${values.out}/records.json`, JSON.stringify(records, null, 1));
  } finally {
    disposeModel(model);
  }
}

runScript(main);
