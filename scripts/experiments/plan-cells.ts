// Experiment: how good are a checkpoint's own think-mode plans, per category? Each validation prompt's plan
// (predictPlan: with a cell decoder, slot after slot) is drawn by the world's renderer, not by the model, and the
// independent evaluator scores the render against the prompt: planning apart from drawing. Validation split only.
// Regenerate: npx ts-node --transpile-only scripts/experiments/plan-cells.ts [--checkpoint data/base] [--n 560] [--seed 5]
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { evaluateImage } from '../../lib/eval/evaluate';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { disposeModel } from '../../lib/model/params';
import { worldDrawnPlans } from '../../lib/train/plan';
import { samplePrompts } from '../../lib/world/splits';
import { runScript } from '../lib/run-script';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: 'string', default: 'data/base' },
      n: { type: 'string', default: '560' },
      seed: { type: 'string', default: '5' },
    },
    strict: true,
  });
  const [n, seed] = [Number(values.n), Number(values.seed)];
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed)) throw new Error('--n must be a positive integer, --seed an integer');
  await initBackend({ quiet: true });
  const { model, manifest } = loadCheckpoint(values.checkpoint);
  try {
    const prompts = samplePrompts({ split: 'val', n, seed });
    const renders = worldDrawnPlans(
      model,
      prompts.map((p) => p.text),
    );
    const perCategory: Record<string, [number, number]> = {};
    let passed = 0;
    prompts.forEach((prompt, b) => {
      const ok = evaluateImage(renders[b], prompt).passed;
      const tally = (perCategory[prompt.category] ??= [0, 0]);
      tally[1] += 1;
      if (ok) {
        tally[0] += 1;
        passed += 1;
      }
    });
    console.log(
      `${values.checkpoint} (step ${manifest.step}): own plans, world-drawn, pass ${passed}/${prompts.length} = ${(passed / prompts.length).toFixed(3)}`,
    );
    console.log(
      Object.entries(perCategory)
        .map(([c, [k, all]]) => `${c} ${(k / all).toFixed(2)}`)
        .join(', '),
    );
  } finally {
    disposeModel(model);
  }
}

runScript(main);
