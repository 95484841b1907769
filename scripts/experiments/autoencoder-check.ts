// Experiment: how much of the world does the latent autoencoder keep? Validation ground-truth renders are encoded
// and decoded, also with Gaussian noise of a given size added to the normalised latent (the flow's units), and the
// independent evaluator reads each result. A latent model can pass no more often than its decoder's reconstructions
// do, and the noisy rows say how far a generated latent may be off before objects break.
// Regenerate: npx ts-node --transpile-only scripts/experiments/autoencoder-check.ts [--autoencoder data/autoencoder]
//   [--n 200] [--seed 3] [--noise 0,0.25,0.5,1] [--json] [--figure figures/autoencoder]
import { parseArgs } from 'node:util';
import * as tf from '../../lib/backend/tf';
import { initBackend } from '../../lib/backend/select';
import { randomNormal } from '../../lib/backend/random';
import { evaluateImage } from '../../lib/eval/evaluate';
import { disposeAutoencoder, imagesFromLatentTokens, latentTokens } from '../../lib/model/autoencoder';
import { closeExporter, exportPngAndSvg, imageGrid } from '../../lib/plot';
import { makeRng } from '../../lib/rng';
import { loadAutoencoder, readAutoencoderManifest } from '../../lib/train/autoencoder';
import { sceneIfFits } from '../../lib/world/layout';
import { renderScene } from '../../lib/world/render';
import { samplePrompts } from '../../lib/world/splits';
import type { RgbImage } from '../../lib/world/types';
import { runScript } from '../lib/run-script';

const FIGURE_ROWS = 8;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      autoencoder: { type: 'string', default: 'data/autoencoder' },
      n: { type: 'string', default: '200' },
      seed: { type: 'string', default: '3' },
      noise: { type: 'string', default: '0,0.25,0.5,1' },
      json: { type: 'boolean', default: false },
      figure: { type: 'string' },
    },
    strict: true,
  });
  const [n, seed] = [Number(values.n), Number(values.seed)];
  const levels = values.noise.split(',').map(Number);
  if (!Number.isInteger(n) || n < 1 || levels.some((s) => !(s >= 0))) throw new Error('--n must be a positive integer, --noise non-negative numbers');
  await initBackend({ quiet: true });
  const ae = loadAutoencoder(values.autoencoder);
  const layoutRng = makeRng(seed).fork('autoencoder-check');
  const drawn = samplePrompts({ split: 'val', n, seed }).flatMap((prompt) => {
    const scene = sceneIfFits(prompt, layoutRng, { allowHeldOut: true });
    return scene === undefined ? [] : [{ prompt, truth: renderScene(scene) }];
  });
  const truths = drawn.map((d) => d.truth);
  const z = latentTokens(ae, truths);
  const noiseRng = makeRng(seed).fork('latent-noise');
  const columns: RgbImage[][] = levels.map((sigma) => {
    const noisy = tf.tidy(() => tf.add(tf.tensor1d(z), tf.mul(sigma, randomNormal([z.length], noiseRng))).dataSync() as Float32Array);
    return imagesFromLatentTokens(ae, noisy);
  });
  const passRate = (images: RgbImage[]): number => images.filter((image, k) => evaluateImage(image, drawn[k].prompt).passed).length / images.length;
  const meanError = (images: RgbImage[]): number => images.reduce((sum, image, k) => sum + image.data.reduce((s, v, i) => s + Math.abs(v - truths[k].data[i]), 0) / image.data.length, 0) / images.length;
  const manifest = readAutoencoderManifest(values.autoencoder);
  const result = {
    autoencoder: values.autoencoder, step: manifest.step, split: 'val', n: drawn.length, seed,
    ground_truth_pass_rate: passRate(truths),
    levels: levels.map((sigma, c) => ({ latent_noise: sigma, pass_rate: passRate(columns[c]), mean_abs_pixel_error: meanError(columns[c]) })),
  };
  disposeAutoencoder(ae);
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`${values.autoencoder} (step ${manifest.step}), ${drawn.length} val scenes, seed ${seed}; ground truth passes ${result.ground_truth_pass_rate.toFixed(3)}`);
    for (const row of result.levels) console.log(`  latent noise ${row.latent_noise}: pass rate ${row.pass_rate.toFixed(3)}, mean |pixel error| ${row.mean_abs_pixel_error.toFixed(4)}`);
  }
  if (values.figure !== undefined) {
    const images: RgbImage[] = [];
    const titles: string[] = [];
    for (let k = 0; k < Math.min(FIGURE_ROWS, drawn.length); k++) {
      images.push(truths[k]);
      titles.push(`ground truth<br>${drawn[k].prompt.text}`);
      columns.forEach((column, c) => {
        images.push(column[k]);
        titles.push(`latent noise ${levels[c]} ${evaluateImage(column[k], drawn[k].prompt).passed ? '✓' : '✗'}`);
      });
    }
    const title = `Autoencoder (step ${manifest.step}): evaluator pass ${result.levels.map((r) => `${r.latent_noise}→${r.pass_rate.toFixed(2)}`).join(', ')}`;
    await exportPngAndSvg(imageGrid(images, { titles, columns: levels.length + 1, cellSize: 120, title }), values.figure);
    await closeExporter();
    console.error(`wrote ${values.figure}.png and ${values.figure}.svg`);
  }
}

runScript(main);
