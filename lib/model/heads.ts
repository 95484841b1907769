// Understanding through the same backbone: the model reads a CLEAN image (flow time t = 0) with a text and ONE
// query token per example, [text ; query ; image], and small heads read the query token's final hidden state.
//   query token = taskEmbed[kind] (+ boxEmbed([x1, y1, x2, y2]) for a region query, box in [0, 1] of the side);
//   a region query also marks its box on the image: image token p += coverage(p) * boxMark, coverage = the share of
//   patch p inside the box (so the query finds its object by attention instead of decoding coordinates);
//   region  -> shape, colour, texture, size (each with a last 'none' class) and distorted (no / yes) logits;
//   verdict -> [no, yes] logits ("does the image satisfy this constraint's text");
//   count   -> logits over 0..COUNT_CLASSES - 1 ("how many <description>").
// Region queries carry all-PAD text. Kinds can be mixed freely inside one batch (one forward pass).
import * as tf from '../backend/tf';
import { logSoftmax, matMul } from '../backend/ops';
import { REGION_CLASSES } from './classes';
import { modelDims } from './config';
import { patchCoverage } from './patches';
import { regionCropLogits, regionWindows } from './region-crop';
import { dense, detached, layerNorm } from './layers';
import { QUERY_KINDS, REGION_FIELDS, type QueryKind, type RegionField, type UnifiedModel } from './params';
import { runBackbone } from './transformer';

export interface UnderstandingInputs {
  /** Clean image tokens x0, [B, Np, patchDim] in [-1, 1] (patches.ts). */
  x0: tf.Tensor3D;
  /** The question's text per row, [B * maxTextTokens] ids (all PAD for region queries). */
  textTokens: Int32Array;
  /** Query kind per row, [B]. */
  kinds: readonly QueryKind[];
  /** [B * 4] boxes x1, y1, x2, y2 in [0, 1]; read only on region rows. */
  boxes: Float32Array;
}

export interface UnderstandingLogits {
  /** Per region field, [B, classes] (REGION_CLASSES). */
  region: Record<RegionField, tf.Tensor2D>;
  /** [B, 2]: no, yes. */
  verdict: tf.Tensor2D;
  /** [B, COUNT_CLASSES]. */
  count: tf.Tensor2D;
}

/** Query tokens [B, 1, D]: task-type embedding plus, on region rows, the box embedding. */
function queryTokens(model: UnifiedModel, kinds: readonly QueryKind[], boxes: Float32Array): tf.Tensor3D {
  const { understanding } = model.params;
  const batch = kinds.length;
  if (boxes.length !== 4 * batch) throw new Error(`boxes: expected ${4 * batch} values, got ${boxes.length}`);
  const kindOneHot = new Float32Array(batch * QUERY_KINDS.length);
  const regionRow = new Float32Array(batch);
  kinds.forEach((kind, b) => {
    kindOneHot[b * QUERY_KINDS.length + QUERY_KINDS.indexOf(kind)] = 1;
    regionRow[b] = kind === 'region' ? 1 : 0;
  });
  const task = matMul(tf.tensor2d(kindOneHot, [batch, QUERY_KINDS.length]), understanding.taskEmbed); // [B, D]
  const box = tf.mul(dense(tf.tensor2d(boxes, [batch, 4]), understanding.boxEmbed), tf.tensor2d(regionRow, [batch, 1])); // [B, D]
  return tf.add(task, box).reshape([batch, 1, model.config.dModel]) as tf.Tensor3D; // [B, 1, D]
}

/** [B, Np, D]: on region rows, each image token's share inside the box times the learned in-box marker. */
function boxMarks(model: UnifiedModel, kinds: readonly QueryKind[], boxes: Float32Array): tf.Tensor3D {
  const { imageTokens } = modelDims(model.config);
  const coverage = new Float32Array(kinds.length * imageTokens);
  kinds.forEach((kind, b) => {
    if (kind === 'region') coverage.set(patchCoverage(Array.from(boxes.subarray(4 * b, 4 * b + 4)), model.config), b * imageTokens);
  });
  return tf.mul(tf.tensor3d(coverage, [kinds.length, imageTokens, 1]), model.params.understanding.boxMark) as tf.Tensor3D; // [B, Np, D]
}

/**
 * All heads on every row (cheap; a loss or a caller picks the rows of each kind). With the region pixel reader
 * (region-crop.ts) its logits add to the region head's. `detach`: no gradient into the backbone (train the heads alone).
 */
export function understandingLogits(
  model: UnifiedModel,
  inputs: UnderstandingInputs,
  options: { detach?: boolean } = {},
): UnderstandingLogits {
  const { config, params } = model;
  const batch = inputs.kinds.length;
  const { patchDim, imageTokens } = modelDims(config);
  if (inputs.x0.shape[0] !== batch || inputs.x0.shape[1] !== imageTokens || inputs.x0.shape[2] !== patchDim) {
    throw new Error(`x0: expected [${batch}, ${imageTokens}, ${patchDim}], got [${inputs.x0.shape}]`);
  }
  return tf.tidy(() => {
    const extra = queryTokens(model, inputs.kinds, inputs.boxes);
    const mark = boxMarks(model, inputs.kinds, inputs.boxes);
    const image = { xt: inputs.x0, t: tf.zeros([batch]) as tf.Tensor1D, mark }; // t = 0: the clean image
    const x = runBackbone(model, { textTokens: inputs.textTokens, extra, image }); // [B, T, D]
    const sliced = tf.slice(x, [0, config.maxTextTokens, 0], [-1, 1, -1]).reshape([batch, config.dModel]); // [B, D]
    const query = options.detach === true ? detached(sliced) : sliced;
    const h = layerNorm(query, params.understanding.norm, config.layerNormEps);
    const { crop } = params.understanding;
    const tokenRegion = dense(h, params.understanding.region) as tf.Tensor2D; // [B, sum of region classes]
    const readPixels = crop !== undefined && inputs.kinds.includes('region'); // only region rows read their region logits
    const regionAll = readPixels
      ? tf.add(tokenRegion, regionCropLogits(crop, regionWindows(inputs.x0, inputs.boxes, config)))
      : tokenRegion;
    const widths = REGION_FIELDS.map((field) => REGION_CLASSES[field]);
    const parts = tf.split(regionAll, widths, 1) as tf.Tensor2D[];
    const region = Object.fromEntries(REGION_FIELDS.map((field, i) => [field, parts[i]])) as Record<RegionField, tf.Tensor2D>;
    return {
      region,
      verdict: dense(h, params.understanding.verdict) as tf.Tensor2D,
      count: dense(h, params.understanding.count) as tf.Tensor2D,
    };
  });
}

/**
 * Mean cross-entropy over the rows whose target is >= 0 (a target of -1 is ignored), optionally class-weighted
 * as torch's CrossEntropyLoss(weight): sum_i w[y_i] * -log p_i(y_i) / sum_i w[y_i]. Zero when no row counts.
 * `rowWeights` (e.g. a reward per row) multiply each row's term and leave the denominator as it is.
 */
export function maskedCrossEntropy(
  logits: tf.Tensor2D,
  targets: Int32Array,
  classWeights?: readonly number[],
  rowWeights?: Float32Array,
): tf.Scalar {
  const [rows, classes] = logits.shape;
  if (targets.length !== rows) throw new Error(`maskedCrossEntropy: ${targets.length} targets for ${rows} rows`);
  if (rowWeights !== undefined && rowWeights.length !== rows)
    throw new Error(`maskedCrossEntropy: ${rowWeights.length} row weights for ${rows} rows`);
  const weighted = new Float32Array(rows * classes);
  let total = 0;
  targets.forEach((y, i) => {
    if (y < 0) return;
    if (!Number.isInteger(y) || y >= classes) throw new Error(`maskedCrossEntropy: target ${y} outside [0, ${classes})`);
    const w = classWeights?.[y] ?? 1;
    weighted[i * classes + y] = w * (rowWeights?.[i] ?? 1); // row weights scale a row's term but not the normaliser (like R in Eq. 1)
    total += w;
  });
  return tf.tidy(() => {
    if (total === 0) return tf.scalar(0);
    const logProbabilities = logSoftmax(logits); // [N, C]
    return tf.div(tf.neg(tf.sum(tf.mul(logProbabilities, tf.tensor2d(weighted, [rows, classes])))), total) as tf.Scalar;
  });
}

/** Softmax probabilities of a [B, C] logits tensor as one Float32Array per row. */
export function rowProbabilities(logits: tf.Tensor2D): Float32Array[] {
  const [rows, classes] = logits.shape;
  const flat = tf.tidy(() => tf.softmax(logits).dataSync() as Float32Array);
  return Array.from({ length: rows }, (_, b) => flat.slice(b * classes, (b + 1) * classes));
}
