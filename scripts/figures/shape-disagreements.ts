// Figure: the objects on which the model's judge and the independent evaluator name different shapes. Each object
// the evaluator finds is set beside the judge's nearest one (centres within 3 px); where the two shapes differ, the
// 20 x 20 pixels around it are shown, captioned "evaluator -> judge". Reads the PNGs that
// `scripts/experiments/agreement-diag.ts --seed S --out DIR` saved (validation prompts), so nothing is generated here.
// Regenerate: npx ts-node --transpile-only scripts/figures/shape-disagreements.ts --images DIR --seed S
//   [--checkpoint data/base] [--n 280] [--max 32] [--out figures/shape-disagreements]
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { detectObjects } from '../../lib/eval/objects';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { promptVerdict } from '../../lib/judge/verdict';
import { disposeModel } from '../../lib/model/params';
import { closeExporter, exportPngAndSvg, imageGrid } from '../../lib/plot';
import { readPng } from '../../lib/world/png';
import { samplePrompts } from '../../lib/world/splits';
import type { RgbImage } from '../../lib/world/types';
import { nearestObject } from '../lib/nearest';
import { runScript } from '../lib/run-script';

const SIDE = 20;

/** The SIDE x SIDE pixels centred on (cx, cy); outside the image grey. */
function cropAround(image: RgbImage, cx: number, cy: number): RgbImage {
  const data = new Float32Array(SIDE * SIDE * 3).fill(0.5);
  const [x0, y0] = [Math.floor(cx - SIDE / 2), Math.floor(cy - SIDE / 2)];
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const [sx, sy] = [x0 + x, y0 + y];
      if (sx < 0 || sy < 0 || sx >= image.width || sy >= image.height) continue;
      data.set(image.data.subarray((sy * image.width + sx) * 3, (sy * image.width + sx) * 3 + 3), (y * SIDE + x) * 3);
    }
  }
  return { width: SIDE, height: SIDE, data };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      images: { type: 'string' },
      seed: { type: 'string', default: '5' },
      checkpoint: { type: 'string', default: 'data/base' },
      n: { type: 'string', default: '280' },
      max: { type: 'string', default: '32' },
      out: { type: 'string', default: 'figures/shape-disagreements' },
    },
    strict: true,
  });
  if (values.images === undefined) throw new Error('--images DIR is required (the PNGs of agreement-diag.ts --out DIR)');
  const [n, seed, max] = [Number(values.n), Number(values.seed), Number(values.max)];
  await initBackend({ quiet: true });
  const { model } = loadCheckpoint(values.checkpoint);
  const crops: RgbImage[] = [];
  const titles: string[] = [];
  const counts = new Map<string, number>();
  let pairs = 0;
  try {
    samplePrompts({ split: 'val', n, seed }).forEach((prompt, k) => {
      const image = readPng(`${values.images}/${k}.png`);
      const judged = promptVerdict(model, image, prompt).parsed ?? [];
      for (const seen of detectObjects(image).objects) {
        const nearest = nearestObject(judged, seen.cx, seen.cy);
        if (nearest === undefined) continue;
        pairs++;
        const judgedShape = nearest.distorted === true ? 'distorted' : nearest.shape;
        if (judgedShape === seen.shape) continue;
        const key = `${seen.shape} -> ${judgedShape}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (crops.length < max) {
          crops.push(cropAround(image, seen.cx, seen.cy));
          titles.push(`${seen.size} ${seen.color}<br>${key}`);
        }
      }
    });
  } finally {
    disposeModel(model);
  }
  const tally = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => `${key} ${count}`)
    .join(', ');
  console.log(`${pairs} objects both readers found; shapes differ on ${[...counts.values()].reduce((a, b) => a + b, 0)}: ${tally}`);
  if (crops.length === 0) return;
  const title = `Shapes the judge and the evaluator name differently (val seed ${seed}; evaluator -> judge)`;
  await exportPngAndSvg(imageGrid(crops, { titles, columns: 8, cellSize: 96, title }), values.out);
  await closeExporter();
  console.log(`wrote ${values.out}.png and ${values.out}.svg`);
}

runScript(main);
