// Optional convolutions around the patch tokens (ModelConfig.convChannels > 0). A 4x4 patch token sees nothing
// across its borders, so a small transformer draws each patch on its own ("patch soup") and reads shape and texture
// only through attention. Early convolutions are the usual cure for small vision transformers:
//   stem:   the image tokens also carry GELU(conv3x3(image)) features of their pixels, before the patch embedding;
//   refine: the velocity gets a residual conv3x3 -> GELU -> conv3x3 of [v ; x_t] on the pixel grid (the last conv
//           starts at zero, so an untrained refine changes nothing).
// With ModelConfig.planCanvas both also read the plan's boxes per pixel (plan.ts planCanvas) as extra channels: a
// convolution of [x ; canvas] is the sum of the convolutions of x and of the canvas, and the canvas term (canvasTerms)
// is fixed while the plan is, so the sampler computes it once per batch, and an absent canvas (zeros) adds nothing.
// Tokens <-> pixel grid is a reshape and one 4-D transpose (patches.ts layout), cheap on wasm.
import * as tf from '../backend/tf';
import { conv2dSame } from '../backend/ops';
import { modelDims, type ModelConfig } from './config';
import { gelu } from './layers';
import type { ConvParams } from './param-types';

/** Image tokens [B, Np, p*p*C] -> pixel grid [B, H, W, C] (patches.ts layout: token = py * G + px, inner (dy, dx, c)). */
export function tokensToGrid(tokens: tf.Tensor3D, config: ModelConfig): tf.Tensor4D {
  return blocksToGrid(tokens, modelDims(config).gridSize, config.patchSize);
}

/** Pixel grid [B, H, W, C] -> tokens [B, Np, p*p*C] (the inverse of tokensToGrid). */
export function gridToTokens(grid: tf.Tensor4D, config: ModelConfig): tf.Tensor3D {
  return gridToBlocks(grid, config.patchSize);
}

/** Blocks [B, g*g, p*p*C] (row-major blocks, inner (dy, dx, c)) -> grid [B, g*p, g*p, C] (depth-to-space). */
function blocksToGrid(blocks: tf.Tensor3D, g: number, p: number): tf.Tensor4D {
  const [batch, , width] = blocks.shape;
  const c = width / (p * p);
  const rows = blocks.reshape([batch * g, g, p, p * c]); // [B*py, px, dy, (dx, c)]
  return tf.transpose(rows, [0, 2, 1, 3]).reshape([batch, g * p, g * p, c]) as tf.Tensor4D; // [B, py*p + dy, px*p + dx, c]
}

/** Grid [B, g*p, g*p, C] -> blocks [B, g*g, p*p*C] (space-to-depth; the inverse of blocksToGrid). */
function gridToBlocks(grid: tf.Tensor4D, p: number): tf.Tensor3D {
  const [batch, height, , c] = grid.shape;
  const g = height / p;
  const rows = grid.reshape([batch * g, p, g, p * c]); // [B*py, dy, px, (dx, c)]
  return tf.transpose(rows, [0, 2, 1, 3]).reshape([batch, g * g, p * p * c]) as tf.Tensor3D;
}

/** 3x3 convolution with bias, 'same' padding (stride 1 through conv2dSame, whose gradient is fast on wasm). */
export const conv3x3 = (x: tf.Tensor4D, w: tf.Variable, b: tf.Variable, stride: 1 | 2 = 1): tf.Tensor4D =>
  tf.add(stride === 1 ? conv2dSame(x, w as tf.Tensor4D) : tf.conv2d(x, w as tf.Tensor4D, stride, 'same'), b) as tf.Tensor4D;

/** What the plan canvas adds to the first convolution of the stem and of the refine, [B, H, W, convChannels] each. */
export interface CanvasTerms {
  stem: tf.Tensor4D;
  refine: tf.Tensor4D;
}

/** The canvas [B, Np, p*p*CANVAS_CHANNELS] (plan.ts planCanvas) through the canvas channels of the two convolutions that read it. */
export function canvasTerms(canvas: tf.Tensor3D, conv: ConvParams, config: ModelConfig): CanvasTerms {
  return tf.tidy(() => {
    const grid = tokensToGrid(canvas, config);
    const channels = grid.shape[3];
    const canvasRows = (w: tf.Variable): tf.Tensor4D => {
      const w4 = w as tf.Tensor4D;
      return tf.slice(w4, [0, 0, w4.shape[2] - channels, 0], [-1, -1, channels, -1]);
    };
    return { stem: conv2dSame(grid, canvasRows(conv.stem.w)), refine: conv2dSame(grid, canvasRows(conv.refineIn.w)) };
  });
}

/** conv3x3 of [x ; canvas] with the canvas's part given as `canvasTerm` (none: a zero canvas): x reads w's first channels. */
function convWithCanvas(x: tf.Tensor4D, w: tf.Variable, b: tf.Variable, canvasTerm: tf.Tensor4D | undefined): tf.Tensor4D {
  const channels = x.shape[3];
  const w4 = w as tf.Tensor4D;
  const own = conv2dSame(x, channels === w4.shape[2] ? w4 : tf.slice(w4, [0, 0, 0, 0], [-1, -1, channels, -1]));
  return tf.add(canvasTerm === undefined ? own : tf.add(own, canvasTerm), b) as tf.Tensor4D;
}

/** The patch embedding's input: [x_t ; stem features] per token, [B, Np, patchDim + p*p*convChannels]. */
export function stemTokens(xt: tf.Tensor3D, conv: ConvParams, config: ModelConfig, canvas?: CanvasTerms): tf.Tensor3D {
  const features = gelu(convWithCanvas(tokensToGrid(xt, config), conv.stem.w, conv.stem.b, canvas?.stem)) as tf.Tensor4D; // [B, H, W, C]
  return tf.concat([xt, gridToTokens(features, config)], 2) as tf.Tensor3D;
}

/**
 * v + conv(GELU(conv(... GELU(conv([v ; x_t ; canvas]))))) on the pixel grid, back as tokens [B, Np, patchDim].
 * `v` is the head's output: the velocity, or x0_hat when the model predicts the clean image
 * (ModelConfig.cleanPrediction); `canvas` is what the plan's boxes per pixel add (ModelConfig.planCanvas; canvasTerms).
 */
export function refineVelocity(v: tf.Tensor3D, xt: tf.Tensor3D, conv: ConvParams, config: ModelConfig, canvas?: CanvasTerms): tf.Tensor3D {
  const vGrid = tokensToGrid(v, config);
  const inputs = tf.concat([vGrid, tokensToGrid(xt, config)], 3) as tf.Tensor4D;
  let hidden = gelu(convWithCanvas(inputs, conv.refineIn.w, conv.refineIn.b, canvas?.refine)) as tf.Tensor4D; // [B, H, W, convChannels]
  for (const layer of conv.refineHidden) hidden = gelu(conv3x3(hidden, layer.w, layer.b)) as tf.Tensor4D;
  return gridToTokens(tf.add(vGrid, conv3x3(hidden, conv.refineOut.w, conv.refineOut.b)) as tf.Tensor4D, config);
}
