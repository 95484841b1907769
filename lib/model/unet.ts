// Optional U-Net image path around the transformer (ModelConfig.unetChannels = C > 0; U-ViT / "simple diffusion"
// style). The transformer still reads one token per 4x4 patch beside the text; convolutions at pixel level wrap it:
//   encode: x_t -> conv (full res, C) -> strided conv (half res, 2C) -> conv: the half-res features, cut into
//           2x2 blocks, join each patch token's pixels at the patch embedding; both levels are kept as skips.
//   decode: the head's per-token features -> half-res grid (2C) -> conv with the half-res skip -> conv to 4C,
//           depth-to-space to full res (C) -> conv with the full-res skip -> conv to the image channels (zero at
//           start), added to the head's patch velocity.
// The decoder sees across patch borders at both levels, so neighbouring patches agree on one shape.
import * as tf from '../backend/tf';
import { modelDims, type ModelConfig } from './config';
import { blocksToGrid, conv3x3, gridToBlocks, gridToTokens, tokensToGrid } from './conv';
import { gelu } from './layers';
import type { UnetParams } from './params';

/** The encoder's output: per-token features for the patch embedding and the two skips. */
export interface UnetEncoding {
  /** [B, Np, (p/2)^2 * 2C] */
  tokens: tf.Tensor3D;
  /** [B, H, W, C] */
  full: tf.Tensor4D;
  /** [B, H/2, W/2, 2C] */
  half: tf.Tensor4D;
}

/** Per-token widths the U-Net adds: encoder features into the patch embedding, decoder features out of the head. */
export function unetTokenWidth(config: ModelConfig): number {
  return (config.patchSize / 2) ** 2 * 2 * config.unetChannels;
}

export function unetEncode(xt: tf.Tensor3D, unet: UnetParams, config: ModelConfig): UnetEncoding {
  const full = gelu(conv3x3(tokensToGrid(xt, config), unet.enc1.w, unet.enc1.b)) as tf.Tensor4D; // [B, H, W, C]
  const down = gelu(conv3x3(full, unet.down.w, unet.down.b, 2)) as tf.Tensor4D; // [B, H/2, W/2, 2C]
  const half = gelu(conv3x3(down, unet.enc2.w, unet.enc2.b)) as tf.Tensor4D;
  return { tokens: gridToBlocks(half, config.patchSize / 2), full, half };
}

/** Velocity (or x0_hat) tokens [B, Np, patchDim]: the head's patch values plus the decoder's pixel-level correction. */
export function unetDecode(values: tf.Tensor3D, features: tf.Tensor3D, skips: UnetEncoding, unet: UnetParams, config: ModelConfig): tf.Tensor3D {
  const { gridSize } = modelDims(config);
  const fromHead = blocksToGrid(features, gridSize, config.patchSize / 2); // [B, H/2, W/2, 2C]
  const half = gelu(conv3x3(tf.concat([fromHead, skips.half], 3) as tf.Tensor4D, unet.dec2.w, unet.dec2.b)) as tf.Tensor4D;
  const wide = gelu(conv3x3(half, unet.up.w, unet.up.b)) as tf.Tensor4D; // [B, H/2, W/2, 4C]
  const [batch, halfSize] = wide.shape;
  const up = blocksToGrid(wide.reshape([batch, halfSize * halfSize, -1]) as tf.Tensor3D, halfSize, 2); // [B, H, W, C]
  const full = gelu(conv3x3(tf.concat([up, skips.full], 3) as tf.Tensor4D, unet.dec1.w, unet.dec1.b)) as tf.Tensor4D;
  const vGrid = tokensToGrid(values, config);
  return gridToTokens(tf.add(vGrid, conv3x3(full, unet.out.w, unet.out.b)) as tf.Tensor4D, config);
}
