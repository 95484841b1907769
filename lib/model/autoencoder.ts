// The image autoencoder of latent generation (ModelConfig.latentChannels = L > 0), as Bagel generates in the latents
// of a frozen VAE while it understands from pixels. Images [B, 32, 32, 3] in [-1, 1] <-> latents z [B, 8, 8, L]:
//   encode: conv3x3 (w1) -> space-to-depth + 1x1 (w2, 16x16) -> conv3x3 -> space-to-depth + 1x1 (w3, 8x8)
//           -> conv3x3 -> 1x1 to L -> tanh (bounded, so the decoder's training noise has a fixed meaning)
//   decode: 1x1 (w3) -> conv3x3 x 2 -> 1x1 + depth-to-space (w2, 16x16) -> conv3x3 -> 1x1 + depth-to-space (w1, 32x32)
//           -> conv3x3 -> conv3x3 to RGB
// The decoder is trained on latents with added noise (trainAutoencoder), so a slightly-off latent still decodes to a
// clean world object: the flow then only has to land near a shape's code, and the decoder draws its edges.
// Why: the pixel flow of a small model leaves objects as blobs in pieces (docs/model-notes.md); a world-trained decoder
// can only draw what world renders look like.
// Strided downsampling is space-to-depth plus a 1x1 layer (dense: plain matmuls, fast on wasm), not a strided conv.
import * as tf from '../backend/tf';
import { makeRng } from '../rng';
import type { RgbImage } from '../world/types';
import { LATENT_DOWNSAMPLE } from './config';
import { blocksToGrid, conv3x3, gridToBlocks } from './conv';
import { dense, gelu } from './layers';
import type { ConvKernel, DenseParams } from './params';
import { constVariable, normalVariable } from './params';

export interface AutoencoderConfig {
  /** Image side (the world's 32). */
  imageSize: number;
  /** Latent channels L per latent cell; the latent grid is imageSize / 4 on a side. */
  latentChannels: number;
  /** Widths at full, half and quarter resolution. */
  widths: [number, number, number];
}

export const DEFAULT_AUTOENCODER_CONFIG: AutoencoderConfig = { imageSize: 32, latentChannels: 8, widths: [16, 48, 64] };


export interface AutoencoderParams {
  encIn: ConvKernel;
  encDown1: DenseParams;
  encMid1: ConvKernel;
  encDown2: DenseParams;
  encMid2: ConvKernel;
  encOut: DenseParams;
  decIn: DenseParams;
  decMid1: ConvKernel;
  decMid2: ConvKernel;
  decUp1: DenseParams;
  decMid3: ConvKernel;
  decUp2: DenseParams;
  decMid4: ConvKernel;
  decOut: ConvKernel;
  /** Per-channel mean and standard deviation of the latents of training images: the flow works on (z - mean) / std. */
  latentMean: tf.Variable;
  latentStd: tf.Variable;
}

export interface Autoencoder {
  config: AutoencoderConfig;
  params: AutoencoderParams;
}

/** He-normal weights; `trainable` false freezes them inside a unified model (pretraining never moves them). */
export function initAutoencoder(config: AutoencoderConfig, seed: number, trainable = true): Autoencoder {
  const rng = makeRng(seed).fork('autoencoder-init');
  const [w1, w2, w3] = config.widths;
  const L = config.latentChannels;
  const kernel = (cin: number, cout: number): ConvKernel => ({ w: normalVariable([3, 3, cin, cout], rng, Math.sqrt(2 / (9 * cin)), trainable), b: constVariable([cout], 0, trainable) });
  const linear = (cin: number, cout: number, gain = 2): DenseParams => ({ w: normalVariable([cin, cout], rng, Math.sqrt(gain / cin), trainable), b: constVariable([cout], 0, trainable) });
  return {
    config,
    params: {
      encIn: kernel(3, w1),
      encDown1: linear(4 * w1, w2),
      encMid1: kernel(w2, w2),
      encDown2: linear(4 * w2, w3),
      encMid2: kernel(w3, w3),
      encOut: linear(w3, L, 1),
      decIn: linear(L, w3),
      decMid1: kernel(w3, w3),
      decMid2: kernel(w3, w3),
      decUp1: linear(w3, 4 * w2),
      decMid3: kernel(w2, w2),
      decUp2: linear(w2, 4 * w1),
      decMid4: kernel(w1, w1),
      decOut: kernel(w1, 3),
      latentMean: constVariable([L], 0, false),
      latentStd: constVariable([L], 1, false),
    },
  };
}

/** Space-to-depth by 2 then a 1x1 layer: [B, H, W, C] -> [B, H/2, W/2, Cout]. */
function down(x: tf.Tensor4D, layer: DenseParams): tf.Tensor4D {
  const [batch, height] = x.shape;
  const blocks = gridToBlocks(x, 2); // [B, (H/2)^2, 4C]
  return dense(blocks, layer).reshape([batch, height / 2, height / 2, -1]) as tf.Tensor4D;
}

/** A 1x1 layer to 4C then depth-to-space by 2: [B, H, W, Cin] -> [B, 2H, 2W, C]. */
function up(x: tf.Tensor4D, layer: DenseParams): tf.Tensor4D {
  const [batch, height] = x.shape;
  const wide = dense(x.reshape([batch, height * height, -1]), layer) as tf.Tensor3D; // [B, H*W, 4C]
  return blocksToGrid(wide, height, 2); // [B, 2H, 2W, C]
}

/** Images [B, H, W, 3] in [-1, 1] -> raw latents z [B, H/4, W/4, L] in (-1, 1). */
export function encodeLatent(ae: Autoencoder, x: tf.Tensor4D): tf.Tensor4D {
  const p = ae.params;
  return tf.tidy(() => {
    let h = gelu(conv3x3(x, p.encIn.w, p.encIn.b)) as tf.Tensor4D; // [B, 32, 32, w1]
    h = gelu(down(h, p.encDown1)) as tf.Tensor4D; // [B, 16, 16, w2]
    h = gelu(conv3x3(h, p.encMid1.w, p.encMid1.b)) as tf.Tensor4D;
    h = gelu(down(h, p.encDown2)) as tf.Tensor4D; // [B, 8, 8, w3]
    h = gelu(conv3x3(h, p.encMid2.w, p.encMid2.b)) as tf.Tensor4D;
    return tf.tanh(dense(h, p.encOut)) as tf.Tensor4D; // [B, 8, 8, L]
  });
}

/** Raw latents z [B, h, w, L] -> images [B, 4h, 4w, 3] (unclipped; about [-1, 1]). */
export function decodeLatent(ae: Autoencoder, z: tf.Tensor4D): tf.Tensor4D {
  const p = ae.params;
  return tf.tidy(() => {
    let h = gelu(dense(z, p.decIn)) as tf.Tensor4D; // [B, 8, 8, w3]
    h = gelu(conv3x3(h, p.decMid1.w, p.decMid1.b)) as tf.Tensor4D;
    h = gelu(conv3x3(h, p.decMid2.w, p.decMid2.b)) as tf.Tensor4D;
    h = gelu(up(h, p.decUp1)) as tf.Tensor4D; // [B, 16, 16, w2]
    h = gelu(conv3x3(h, p.decMid3.w, p.decMid3.b)) as tf.Tensor4D;
    h = gelu(up(h, p.decUp2)) as tf.Tensor4D; // [B, 32, 32, w1]
    h = gelu(conv3x3(h, p.decMid4.w, p.decMid4.b)) as tf.Tensor4D;
    return conv3x3(h, p.decOut.w, p.decOut.b); // [B, 32, 32, 3]
  });
}

/** RgbImages in [0, 1] -> a tensor [B, H, W, 3] in [-1, 1]. */
export function imagesToTensor(images: readonly RgbImage[], imageSize: number): tf.Tensor4D {
  const data = new Float32Array(images.length * imageSize * imageSize * 3);
  images.forEach((image, b) => {
    if (image.width !== imageSize || image.height !== imageSize) throw new Error(`autoencoder: image ${b} is ${image.width}x${image.height}, expected ${imageSize}x${imageSize}`);
    for (let i = 0; i < image.data.length; i++) data[b * image.data.length + i] = 2 * image.data[i] - 1;
  });
  return tf.tensor4d(data, [images.length, imageSize, imageSize, 3]);
}

/** A tensor [B, H, W, 3] in [-1, 1] -> RgbImages in [0, 1] (clipped). */
export function tensorToImages(x: tf.Tensor4D): RgbImage[] {
  const [batch, height, width] = x.shape;
  const values = x.dataSync();
  const size = height * width * 3;
  return Array.from({ length: batch }, (_, b) => ({
    width,
    height,
    data: Float32Array.from(values.subarray(b * size, (b + 1) * size), (v) => Math.min(1, Math.max(0, (v + 1) / 2))),
  }));
}

/** Images -> normalised latent tokens (z - mean) / std, [B, Np, L] row-major over the latent grid, as the flow sees them. */
export function latentTokens(ae: Autoencoder, images: readonly RgbImage[]): Float32Array {
  return tf.tidy(() => {
    const z = encodeLatent(ae, imagesToTensor(images, ae.config.imageSize));
    return tf.div(tf.sub(z, ae.params.latentMean), ae.params.latentStd).dataSync() as Float32Array;
  });
}

/** Normalised latent tokens [B, Np, L] -> images in [0, 1]. */
export function imagesFromLatentTokens(ae: Autoencoder, tokens: Float32Array): RgbImage[] {
  const side = ae.config.imageSize / LATENT_DOWNSAMPLE;
  const L = ae.config.latentChannels;
  const perImage = side * side * L;
  if (tokens.length % perImage !== 0) throw new Error(`imagesFromLatentTokens: ${tokens.length} values is not a whole number of ${side}x${side}x${L} latents`);
  const x = tf.tidy(() => {
    const z = tf.add(tf.mul(tf.tensor4d(tokens, [tokens.length / perImage, side, side, L]), ae.params.latentStd), ae.params.latentMean) as tf.Tensor4D;
    return decodeLatent(ae, z);
  });
  const images = tensorToImages(x);
  x.dispose();
  return images;
}

/** The trainable weights (normalisation statistics excluded), in a fixed order. */
export function autoencoderWeights(ae: Autoencoder): tf.Variable[] {
  return Object.entries(ae.params)
    .filter(([name]) => name !== 'latentMean' && name !== 'latentStd')
    .flatMap(([, layer]) => [(layer as DenseParams).w, (layer as DenseParams).b]);
}

/** Every variable, statistics last, in the order of the weights file. */
export function autoencoderVariables(ae: Autoencoder): tf.Variable[] {
  return [...autoencoderWeights(ae), ae.params.latentMean, ae.params.latentStd];
}

export function disposeAutoencoder(ae: Autoencoder): void {
  for (const v of autoencoderVariables(ae)) v.dispose();
}
