// Experiment: from which noise level can the model finish a correct image? Each validation prompt's ground-truth
// render (a world scene laid out for it) is noised to t0 and sampled from there (SDEdit); the independent evaluator
// reads the results. A high pass rate from t0 = 0.5 and a low one from 0.7 says the objects' shapes are decided,
// and lost, between those noise levels. Validation split only (a diagnostic, not a benchmark).
// Regenerate: npx ts-node --transpile-only scripts/experiments/sdedit.ts [--checkpoint data/base] [--n 96] [--seed 3]
//   [--guidance W] [--t0 0.3,0.5,0.7,0.85,1] [--json] [--figure figures/sdedit-base] [--plain-textures]
//   --figure writes <out>.png/.svg: for 8 prompts, the ground truth, then the image sampled from each t0.
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { evaluateImage } from '../../lib/eval/evaluate';
import { DEFAULT_SAMPLING, generateImages } from '../../lib/generate/generate';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { disposeModel } from '../../lib/model/params';
import { closeExporter, exportPngAndSvg, imageGrid } from '../../lib/plot';
import { makeRng } from '../../lib/rng';
import { sceneIfFits } from '../../lib/world/layout';
import { promptSlots } from '../../lib/train/plan';
import { renderScene } from '../../lib/world/render';
import { samplePrompts } from '../../lib/world/splits';
import type { Prompt, RgbImage, Scene } from '../../lib/world/types';
import { runScript } from '../lib/run-script';

const FIGURE_ROWS = 8;

/** --plain-textures: every object whose texture the prompt leaves open drawn plain (is texture the hard part?). */
function withPlainTextures(scene: Scene, prompt: Prompt): Scene {
  const slots = promptSlots(prompt);
  return { ...scene, objects: scene.objects.map((o, i) => (slots[i]?.texture === undefined ? { ...o, texture: 'plain' as const } : o)) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: 'string', default: 'data/base' },
      n: { type: 'string', default: '96' },
      seed: { type: 'string', default: '3' },
      guidance: { type: 'string', default: String(DEFAULT_SAMPLING.guidanceScale) },
      t0: { type: 'string', default: '0.3,0.5,0.7,0.85,1' },
      json: { type: 'boolean', default: false },
      figure: { type: 'string' },
      'plain-textures': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const [n, seed, guidance] = [Number(values.n), Number(values.seed), Number(values.guidance)];
  const levels = values.t0.split(',').map(Number);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed) || !(guidance >= 1))
    throw new Error('--n must be a positive integer, --seed an integer, --guidance >= 1');
  if (levels.some((t0) => !(t0 > 0 && t0 <= 1))) throw new Error(`--t0 takes noise levels in (0, 1], got ${values.t0}`);
  await initBackend({ quiet: true });
  const { model, manifest } = loadCheckpoint(values.checkpoint);
  // Prompts no scene fits (e.g. two large squares side by side) have no ground truth to start from: left out.
  const layoutRng = makeRng(seed).fork('sdedit');
  const drawn = samplePrompts({ split: 'val', n, seed }).flatMap((prompt) => {
    const scene = sceneIfFits(prompt, layoutRng, { allowHeldOut: true });
    if (scene === undefined) return [];
    return [{ prompt, truth: renderScene(values['plain-textures'] ? withPlainTextures(scene, prompt) : scene) }];
  });
  const texts = drawn.map(({ prompt }) => prompt.text);
  const passRate = (images: RgbImage[]): number =>
    images.filter((image, k) => evaluateImage(image, drawn[k].prompt).passed).length / images.length;
  const rows: { t0: number; pass_rate: number }[] = [];
  const columns: RgbImage[][] = [];
  try {
    for (const t0 of levels) {
      const images = generateImages(model, texts, { seed, guidanceScale: guidance, from: { images: drawn.map((d) => d.truth), t0 } });
      rows.push({ t0, pass_rate: passRate(images) });
      columns.push(images);
    }
  } finally {
    disposeModel(model);
  }
  const result = {
    checkpoint: values.checkpoint,
    step: manifest.step,
    split: 'val',
    n: drawn.length,
    seed,
    guidance,
    ...(values['plain-textures'] ? { plain_textures: true } : {}),
    ground_truth_pass_rate: passRate(drawn.map((d) => d.truth)),
    levels: rows,
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `${values.checkpoint} (step ${manifest.step}), ${drawn.length} val prompts, seed ${seed}, guidance ${guidance}; ground truth passes ${result.ground_truth_pass_rate.toFixed(3)}`,
    );
    for (const row of rows) console.log(`  from t0 = ${row.t0}: pass rate ${row.pass_rate.toFixed(3)}`);
  }
  if (values.figure !== undefined) {
    const images: RgbImage[] = [];
    const titles: string[] = [];
    for (let k = 0; k < Math.min(FIGURE_ROWS, drawn.length); k++) {
      images.push(drawn[k].truth);
      titles.push(`ground truth<br>${drawn[k].prompt.text}`);
      columns.forEach((column, c) => {
        images.push(column[k]);
        titles.push(`from t0 = ${levels[c]} ${evaluateImage(column[k], drawn[k].prompt).passed ? '✓' : '✗'}`);
      });
    }
    const title = `SDEdit (step ${manifest.step}, guidance ${guidance}): pass ${rows.map((r) => `${r.t0}→${r.pass_rate.toFixed(2)}`).join(', ')}`;
    await exportPngAndSvg(imageGrid(images, { titles, columns: levels.length + 1, cellSize: 120, title }), values.figure);
    await closeExporter();
    console.error(`wrote ${values.figure}.png and ${values.figure}.svg`);
  }
}

runScript(main);
