// Figure: samples of a checkpoint, one test prompt per category, in normal and think mode (plan first), each
// captioned with its prompt and the independent evaluator's verdict (✓ passes, ✗ fails). Default sampler settings.
// Regenerate: npx ts-node --transpile-only scripts/figures/model-samples.ts [--checkpoint data/base] [--seed N] [--out figures/model-samples]
//   -> <out>.png and <out>.svg
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { evaluateImage } from '../../lib/eval/evaluate';
import { generateImages } from '../../lib/generate/generate';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { disposeModel } from '../../lib/model/params';
import { closeExporter, exportPngAndSvg, imageGrid } from '../../lib/plot';
import { samplePrompts } from '../../lib/world/splits';
import type { RgbImage } from '../../lib/world/types';
import { runScript } from '../lib/run-script';

/** Prompts per grid row: 14 categories make two blocks of two rows (normal, then think). */
const COLUMNS = 7;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: 'string', default: 'data/base' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'figures/model-samples' },
    },
    strict: true,
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);
  await initBackend();
  const { model, manifest } = loadCheckpoint(values.checkpoint);
  const prompts = samplePrompts({ split: 'test', n: 14, seed });
  const texts = prompts.map((p) => p.text);
  const normal = generateImages(model, texts, { seed, think: false });
  const think = generateImages(model, texts, { seed, think: true });
  disposeModel(model);

  const mark = (image: RgbImage, k: number): string => (evaluateImage(image, prompts[k]).passed ? '✓' : '✗');
  const images: RgbImage[] = [];
  const titles: string[] = [];
  for (let start = 0; start < prompts.length; start += COLUMNS) {
    for (const [mode, drawn] of [
      ['normal', normal],
      ['think', think],
    ] as const) {
      for (let k = start; k < Math.min(start + COLUMNS, prompts.length); k++) {
        images.push(drawn[k]);
        titles.push(`<b>${prompts[k].category}</b> · ${mode} ${mark(drawn[k], k)}<br>${prompts[k].text}`);
      }
    }
  }
  const passed = (drawn: RgbImage[]): number => drawn.filter((image, k) => evaluateImage(image, prompts[k]).passed).length;
  const title = `${manifest.preset} checkpoint (step ${manifest.step}), seed ${seed}: normal ${passed(normal)}/14, think ${passed(think)}/14 pass the evaluator`;
  const figure = imageGrid(images, { titles, columns: COLUMNS, cellSize: 150, title });
  await exportPngAndSvg(figure, values.out);
  await closeExporter();
  console.log(`wrote ${values.out}.png and ${values.out}.svg (${title})`);
}

runScript(main);
