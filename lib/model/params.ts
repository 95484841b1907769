// The model's parameters: tf.Variables in a typed structure (no tfjs-layers, types in param-types.ts), seeded from
// lib/rng.ts.
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import { makeRng, type Rng } from '../rng';
import {
  CANVAS_CHANNELS,
  CELL_DECODER_HIDDEN,
  COUNT_CLASSES,
  OFFSET_FEATURES,
  SLOT_CONTEXT_FEATURES,
  PARSE_CLASSES,
  PARSE_FIELDS,
  PLAN_FIELDS,
  PLAN_SLOTS,
  REGION_CLASSES,
  planClasses,
} from './classes';
import { modelDims, type ModelConfig } from './config';
import type {
  BlockParams,
  ConvKernel,
  ConvParams,
  DenseParams,
  MlpParams,
  ModelParams,
  NormParams,
  ParseParams,
  RegionCropParams,
  UnifiedModel,
} from './param-types';
import { CROP_SIDE, cropChannels } from './region-crop';

export type {
  BlockParams,
  ConvKernel,
  ConvParams,
  DenseParams,
  MlpParams,
  ModelParams,
  NormParams,
  ParseParams,
  RegionCropParams,
  ThinkParams,
  UnderstandingParams,
  UnifiedModel,
} from './param-types';

/** Most extra tokens a sequence may carry between text and image (the 4 plan slots; understanding uses 1). */
export const MAX_EXTRA_TOKENS = PLAN_SLOTS;
/** Understanding query kinds, in the order of the task-type embedding rows. */
export const QUERY_KINDS = ['region', 'verdict', 'count'] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];
/** Logit columns of the region head, field by field in this order. */
export const REGION_FIELDS = ['shape', 'color', 'texture', 'size', 'distorted'] as const;
export type RegionField = (typeof REGION_FIELDS)[number];

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
    blocks.push(block);
  }
  const params: ModelParams = {
    textEmbed: normalVariable([config.vocabSize, d], rng, std),
    textPos: normalVariable([config.maxTextTokens, d], rng, std),
    imagePos: normalVariable([imageTokens, d], rng, std),
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

/** Inputs of the patch embedding per image token: x_t, then the conv stem's features. */
export function patchEmbedWidth(config: ModelConfig): number {
  return modelDims(config).patchDim + config.patchSize ** 2 * config.convChannels;
}

/** Outputs of the velocity head per image token: the patch values. */
export function headWidth(config: ModelConfig): number {
  return modelDims(config).patchDim;
}

/** He-normal stem and refine kernels; the refine-out kernel starts at zero (an untrained refine is the identity). */
function initConv(config: ModelConfig, rng: Rng): ConvParams {
  const { channels: c, convChannels: k } = config;
  const canvas = config.planCanvas ? CANVAS_CHANNELS : 0; // the plan canvas joins both inputs
  const stem = heKernel(rng, c + canvas, k);
  const refineIn = heKernel(rng, 2 * c + canvas, k);
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
      ...(config.planCellDecoder
        ? {
            cellDecoder: {
              hidden: initDense(d + SLOT_CONTEXT_FEATURES, CELL_DECODER_HIDDEN, rng.fork('cellDecoder'), std),
              out: { w: constVariable([CELL_DECODER_HIDDEN, classes.cell], 0), b: constVariable([classes.cell], 0) },
            },
          }
        : {}),
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
      out.push({ name: prefix, variable: node as tf.Variable }); // instanceof narrows to Variable<any>
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
