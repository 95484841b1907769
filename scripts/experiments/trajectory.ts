// Experiment: when along the sampling path does a generated image go wrong? The independent evaluator reads the
// predicted clean image x0_hat = x_t - t v at every Euler step: objects it finds per image and the share of prompts
// it passes, beside the objects a world scene for the same prompts holds. Default sampler settings unless given;
// validation split only (a diagnostic, not a benchmark).
// Regenerate: npx ts-node --transpile-only scripts/experiments/trajectory.ts [--checkpoint data/base] [--n 64] [--seed 3] [--guidance W] [--json]
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { evaluateImage } from '../../lib/eval/evaluate';
import { DEFAULT_SAMPLING, generateImages } from '../../lib/generate/generate';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { disposeModel } from '../../lib/model/params';
import { imagesFromGenerationTokens } from '../../lib/model/image-tokens';
import { makeRng } from '../../lib/rng';
import { sceneFor } from '../../lib/world/layout';
import { samplePrompts } from '../../lib/world/splits';
import { runScript } from '../lib/run-script';

interface StepRow {
  step: number;
  t: number;
  objects_per_image: number;
  pass_rate: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: 'string', default: 'data/base' },
      n: { type: 'string', default: '64' },
      seed: { type: 'string', default: '3' },
      guidance: { type: 'string', default: String(DEFAULT_SAMPLING.guidanceScale) },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const [n, seed, guidance] = [Number(values.n), Number(values.seed), Number(values.guidance)];
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed) || !(guidance >= 1))
    throw new Error('--n must be a positive integer, --seed an integer, --guidance >= 1');
  await initBackend({ quiet: true });
  const { model, manifest } = loadCheckpoint(values.checkpoint);
  const prompts = samplePrompts({ split: 'val', n, seed });
  const layoutRng = makeRng(seed).fork('trajectory');
  const sceneObjects = prompts.reduce((sum, p) => sum + sceneFor(p, layoutRng, { allowHeldOut: true }).objects.length, 0) / n;
  const rows: StepRow[] = [];
  try {
    generateImages(
      model,
      prompts.map((p) => p.text),
      {
        seed,
        guidanceScale: guidance,
        onStep: ({ first, step, t, x0Predicted }) => {
          const verdicts = imagesFromGenerationTokens(model, x0Predicted).map((image, i) => evaluateImage(image, prompts[first + i]));
          const row = (rows[step] ??= { step, t, objects_per_image: 0, pass_rate: 0 });
          row.objects_per_image += verdicts.reduce((sum, v) => sum + v.objects.length, 0) / n;
          row.pass_rate += verdicts.filter((v) => v.passed).length / n;
        },
      },
    );
  } finally {
    disposeModel(model);
  }
  const result = {
    checkpoint: values.checkpoint,
    step: manifest.step,
    split: 'val',
    n,
    seed,
    guidance,
    scene_objects_per_image: sceneObjects,
    steps: rows,
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `${values.checkpoint} (step ${manifest.step}), ${n} val prompts, seed ${seed}, guidance ${guidance}; a world scene holds ${sceneObjects.toFixed(2)} objects per prompt`,
    );
    for (const r of rows)
      console.log(
        `step ${String(r.step).padStart(2)}  t ${r.t.toFixed(2)}  x0_hat: objects per image ${r.objects_per_image.toFixed(2)}  pass ${r.pass_rate.toFixed(3)}`,
      );
  }
}

runScript(main);
