// Images <-> image tokens, done on plain arrays (no tensor transposes: a 5-D transpose is very slow
// on wasm, and images are data, so no gradient ever flows through this step).
// Conventions (stated once, here):
//   - RgbImage values are in [0, 1]; the model works on x0 = 2 * value - 1 in [-1, 1].
//   - Image tokens are row-major over the patch grid: token index = py * gridSize + px.
//   - Inside a token the patch is stored [patchSize, patchSize, channels] row-major,
//     so token value index = (dy * patchSize + dx) * channels + c.
import type { RgbImage } from '../world/types';
import type { ModelConfig } from './config';
import { modelDims } from './config';

/** Images in [0, 1] -> tokens in [-1, 1], one Float32Array [B, Np, patchDim]. */
export function patchify(images: readonly RgbImage[], config: ModelConfig): Float32Array {
  const { gridSize, imageTokens, patchDim } = modelDims(config);
  const { imageSize, patchSize, channels } = config;
  const out = new Float32Array(images.length * imageTokens * patchDim);
  images.forEach((image, b) => {
    if (image.width !== imageSize || image.height !== imageSize) {
      throw new Error(`patchify: image ${b} is ${image.width}x${image.height}, model expects ${imageSize}x${imageSize}`);
    }
    for (let y = 0; y < imageSize; y++) {
      for (let x = 0; x < imageSize; x++) {
        const token = Math.floor(y / patchSize) * gridSize + Math.floor(x / patchSize);
        const inner = ((y % patchSize) * patchSize + (x % patchSize)) * channels;
        const dst = (b * imageTokens + token) * patchDim + inner;
        const src = (y * imageSize + x) * channels;
        for (let c = 0; c < channels; c++) out[dst + c] = 2 * image.data[src + c] - 1;
      }
    }
  });
  return out;
}

/** Tokens [B, Np, patchDim] in [-1, 1] -> images in [0, 1] (clipped). */
export function unpatchify(tokens: Float32Array, config: ModelConfig): RgbImage[] {
  const { gridSize, imageTokens, patchDim } = modelDims(config);
  const { imageSize, patchSize, channels } = config;
  const perImage = imageTokens * patchDim;
  if (tokens.length % perImage !== 0) throw new Error(`unpatchify: ${tokens.length} values is not a whole number of images of ${perImage}`);
  const images: RgbImage[] = [];
  for (let b = 0; b < tokens.length / perImage; b++) {
    const data = new Float32Array(imageSize * imageSize * channels);
    for (let y = 0; y < imageSize; y++) {
      for (let x = 0; x < imageSize; x++) {
        const token = Math.floor(y / patchSize) * gridSize + Math.floor(x / patchSize);
        const inner = ((y % patchSize) * patchSize + (x % patchSize)) * channels;
        const src = (b * imageTokens + token) * patchDim + inner;
        const dst = (y * imageSize + x) * channels;
        for (let c = 0; c < channels; c++) data[dst + c] = Math.min(1, Math.max(0, (tokens[src + c] + 1) / 2));
      }
    }
    images.push({ width: imageSize, height: imageSize, data });
  }
  return images;
}

/** [Np] share of each patch (of the model's token grid) inside a box given in [0, 1] coordinates. */
export function patchCoverage(box: readonly number[], config: ModelConfig): Float32Array {
  const grid = config.imageSize / config.patchSize;
  const out = new Float32Array(grid * grid);
  const overlap = (lo: number, hi: number, cell: number): number => Math.max(0, Math.min(hi * grid, cell + 1) - Math.max(lo * grid, cell));
  for (let py = 0; py < grid; py++)
    for (let px = 0; px < grid; px++) out[py * grid + px] = overlap(box[0], box[2], px) * overlap(box[1], box[3], py);
  return out;
}
