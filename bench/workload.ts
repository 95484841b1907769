// The benchmark workload shared by the TypeScript bench and (by its printed description) the PyTorch
// reference: the batch a pretraining generation step trains on, and analytic matmul FLOP counts.
import { PLAN_SLOTS } from '../lib/model/classes';
import { modelDims, type ModelConfig } from '../lib/model/config';
import { headWidth, initModel, modelAutoencoder, patchEmbedWidth, type UnifiedModel } from '../lib/model/params';
import { generationTokensOfPatches } from '../lib/model/image-tokens';
import { assignAutoencoderWeights, DEFAULT_AUTOENCODER_DIR } from '../lib/train/autoencoder';
import type { FlowBatch } from '../lib/model/train-step';
import { DEFAULT_TRAIN_CONFIG } from '../lib/train/config';
import { generationBatch } from '../lib/train/data';
import type { Rng } from '../lib/rng';
import { makeRng } from '../lib/rng';

/** Random generation tokens in [-1, 1] and prompts of 4-16 word ids followed by PAD (no plan: tests pin its output). */
export function syntheticBatch(config: ModelConfig, batchSize: number, rng: Rng): FlowBatch {
  const { imageTokens, generationDim } = modelDims(config);
  const x0 = new Float32Array(batchSize * imageTokens * generationDim).map(() => 2 * rng.next() - 1);
  const textTokens = new Int32Array(batchSize * config.maxTextTokens);
  for (let b = 0; b < batchSize; b++) {
    const words = rng.int(Math.min(4, config.maxTextTokens), config.maxTextTokens);
    for (let i = 0; i < words; i++) textTokens[b * config.maxTextTokens + i] = rng.int(1, config.vocabSize - 1);
  }
  return { batchSize, x0, textTokens };
}

/** Share of a generation step's rows conditioned on their plan (the rest read the null plan), as pretraining. */
export const THINK_PROB = DEFAULT_TRAIN_CONFIG.thinkProb;

/**
 * Generation batch 0 of a pretraining run (rendered scenes, their prompts and plans) with the `thinking` flags
 * drawn as lib/train/tasks.ts generationTask draws them: flowTrainStep on it computes exactly a pretraining
 * generation step, over [text ; 4 plan tokens ; image].
 */
export function generationStepBatch(model: UnifiedModel, batchSize: number, seed: number): FlowBatch {
  const config = model.config;
  const batch = generationBatch(0, { batchSize, seed, config });
  const thinkRng = makeRng(seed).fork('think:0');
  const thinking = Uint8Array.from({ length: batchSize }, () => (thinkRng.next() < THINK_PROB ? 1 : 0));
  return { batchSize, x0: generationTokensOfPatches(model, batch.x0), textTokens: batch.textTokens, plan: batch.plan, thinking };
}

/** initModel, and for a latent preset the shipped autoencoder frozen into it (as pretraining does), so x0 is real latents. */
export function benchModel(config: ModelConfig, seed: number): UnifiedModel {
  const model = initModel(config, seed);
  if (config.latentChannels > 0) assignAutoencoderWeights(modelAutoencoder(model), DEFAULT_AUTOENCODER_DIR);
  return model;
}

/** Tokens a generation step's backbone reads: text, the PLAN_SLOTS plan tokens, image (modelDims.seqLen omits the plan). */
export function generationSeqLen(config: ModelConfig): number {
  return modelDims(config).seqLen + PLAN_SLOTS;
}

/**
 * Multiply-add FLOPs (2 per MAC) of one forward pass for one sample over [text ; plan ; image], matmuls only:
 * QKV, attention scores and mixing, output projection, MLP, patch embedding, velocity head, timestep MLP,
 * (convChannels > 0, pixel generation) the conv stem and refine; a latent model's embedding and head are L wide, (unetChannels > 0) the U-Net convolutions, (timeModulation) the adaLN maps.
 * Embedding lookups (text words, plan attributes) are not counted: gathers in PyTorch, one-hot matmuls of
 * < 1% of the total in tfjs. A training step is counted as 3x forward (backward = two matmuls per forward matmul);
 * with selfCondition, half the steps add one more forward (trainingStepFlops).
 */
export function forwardMatmulFlops(config: ModelConfig): number {
  const { imageTokens, mlpDim, generationDim } = modelDims(config);
  const T = generationSeqLen(config);
  const latent = config.latentChannels > 0; // latent tokens: own embedding and head, no pixel convolutions
  const d = config.dModel;
  const perLayer = 2 * T * d * 3 * d + 2 * T * T * d * 2 + 2 * T * d * d + 2 * 2 * T * d * mlpDim + (config.timeModulation ? 2 * d * 4 * d : 0);
  const edges = 2 * imageTokens * (latent ? 2 * generationDim * d : patchEmbedWidth(config) * d + headWidth(config) * d) + 2 * (config.timestepFeatures * d + d * d);
  return config.nLayers * perLayer + edges + (latent ? 0 : convFlops(config) + unetFlops(config));
}

/** FLOPs of one training step per sample: forward + backward (3x), plus the no-gradient first pass of self-conditioning on half the steps. */
export function trainingStepFlops(config: ModelConfig): number {
  return (config.selfCondition ? 3.5 : 3) * forwardMatmulFlops(config);
}

/** 3x3 convolutions of the stem (channels -> C) and the refine ([v ; x_t ; features] -> C -> ... -> channels) over every pixel (conv.ts). */
function convFlops(config: ModelConfig): number {
  const c = config.convChannels;
  if (c === 0) return 0;
  const pixels = config.imageSize * config.imageSize;
  const k = 9 * config.channels;
  const refineIn = 9 * (2 * config.channels + config.refineFeatures) * c;
  return 2 * pixels * (k * c + refineIn + (config.refineLayers - 1) * 9 * c * c + 9 * c * config.channels);
}

/** 3x3 convolutions of the U-Net (unet.ts): full resolution enc1, dec1, out; half resolution down, enc2, dec2, up. */
function unetFlops(config: ModelConfig): number {
  const c = config.unetChannels;
  if (c === 0) return 0;
  const pixels = config.imageSize * config.imageSize;
  const full = 9 * (config.channels * c + 2 * c * c + c * config.channels);
  const half = 9 * (c * 2 * c + 2 * c * 2 * c + 4 * c * 2 * c + 2 * c * 4 * c);
  return 2 * (pixels * full + (pixels / 4) * half);
}
