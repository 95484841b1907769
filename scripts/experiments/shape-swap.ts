// Experiment: does the plan's shape field steer the drawing? Validation prompts are generated with their ground-truth
// plans, then with the same plans and the same noise but every present slot's shape set to circle, square and
// triangle in turn; the evaluator's detected shapes and the mean absolute pixel change between the variants tell how
// much the model draws the shape it is told; the world's own renders of the same scenes with the same swaps give the
// change a model that draws every shape exactly would make. A diagnostic for plan-conditioned checkpoints (planMap), validation split.
// Regenerate: npx ts-node --transpile-only scripts/experiments/shape-swap.ts --checkpoint DIR [--n 48] [--seed 3]
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { detectObjects } from '../../lib/eval/objects';
import { generateImages } from '../../lib/generate/generate';
import { PLAN_FIELDS } from '../../lib/model/classes';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { disposeModel } from '../../lib/model/params';
import { makeRng } from '../../lib/rng';
import { planBatch } from '../../lib/train/plan';
import { sceneFor } from '../../lib/world/layout';
import { renderScene } from '../../lib/world/render';
import { samplePrompts } from '../../lib/world/splits';
import { SHAPES, type RgbImage } from '../../lib/world/types';
import { runScript } from '../lib/run-script';

const SHAPE_FIELD = PLAN_FIELDS.indexOf('shape');

/** Mean over images of the mean |a - b| over pixels and channels. */
function meanAbsDifference(a: readonly RgbImage[], b: readonly RgbImage[]): number {
  return (
    a.reduce((sum, image, i) => sum + image.data.reduce((s, v, j) => s + Math.abs(v - b[i].data[j]), 0) / image.data.length, 0) / a.length
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { checkpoint: { type: 'string' }, n: { type: 'string', default: '48' }, seed: { type: 'string', default: '3' } },
    strict: true,
  });
  if (values.checkpoint === undefined) throw new Error('--checkpoint DIR is required');
  const [n, seed] = [Number(values.n), Number(values.seed)];
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed)) throw new Error('--n must be a positive integer, --seed an integer');
  await initBackend({ quiet: true });
  const { model, manifest } = loadCheckpoint(values.checkpoint);
  const prompts = samplePrompts({ split: 'val', n, seed });
  const layoutRng = makeRng(seed).fork('plan-oracle');
  const scenes = prompts.map((p) => sceneFor(p, layoutRng, { allowHeldOut: true }));
  const truth = planBatch(scenes, model.config.planGrid);
  const fields = PLAN_FIELDS.length;
  // The ground-truth plans with every present slot's shape set to `shape` (slot rows: present flag first).
  const plansWith = (shape: number | undefined): Int32Array => {
    const plans = truth.slice();
    if (shape !== undefined) for (let row = 0; row < plans.length; row += fields) if (plans[row] === 1) plans[row + SHAPE_FIELD] = shape;
    return plans;
  };
  try {
    const variants = [undefined, ...SHAPES.map((_, s) => s)].map((shape) => ({
      label: shape === undefined ? 'ground-truth shapes' : `every slot ${SHAPES[shape]}`,
      images: generateImages(
        model,
        prompts.map((p) => p.text),
        { seed, plans: plansWith(shape) },
      ),
    }));
    console.log(`${values.checkpoint} (step ${manifest.step}), ${n} validation prompts, seed ${seed}`);
    for (const { label, images } of variants) {
      const shapes: Record<string, number> = {};
      for (const image of images) for (const o of detectObjects(image).objects) shapes[o.shape] = (shapes[o.shape] ?? 0) + 1;
      console.log(
        `  ${label.padEnd(20)} detected ${SHAPES.map((s) => `${s} ${shapes[s] ?? 0}`).join(', ')}; mean |pixel change| from ground-truth shapes ${meanAbsDifference(images, variants[0].images).toFixed(4)}`,
      );
    }
    const rendered = scenes.map(renderScene);
    const swapped = SHAPES.map((shape) =>
      meanAbsDifference(
        scenes.map((scene) => renderScene({ ...scene, objects: scene.objects.map((o) => ({ ...o, shape })) })),
        rendered,
      ).toFixed(4),
    );
    console.log(`  the world's renders of the same scenes change by ${SHAPES.map((s, i) => `${swapped[i]} (${s})`).join(', ')}`);
  } finally {
    disposeModel(model);
  }
}

runScript(main);
