// The model's parameters: tf.Variables in a typed structure (no tfjs-layers), seeded from lib/rng.ts.
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import { makeRng, type Rng } from '../rng';
import { modelDims, type ModelConfig } from './config';

export interface DenseParams {
  /** [Din, Dout] */
  w: tf.Variable;
  /** [Dout] */
  b: tf.Variable;
}

export interface NormParams {
  /** [D], initialised to 1. */
  gain: tf.Variable;
  /** [D], initialised to 0. */
  bias: tf.Variable;
}

export interface MlpParams {
  up: DenseParams;
  down: DenseParams;
}

export interface BlockParams {
  attnNorm: NormParams;
  /** Fused query/key/value projection, output columns ordered [q | k | v], each [head, headDim]. */
  qkv: DenseParams;
  /** Attention output projection. */
  attnOut: DenseParams;
  mlpNorm: NormParams;
  /** MLP of image tokens (of all tokens unless mixtureOfTransformers). */
  mlp: MlpParams;
  /** MLP of text tokens, present only with mixtureOfTransformers. */
  textMlp?: MlpParams;
}

export interface ModelParams {
  /** Word embeddings [vocabSize, D], applied as one-hot @ table (no gather gradient needed). */
  textEmbed: tf.Variable;
  /** Learned positions of text tokens [maxTextTokens, D]. */
  textPos: tf.Variable;
  /** Learned positions of image tokens [Np, D]. */
  imagePos: tf.Variable;
  /** Patch embedding: a dense layer on flattened 4x4x3 patches (a conv as reshape + matmul). */
  patchEmbed: DenseParams;
  /** Timestep MLP: sinusoidal features -> D -> D, added to every image token. */
  timeIn: DenseParams;
  timeOut: DenseParams;
  blocks: BlockParams[];
  finalNorm: NormParams;
  /** Velocity head: D -> patchDim per image token. */
  head: DenseParams;
}

/** The parameter structure plus the config it was built for. */
export interface UnifiedModel {
  config: ModelConfig;
  params: ModelParams;
}

function normalVariable(shape: number[], rng: Rng, std: number): tf.Variable {
  return tf.tidy(() => tf.variable(randomNormal(shape, rng, { std })));
}

function constVariable(shape: number[], value: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value)));
}

function initDense(inDim: number, outDim: number, rng: Rng, std: number): DenseParams {
  return { w: normalVariable([inDim, outDim], rng, std), b: constVariable([outDim], 0) };
}

function initNorm(width: number): NormParams {
  return { gain: constVariable([width], 1), bias: constVariable([width], 0) };
}

function initMlp(width: number, hidden: number, rng: Rng, std: number, outStd: number): MlpParams {
  return { up: initDense(width, hidden, rng, std), down: initDense(hidden, width, rng, outStd) };
}

/** Builds a model with weights drawn from `seed` (same seed, same weights, on every backend). */
export function initModel(config: ModelConfig, seed: number): UnifiedModel {
  const rng = makeRng(seed).fork('model-init');
  const { dModel: d, initStd: std } = config;
  const { imageTokens, patchDim, mlpDim } = modelDims(config);
  // GPT-2: residual-branch output projections scaled by 1/sqrt(2 * layers) so the stream's variance stays O(1).
  const residualStd = std / Math.sqrt(2 * config.nLayers);
  const blocks: BlockParams[] = [];
  for (let layer = 0; layer < config.nLayers; layer++) {
    const block: BlockParams = {
      attnNorm: initNorm(d),
      qkv: initDense(d, 3 * d, rng, std),
      attnOut: initDense(d, d, rng, residualStd),
      mlpNorm: initNorm(d),
      mlp: initMlp(d, mlpDim, rng, std, residualStd),
    };
    if (config.mixtureOfTransformers) block.textMlp = initMlp(d, mlpDim, rng, std, residualStd);
    blocks.push(block);
  }
  const params: ModelParams = {
    textEmbed: normalVariable([config.vocabSize, d], rng, std),
    textPos: normalVariable([config.maxTextTokens, d], rng, std),
    imagePos: normalVariable([imageTokens, d], rng, std),
    patchEmbed: initDense(patchDim, d, rng, std),
    timeIn: initDense(config.timestepFeatures, d, rng, std),
    timeOut: initDense(d, d, rng, std),
    blocks,
    finalNorm: initNorm(d),
    // DiT: a zero velocity head makes the untrained model predict v = 0, a stable start.
    head: { w: constVariable([d, patchDim], 0), b: constVariable([patchDim], 0) },
  };
  return { config, params };
}

/** Every variable with a stable dotted name, in a fixed order (for optimizers, checkpoints, counts). */
export function namedVariables(params: ModelParams): { name: string; variable: tf.Variable }[] {
  const out: { name: string; variable: tf.Variable }[] = [];
  const visit = (prefix: string, node: unknown): void => {
    if (node instanceof tf.Variable) {
      out.push({ name: prefix, variable: node });
      return;
    }
    if (Array.isArray(node)) node.forEach((child, i) => visit(`${prefix}.${i}`, child));
    else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) visit(prefix === '' ? key : `${prefix}.${key}`, child);
    }
  };
  visit('', params);
  return out;
}

export function parameterCount(params: ModelParams): number {
  return namedVariables(params).reduce((sum, { variable }) => sum + variable.size, 0);
}

export function disposeModel(model: UnifiedModel): void {
  for (const { variable } of namedVariables(model.params)) variable.dispose();
}
