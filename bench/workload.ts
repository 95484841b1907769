// The benchmark workload shared by the TypeScript bench and (by its printed description) the PyTorch
// reference: a synthetic batch of the model's exact input shapes, and analytic matmul FLOP counts.
import { modelDims, type ModelConfig } from '../lib/model/config';
import type { FlowBatch } from '../lib/model/train-step';
import type { Rng } from '../lib/rng';

/** Random image tokens in [-1, 1] and prompts of 4-16 word ids followed by PAD. */
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

/**
 * Multiply-add FLOPs (2 per MAC) of one forward pass for one sample, matmuls only: QKV, attention
 * scores and mixing, output projection, MLP, patch embedding, velocity head and timestep MLP.
 * The text-embedding lookup is not counted (a gather in PyTorch). A training step is counted as
 * 3x forward (backward = two matmuls per forward matmul).
 */
export function forwardMatmulFlops(config: ModelConfig): number {
  const { seqLen: T, imageTokens, patchDim, mlpDim } = modelDims(config);
  const d = config.dModel;
  const perLayer = 2 * T * d * 3 * d + 2 * T * T * d * 2 + 2 * T * d * d + 2 * 2 * T * d * mlpDim;
  const edges = 2 * imageTokens * patchDim * d * 2 + 2 * (config.timestepFeatures * d + d * d);
  return config.nLayers * perLayer + edges;
}
