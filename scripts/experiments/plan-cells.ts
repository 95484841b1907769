// Experiment: how good are a checkpoint's own think-mode plans, per category? Each validation prompt's plan
// (predictPlan: with a cell decoder, slot after slot) is drawn by the world's renderer, not by the model, and the
// independent evaluator scores the render against the prompt: planning apart from drawing. Validation split only.
// Regenerate: npx ts-node --transpile-only scripts/experiments/plan-cells.ts [--checkpoint data/base] [--n 560] [--seed 5]
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { evaluateImage } from '../../lib/eval/evaluate';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { PLAN_VALUES } from '../../lib/model/classes';
import { disposeModel } from '../../lib/model/params';
import { predictPlan } from '../../lib/model/plan';
import { sceneOfPlan } from '../../lib/train/plan';
import { renderScene } from '../../lib/world/render';
import { samplePrompts } from '../../lib/world/splits';
import { encodeBatch } from '../../lib/world/tokenizer';
import { runScript } from '../lib/run-script';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { checkpoint: { type: 'string', default: 'data/base' }, n: { type: 'string', default: '560' }, seed: { type: 'string', default: '5' } }, strict: true });
  const [n, seed] = [Number(values.n), Number(values.seed)];
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed)) throw new Error('--n must be a positive integer, --seed an integer');
  await initBackend({ quiet: true });
  const { model, manifest } = loadCheckpoint(values.checkpoint);
  try {
    const prompts = samplePrompts({ split: 'val', n, seed });
    const plan = predictPlan(model, encodeBatch(prompts.map((p) => p.text), model.config.maxTextTokens));
    const perCategory: Record<string, [number, number]> = {};
    let passed = 0;
    prompts.forEach((prompt, b) => {
      const scene = sceneOfPlan(plan.subarray(b * PLAN_VALUES, (b + 1) * PLAN_VALUES), model.config.planGrid, model.config.imageSize);
      const ok = evaluateImage(renderScene(scene), prompt).passed;
      const tally = (perCategory[prompt.category] ??= [0, 0]);
      tally[1] += 1;
      if (ok) { tally[0] += 1; passed += 1; }
    });
    console.log(`${values.checkpoint} (step ${manifest.step}): own plans, world-drawn, pass ${passed}/${prompts.length} = ${(passed / prompts.length).toFixed(3)}`);
    console.log(Object.entries(perCategory).map(([c, [k, all]]) => `${c} ${(k / all).toFixed(2)}`).join(', '));
  } finally {
    disposeModel(model);
  }
}

runScript(main);
