// The model's parameters: tf.Variables in a typed structure (no tfjs-layers), seeded from lib/rng.ts.
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import { DEFAULT_AUTOENCODER_CONFIG, initAutoencoder, type Autoencoder, type AutoencoderConfig, type AutoencoderParams } from './autoencoder';
import { makeRng, type Rng } from '../rng';
import { CANVAS_CHANNELS, CELL_DECODER_HIDDEN, COUNT_CLASSES, OFFSET_FEATURES, SLOT_CONTEXT_FEATURES, PARSE_CLASSES, PARSE_FIELDS, PLAN_FIELDS, PLAN_SLOTS, REGION_CLASSES, planClasses } from './classes';
import { modelDims, type ModelConfig } from './config';
import { CROP_SIDE, cropChannels } from './region-crop';
import { unetTokenWidth } from './unet';

/** Most extra tokens a sequence may carry between text and image (the 4 plan slots; understanding uses 1). */
export const MAX_EXTRA_TOKENS = PLAN_SLOTS;
/** Understanding query kinds, in the order of the task-type embedding rows. */
export const QUERY_KINDS = ['region', 'verdict', 'count'] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];
/** Logit columns of the region head, field by field in this order. */
export const REGION_FIELDS = ['shape', 'color', 'texture', 'size', 'distorted'] as const;
export type RegionField = (typeof REGION_FIELDS)[number];

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
  /** silu(time) -> [scale, shift] of the attention norm, then of the MLP norm, each D wide (timeModulation); zero at start. */
  timeMod?: DenseParams;
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
  /** Learned positions of the extra tokens between text and image [MAX_EXTRA_TOKENS, D]. */
  extraPos: tf.Variable;
  understanding: UnderstandingParams;
  think: ThinkParams;
  patchParse: ParseParams;
  /** Convolutional stem and velocity refine (conv.ts), present when convChannels > 0. */
  conv?: ConvParams;
  /** U-Net image path (unet.ts), present when unetChannels > 0. */
  unet?: UnetParams;
  /** Representation-alignment projector D -> D -> D (GELU), present when alignLayer > 0; used in training only. */
  align?: MlpParams;
  /** Latent generation (latentChannels > 0): see LatentParams. */
  latent?: LatentParams;
}

/**
 * Latent generation (ModelConfig.latentChannels = L): generation tokens are latent cells, embedded L -> D and
 * predicted by their own head D -> L (zero at start); the autoencoder that maps them to pixels is frozen
 * (non-trainable variables: pretraining and SRUM never move it, checkpoints carry it).
 */
export interface LatentParams {
  embed: DenseParams;
  head: DenseParams;
  autoencoder: AutoencoderParams;
}

/** A 3x3 kernel [3, 3, in, out] and its bias [out]. */
export interface ConvKernel {
  w: tf.Variable;
  b: tf.Variable;
}

/** The U-Net image path's kernels (unet.ts). */
export interface UnetParams {
  /** image channels -> C, full resolution */
  enc1: ConvKernel;
  /** C -> 2C, stride 2 */
  down: ConvKernel;
  /** 2C -> 2C, half resolution */
  enc2: ConvKernel;
  /** [head features ; half skip] 4C -> 2C */
  dec2: ConvKernel;
  /** 2C -> 4C, then depth-to-space to C at full resolution */
  up: ConvKernel;
  /** [upsampled ; full skip] 2C -> C */
  dec1: ConvKernel;
  /** C -> image channels, zero at start */
  out: ConvKernel;
}

/** Conv kernels [3, 3, in, out] and biases [out] (conv.ts). */
export interface ConvParams {
  /** image channels -> convChannels */
  stem: ConvKernel;
  /** [v ; x_t ; head features] (2 x image channels + refineFeatures) -> convChannels */
  refineIn: ConvKernel;
  /** refineLayers - 1 more convChannels -> convChannels kernels, GELU after each. */
  refineHidden: ConvKernel[];
  /** convChannels -> image channels, zero at start */
  refineOut: ConvKernel;
}

/** Scene parse: a head on every image token of a clean image (parse.ts). */
export interface ParseParams {
  norm: NormParams;
  /** D -> per-patch logits of every parse field, concatenated in PARSE_FIELDS order. */
  head: DenseParams;
}

/** Understanding: one query token per example, read out by small heads on its final hidden state (heads.ts). */
export interface UnderstandingParams {
  /** Task-type embedding [QUERY_KINDS, D]: the query token of a region / verdict / count question. */
  taskEmbed: tf.Variable;
  /** Box embedding: dense of the normalised box [x1, y1, x2, y2] -> D, added to region query tokens. */
  boxEmbed: DenseParams;
  /** In-box marker [1, D]: added to each image token of a region query, scaled by the share of its patch inside the box. */
  boxMark: tf.Variable;
  /** LayerNorm of the query token's final hidden state (the velocity head has its own, finalNorm). */
  norm: NormParams;
  /** D -> shape, colour, texture, size (each with 'none') and distorted logits, concatenated in REGION_FIELDS order. */
  region: DenseParams;
  /** D -> 2 logits: [no, yes]. */
  verdict: DenseParams;
  /** D -> COUNT_CLASSES logits (0..4 objects). */
  count: DenseParams;
  /** ModelConfig.regionCropChannels > 0: the region head's pixel reader (region-crop.ts). */
  crop?: RegionCropParams;
}

/** The region head's pixel reader (region-crop.ts): three 3x3 convs, then a hidden layer; the output starts at zero. */
export interface RegionCropParams {
  /** window channels -> C */
  conv1: ConvKernel;
  /** C -> 2C, stride 2 */
  conv2: ConvKernel;
  /** 2C -> 2C, stride 2 */
  conv3: ConvKernel;
  /** flattened (S/4)^2 * 2C -> D */
  hidden: DenseParams;
  /** D -> region logits, zero at start */
  out: DenseParams;
}

/** Think mode: plan queries and heads (plan prediction) and plan-token embeddings (plan conditioning), plan.ts. */
export interface ThinkParams {
  /** The 4 plan-query tokens [PLAN_SLOTS, D] appended to the prompt to predict a plan. */
  queries: tf.Variable;
  /** D -> per-slot logits of every plan field, concatenated in PLAN_FIELDS order. */
  head: DenseParams;
  norm: NormParams;
  /** Attribute embeddings of a present slot, one table per field after 'present' ([classes, D] each). */
  shape: tf.Variable;
  color: tf.Variable;
  texture: tf.Variable;
  size: tf.Variable;
  cell: tf.Variable;
  depthRank: tf.Variable;
  /** The embedding of an absent slot [1, D]. */
  emptySlot: tf.Variable;
  /** The null plan [PLAN_SLOTS, D]: the plan tokens when not thinking (and of CFG's unconditional branch). */
  nullPlan: tf.Variable;
  /** ModelConfig.planMap: D -> D map of slot tokens onto the image tokens they cover (zero at start), plan.ts. */
  layoutMap?: tf.Variable;
  /** ModelConfig.planCanvas: OFFSET_FEATURES -> D map of the box offsets onto the image tokens (zero at start), plan.ts. */
  offsetMap?: tf.Variable;
  /** ModelConfig.planCellDecoder: [slot state ; earlier slots' boxes] -> hidden -> cell logits (output zero at start), plan.ts. */
  cellDecoder?: { hidden: DenseParams; out: DenseParams };
}

/** The parameter structure plus the config it was built for. */
export interface UnifiedModel {
  config: ModelConfig;
  params: ModelParams;
}

export function normalVariable(shape: number[], rng: Rng, std: number, trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(randomNormal(shape, rng, { std }), trainable));
}

export function constVariable(shape: number[], value: number, trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value), trainable));
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

/**
 * 2-D sin-cos position table [gridSize^2, d] (MAE): the first d/2 features encode the patch row, the rest its
 * column, each as sin and cos of position * 10000^(-i / (d/4)).
 */
export function sincosPositions(gridSize: number, d: number): Float32Array {
  const quarter = d / 4;
  const out = new Float32Array(gridSize * gridSize * d);
  for (let row = 0; row < gridSize; row++) {
    for (let col = 0; col < gridSize; col++) {
      const base = (row * gridSize + col) * d;
      [row, col].forEach((pos, axis) => {
        for (let i = 0; i < quarter; i++) {
          const angle = pos * Math.pow(10000, -i / quarter);
          out[base + axis * 2 * quarter + i] = Math.sin(angle);
          out[base + axis * 2 * quarter + quarter + i] = Math.cos(angle);
        }
      });
    }
  }
  return out;
}

function imagePositions(config: ModelConfig, drawn: tf.Variable): tf.Variable {
  if (!config.sincosImagePositions) return drawn;
  const { gridSize } = modelDims(config);
  tf.tidy(() => drawn.assign(tf.tensor2d(sincosPositions(gridSize, config.dModel), [gridSize * gridSize, config.dModel])));
  return drawn;
}

/** Builds a model with weights drawn from `seed` (same seed, same weights, on every backend). */
export function initModel(config: ModelConfig, seed: number): UnifiedModel {
  const rng = makeRng(seed).fork('model-init');
  const { dModel: d, initStd: std } = config;
  const { imageTokens, mlpDim } = modelDims(config);
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
    // Zero weights: an untrained modulation is the identity (and draws nothing from rng, so other weights stay the same).
    if (config.timeModulation) block.timeMod = { w: constVariable([d, 4 * d], 0), b: constVariable([4 * d], 0) };
    blocks.push(block);
  }
  const params: ModelParams = {
    textEmbed: normalVariable([config.vocabSize, d], rng, std),
    textPos: normalVariable([config.maxTextTokens, d], rng, std),
    imagePos: imagePositions(config, normalVariable([imageTokens, d], rng, std)), // drawn either way: later weights stay the same
    patchEmbed: initDense(patchEmbedWidth(config), d, rng, std),
    timeIn: initDense(config.timestepFeatures, d, rng, std),
    timeOut: initDense(d, d, rng, std),
    blocks,
    finalNorm: initNorm(d),
    // DiT: a zero velocity head makes the untrained model predict v = 0, a stable start.
    head: { w: constVariable([d, headWidth(config)], 0), b: constVariable([headWidth(config)], 0) },
    // Own random stream: adding these parameters leaves every earlier weight of a seed unchanged.
    ...initUnderstandingAndThink(config, makeRng(seed).fork('heads-init')),
    patchParse: initParse(config, makeRng(seed).fork('parse-init')),
    ...(config.convChannels > 0 ? { conv: initConv(config, makeRng(seed).fork('conv-init')) } : {}),
    ...(config.unetChannels > 0 ? { unet: initUnet(config, makeRng(seed).fork('unet-init')) } : {}),
    ...(config.alignLayer > 0 ? { align: initMlp(d, d, makeRng(seed).fork('align-init'), std, std) } : {}),
    ...(config.latentChannels > 0 ? { latent: initLatent(config, makeRng(seed).fork('latent-init')) } : {}),
  };
  // Own stream, set last: a model without the reader keeps every weight and the order of its variables.
  if (config.regionCropChannels > 0) params.understanding.crop = initRegionCrop(config, makeRng(seed).fork('crop-init'));
  return { config, params };
}

/** He-normal reader kernels and hidden layer; the output layer starts at zero (an untrained reader adds nothing). */
function initRegionCrop(config: ModelConfig, rng: Rng): RegionCropParams {
  const c = config.regionCropChannels;
  const regionWidth = REGION_FIELDS.reduce((sum, field) => sum + REGION_CLASSES[field], 0);
  const flat = (CROP_SIDE / 4) ** 2 * 2 * c;
  return {
    conv1: heKernel(rng, cropChannels(config), c),
    conv2: heKernel(rng, c, 2 * c),
    conv3: heKernel(rng, 2 * c, 2 * c),
    hidden: { w: normalVariable([flat, config.dModel], rng, Math.sqrt(2 / flat)), b: constVariable([config.dModel], 0) },
    out: { w: constVariable([config.dModel, regionWidth], 0), b: constVariable([regionWidth], 0) },
  };
}

/** The latent embedding and zero head; the autoencoder drawn fresh and frozen (pretraining loads a trained one into it). */
function initLatent(config: ModelConfig, rng: Rng): LatentParams {
  const { dModel: d, initStd: std, latentChannels: L } = config;
  return {
    embed: initDense(L, d, rng, std),
    head: { w: constVariable([d, L], 0), b: constVariable([L], 0) },
    autoencoder: initAutoencoder(autoencoderConfigOf(config), 0, false).params,
  };
}

/** The autoencoder a latent model's config implies (default widths). */
export function autoencoderConfigOf(config: ModelConfig): AutoencoderConfig {
  return { ...DEFAULT_AUTOENCODER_CONFIG, imageSize: config.imageSize, latentChannels: config.latentChannels };
}

/** A latent model's frozen autoencoder as a standalone Autoencoder (shares the model's variables). */
export function modelAutoencoder(model: UnifiedModel): Autoencoder {
  if (model.params.latent === undefined) throw new Error('modelAutoencoder: the model generates pixels (latentChannels is 0)');
  return { config: autoencoderConfigOf(model.config), params: model.params.latent.autoencoder };
}

/** Inputs of the patch embedding per image token: x_t, then the conv stem's or U-Net encoder's features, then the self-condition x0_hat. */
export function patchEmbedWidth(config: ModelConfig): number {
  const { patchDim } = modelDims(config);
  return patchDim + config.patchSize ** 2 * config.convChannels + unetTokenWidth(config) + (config.selfCondition ? patchDim : 0);
}

/** Outputs of the velocity head per image token: the patch values, then the refine's or U-Net decoder's features. */
export function headWidth(config: ModelConfig): number {
  return modelDims(config).patchDim + config.patchSize ** 2 * config.refineFeatures + unetTokenWidth(config);
}

/** He-normal stem and refine kernels; the refine-out kernel starts at zero (an untrained refine is the identity). */
function initConv(config: ModelConfig, rng: Rng): ConvParams {
  const { channels: c, convChannels: k } = config;
  const canvas = config.planCanvas ? CANVAS_CHANNELS : 0; // the plan canvas joins both inputs
  const stem = heKernel(rng, c + canvas, k);
  const refineIn = heKernel(rng, 2 * c + config.refineFeatures + canvas, k);
  const deeper = rng.fork('refine-hidden'); // own stream: a deeper refine leaves the other kernels of a seed as they were
  const refineHidden = Array.from({ length: config.refineLayers - 1 }, () => heKernel(deeper, k, k));
  return { stem, refineIn, refineHidden, refineOut: zeroKernel(k, c) };
}

/** A 3x3 kernel drawn He-normal (std sqrt(2 / fan-in)), zero bias. */
function heKernel(rng: Rng, cin: number, cout: number): ConvKernel {
  return { w: normalVariable([3, 3, cin, cout], rng, Math.sqrt(2 / (9 * cin))), b: constVariable([cout], 0) };
}

/** A 3x3 kernel and bias at zero: a residual branch that starts as the identity. */
function zeroKernel(cin: number, cout: number): ConvKernel {
  return { w: constVariable([3, 3, cin, cout], 0), b: constVariable([cout], 0) };
}

/** He-normal U-Net kernels; the output kernel starts at zero (an untrained decoder adds nothing to the head's velocity). */
function initUnet(config: ModelConfig, rng: Rng): UnetParams {
  const { channels, unetChannels: c } = config;
  const kernel = (cin: number, cout: number): ConvKernel => heKernel(rng, cin, cout);
  return {
    enc1: kernel(channels, c),
    down: kernel(c, 2 * c),
    enc2: kernel(2 * c, 2 * c),
    dec2: kernel(4 * c, 2 * c),
    up: kernel(2 * c, 4 * c),
    dec1: kernel(2 * c, c),
    out: zeroKernel(c, channels),
  };
}

function initUnderstandingAndThink(config: ModelConfig, rng: Rng): Pick<ModelParams, 'extraPos' | 'understanding' | 'think'> {
  const { dModel: d, initStd: std } = config;
  const regionWidth = REGION_FIELDS.reduce((sum, field) => sum + REGION_CLASSES[field], 0);
  const classes = planClasses(config.planGrid);
  const planWidth = PLAN_FIELDS.reduce((sum, field) => sum + classes[field], 0);
  const table = (rows: number): tf.Variable => normalVariable([rows, d], rng, std);
  return {
    extraPos: table(MAX_EXTRA_TOKENS),
    understanding: {
      taskEmbed: table(QUERY_KINDS.length),
      boxEmbed: initDense(4, d, rng, std),
      boxMark: table(1),
      norm: initNorm(d),
      region: initDense(d, regionWidth, rng, std),
      verdict: initDense(d, 2, rng, std),
      count: initDense(d, COUNT_CLASSES, rng, std),
    },
    think: {
      queries: table(PLAN_SLOTS),
      head: initDense(d, planWidth, rng, std),
      norm: initNorm(d),
      shape: table(classes.shape),
      color: table(classes.color),
      texture: table(classes.texture),
      size: table(classes.size),
      cell: table(classes.cell),
      depthRank: table(classes.depthRank),
      emptySlot: table(1),
      nullPlan: table(PLAN_SLOTS),
      // Zero: an untrained map adds nothing (and draws nothing from rng, so other weights stay the same).
      ...(config.planMap ? { layoutMap: constVariable([d, d], 0) } : {}),
      ...(config.planCanvas ? { offsetMap: constVariable([OFFSET_FEATURES, d], 0) } : {}),
      // From a forked rng, so the weights of a model without it stay the same.
      ...(config.planCellDecoder ? { cellDecoder: { hidden: initDense(d + SLOT_CONTEXT_FEATURES, CELL_DECODER_HIDDEN, rng.fork('cellDecoder'), std), out: { w: constVariable([CELL_DECODER_HIDDEN, classes.cell], 0), b: constVariable([classes.cell], 0) } } } : {}),
    },
  };
}

function initParse(config: ModelConfig, rng: Rng): ParseParams {
  const { dModel: d, initStd: std } = config;
  const width = PARSE_FIELDS.reduce((sum, field) => sum + PARSE_CLASSES[field], 0);
  return { norm: initNorm(d), head: initDense(d, width, rng, std) };
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

/** The model's variables in namedVariables order (the order of optimizers, checkpoints and EMA files). */
export function variablesOf(model: UnifiedModel): tf.Variable[] {
  return namedVariables(model.params).map((n) => n.variable);
}

export function parameterCount(params: ModelParams): number {
  return namedVariables(params).reduce((sum, { variable }) => sum + variable.size, 0);
}

export function disposeModel(model: UnifiedModel): void {
  for (const { variable } of namedVariables(model.params)) variable.dispose();
}
