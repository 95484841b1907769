// The types of the model's parameters: tf.Variables in a typed structure (no tfjs-layers). They live apart from
// params.ts (which builds them) so that the parts that read them (conv.ts, region-crop.ts, layers.ts, ...) and
// params.ts, which imports those parts' sizes, do not import each other.
import type * as tf from '../backend/tf';
import type { ModelConfig } from './config';

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
  /** Learned positions of the extra tokens between text and image [MAX_EXTRA_TOKENS, D]. */
  extraPos: tf.Variable;
  understanding: UnderstandingParams;
  think: ThinkParams;
  patchParse: ParseParams;
  /** Convolutional stem and velocity refine (conv.ts), present when convChannels > 0. */
  conv?: ConvParams;
}

/** A 3x3 kernel [3, 3, in, out] and its bias [out]. */
export interface ConvKernel {
  w: tf.Variable;
  b: tf.Variable;
}

/** Conv kernels [3, 3, in, out] and biases [out] (conv.ts). */
export interface ConvParams {
  /** image channels -> convChannels */
  stem: ConvKernel;
  /** [v ; x_t] (2 x image channels, plus the plan canvas with planCanvas) -> convChannels */
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
