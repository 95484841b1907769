// Experiment: which reader is unsure on the model's generations, the judge or the evaluator? Each generated val
// image is read again after a 1-pixel shift (4 directions, edges replicated: every constraint, position included,
// should read the same), by the independent evaluator and by the model's own judge (promptVerdict, default source).
// Prints how often each reader keeps its verdict, next to the judge's agreement with the evaluator.
// Validation split only. Regenerate: npx ts-node --transpile-only scripts/experiments/shift-stability.ts
//   [--checkpoint data/base] [--n 280] [--seed 5] [--images DIR: read DIR/<k>.png (agreement-diag.ts --out) instead of generating]
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { evaluateImage } from '../../lib/eval/evaluate';
import { generateImages } from '../../lib/generate/generate';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { promptVerdict } from '../../lib/model/judgePrompt';
import { disposeModel } from '../../lib/model/params';
import { readPng } from '../../lib/world/png';
import { samplePrompts } from '../../lib/world/splits';
import type { RgbImage } from '../../lib/world/types';
import { runScript } from '../lib/run-script';

const SHIFTS: readonly [number, number][] = [[1, 0], [-1, 0], [0, 1], [0, -1]];

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
  const { values } = parseArgs({ options: { checkpoint: { type: 'string', default: 'data/base' }, n: { type: 'string', default: '280' }, seed: { type: 'string', default: '5' }, images: { type: 'string' } }, strict: true });
  const [n, seed] = [Number(values.n), Number(values.seed)];
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed)) throw new Error('--n must be a positive integer, --seed an integer');
  await initBackend({ quiet: true });
  const { model } = loadCheckpoint(values.checkpoint);
  try {
    const prompts = samplePrompts({ split: 'val', n, seed });
    const images = values.images !== undefined ? prompts.map((_, k) => readPng(`${values.images}/${k}.png`)) : generateImages(model, prompts.map((p) => p.text), { seed });
    const tally = { agree: 0, evaluatorKeeps: 0, judgeKeeps: 0, agreeShifted: 0 };
    prompts.forEach((prompt, k) => {
      const evaluator = (image: RgbImage): boolean => evaluateImage(image, prompt).passed;
      const judge = (image: RgbImage): boolean => promptVerdict(model, image, prompt).passed;
      const [ev, self] = [evaluator(images[k]), judge(images[k])];
      tally.agree += +(ev === self);
      for (const [dx, dy] of SHIFTS) {
        const moved = shifted(images[k], dx, dy);
        const [evMoved, selfMoved] = [evaluator(moved), judge(moved)];
        tally.evaluatorKeeps += +(evMoved === ev);
        tally.judgeKeeps += +(selfMoved === self);
        tally.agreeShifted += +(evMoved === selfMoved);
      }
    });
    const share = (count: number, of: number): string => (count / of).toFixed(3);
    const reads = n * SHIFTS.length;
    console.log(`${values.checkpoint}, val seed ${seed}, ${n} images: judge agrees with the evaluator ${share(tally.agree, n)} (shifted images ${share(tally.agreeShifted, reads)}); under a 1-px shift the evaluator keeps its verdict ${share(tally.evaluatorKeeps, reads)}, the judge ${share(tally.judgeKeeps, reads)}`);
  } finally {
    disposeModel(model);
  }
}

runScript(main);
