// The benchmark workload shared by the TypeScript bench and (by its printed description) the PyTorch
// reference: the batch a pretraining generation step trains on, and analytic matmul FLOP counts.
import { PLAN_SLOTS } from '../lib/model/classes';
import { modelDims, type ModelConfig } from '../lib/model/config';
import { headWidth, patchEmbedWidth, type UnifiedModel } from '../lib/model/params';
import type { FlowBatch } from '../lib/model/train-step';
import { DEFAULT_TRAIN_CONFIG } from '../lib/train/config';
import { generationBatch } from '../lib/train/data';
import type { Rng } from '../lib/rng';
import { makeRng } from '../lib/rng';

/** Random image tokens in [-1, 1] and prompts of 4-16 word ids followed by PAD (no plan: tests pin its output). */
export function syntheticBatch(config: ModelConfig, batchSize: number, rng: Rng): FlowBatch {
  const { imageTokens, patchDim } = modelDims(config);
  const x0 = new Float32Array(batchSize * imageTokens * patchDim).map(() => 2 * rng.next() - 1);
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
  return { batchSize, x0: batch.x0, textTokens: batch.textTokens, plan: batch.plan, thinking };
}

/** Tokens a generation step's backbone reads: text, the PLAN_SLOTS plan tokens, image (modelDims.seqLen omits the plan). */
export function generationSeqLen(config: ModelConfig): number {
  return modelDims(config).seqLen + PLAN_SLOTS;
}

/**
 * Multiply-add FLOPs (2 per MAC) of one forward pass for one sample over [text ; plan ; image], matmuls only:
 * QKV, attention scores and mixing, output projection, MLP, patch embedding, velocity head, timestep MLP,
 * (convChannels > 0) the conv stem and refine.
 * Embedding lookups (text words, plan attributes) are not counted: gathers in PyTorch, one-hot matmuls of
 * < 1% of the total in tfjs. A training step is counted as 3x forward (backward = two matmuls per forward matmul).
 */
export function forwardMatmulFlops(config: ModelConfig): number {
  const { imageTokens, mlpDim } = modelDims(config);
  const T = generationSeqLen(config);
  const d = config.dModel;
  const perLayer = 2 * T * d * 3 * d + 2 * T * T * d * 2 + 2 * T * d * d + 2 * 2 * T * d * mlpDim;
  const edges = 2 * imageTokens * (patchEmbedWidth(config) * d + headWidth(config) * d) + 2 * (config.timestepFeatures * d + d * d);
  return config.nLayers * perLayer + edges + convFlops(config);
}

/** FLOPs of one training step per sample: forward + backward (3x). */
export function trainingStepFlops(config: ModelConfig): number {
  return 3 * forwardMatmulFlops(config);
}

/** 3x3 convolutions of the stem (channels -> C) and the refine ([v ; x_t] -> C -> ... -> channels) over every pixel (conv.ts). */
function convFlops(config: ModelConfig): number {
  const c = config.convChannels;
  if (c === 0) return 0;
  const pixels = config.imageSize * config.imageSize;
  const k = 9 * config.channels;
  const refineIn = 9 * 2 * config.channels * c;
  return 2 * pixels * (k * c + refineIn + (config.refineLayers - 1) * 9 * c * c + 9 * c * config.channels);
}
