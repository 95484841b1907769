// Losses of the understanding heads and the think-mode plan head, and the one gradient step they share.
// Every cross-entropy skips targets of -1 (maskedCrossEntropy). Layout of an understanding step: each image of an
// understandingBatch gives three rows, one per query kind, so one forward pass over [region rows ; verdict rows ;
// count rows] trains all heads on every image:
//   L_understanding = sum over the 5 region fields of CE + CE(verdict) + CE(count, class-weighted).
import * as tf from '../backend/tf';
import { modelDims, type ModelConfig } from '../model/config';
import { maskedCrossEntropy, understandingLogits } from '../model/heads';
import type { AdamW } from '../model/optimizer';
import { QUERY_KINDS, REGION_FIELDS, type QueryKind, type RegionField, type UnifiedModel } from '../model/params';
import { planField, planLogits } from '../model/plan';
import { understandingBatch, type UnderstandingBatch } from './data';
import { COUNT_CLASSES, PLAN_FIELDS, PLAN_SLOTS } from '../model/classes';

/** Batches (of 32 images, a fixed data seed) that estimate the count-label frequencies. */
const COUNT_FREQUENCY_BATCHES = 8;
const countWeightCache = new Map<string, number[]>();

/**
 * Count CE class weights w_c proportional to 1 / sqrt(p_c), scaled so that E[w] = 1 over the label distribution:
 * counts of 2-4 are rare in the world's scenes (a few percent of count queries), so an unweighted CE would learn to
 * answer 0 or 1. p is estimated once from the data builder itself (a class never seen counts as 1 seen).
 */
export function countClassWeights(config: ModelConfig): number[] {
  const key = `${config.imageSize}/${config.patchSize}/${config.maxTextTokens}`;
  const cached = countWeightCache.get(key);
  if (cached !== undefined) return cached;
  const seen = new Array<number>(COUNT_CLASSES).fill(0);
  for (let k = 0; k < COUNT_FREQUENCY_BATCHES; k++)
    understandingBatch(k, { batchSize: 32, seed: 12345, config }).count.label.forEach((label) => seen[label]++);
  const total = seen.reduce((a, b) => a + Math.max(1, b), 0);
  const p = seen.map((n) => Math.max(1, n) / total);
  const raw = p.map((pc) => 1 / Math.sqrt(pc));
  const expected = p.reduce((sum, pc, c) => sum + pc * raw[c], 0);
  const weights = raw.map((w) => w / expected);
  countWeightCache.set(key, weights);
  return weights;
}

/** An understanding batch laid out as rows of one forward pass (3 rows per image). */
export interface UnderstandingRows {
  rows: number;
  /** Clean image tokens of every row, [rows, Np, patchDim]. */
  x0: Float32Array;
  textTokens: Int32Array;
  kinds: QueryKind[];
  boxes: Float32Array;
  /** Targets per row, -1 on rows of another kind. */
  region: Record<RegionField, Int32Array>;
  verdict: Int32Array;
  count: Int32Array;
}

/**
 * Rows [region ; verdict ; count] of one understanding batch (the kinds given, in this order); region rows read
 * all-PAD text. A kind left out (its loss weight is 0) costs nothing and its targets are all -1.
 */
export function understandingRows(
  batch: UnderstandingBatch,
  textLen: number,
  kinds: readonly QueryKind[] = QUERY_KINDS,
): UnderstandingRows {
  const n = batch.batchSize;
  const used = QUERY_KINDS.filter((kind) => kinds.includes(kind));
  const rows = used.length * n;
  const perImage = batch.x0.length / n;
  const x0 = new Float32Array(rows * perImage);
  for (let k = 0; k < used.length; k++) x0.set(batch.x0, k * n * perImage);
  const textTokens = new Int32Array(rows * textLen);
  const boxes = new Float32Array(rows * 4);
  const at = (kind: QueryKind): number => used.indexOf(kind) * n; // first row of a kind, -n when left out
  if (at('verdict') >= 0) textTokens.set(batch.verdict.tokens, at('verdict') * textLen);
  if (at('count') >= 0) textTokens.set(batch.count.tokens, at('count') * textLen);
  if (at('region') >= 0) boxes.set(batch.region.boxes, at('region') * 4);
  const column = (values: Int32Array, kind: QueryKind): Int32Array => {
    const out = new Int32Array(rows).fill(-1);
    if (at(kind) >= 0) out.set(values, at(kind));
    return out;
  };
  return {
    rows,
    x0,
    textTokens,
    boxes,
    kinds: used.flatMap((kind) => new Array<QueryKind>(n).fill(kind)),
    region: Object.fromEntries(REGION_FIELDS.map((field) => [field, column(batch.region[field], 'region')])) as Record<
      RegionField,
      Int32Array
    >,
    verdict: column(batch.verdict.label, 'verdict'),
    count: column(batch.count.label, 'count'),
  };
}

export interface HeadLoss {
  total: tf.Scalar;
  /** Each term, for logs (same scope as total). */
  parts: Record<string, tf.Scalar>;
}

/** Weights of the text-conditioned terms of L_understanding (1 = the plain sum). */
export interface TermWeights {
  verdict: number;
  count: number;
}

/**
 * L_understanding on rows of one forward pass; countWeights are per-class weights of the count CE, terms weights
 * of the verdict and count CEs (parts stay unweighted, for the logs). `detach`: the heads learn, the backbone does not.
 */
export function understandingLoss(
  model: UnifiedModel,
  rows: UnderstandingRows,
  countWeights?: readonly number[],
  terms: TermWeights = { verdict: 1, count: 1 },
  options: { detach?: boolean } = {},
): HeadLoss {
  const { imageTokens, patchDim } = modelDims(model.config);
  const x0 = tf.tensor3d(rows.x0, [rows.rows, imageTokens, patchDim]);
  const logits = understandingLogits(model, { x0, textTokens: rows.textTokens, kinds: rows.kinds, boxes: rows.boxes }, options);
  const parts: Record<string, tf.Scalar> = {};
  for (const field of REGION_FIELDS) parts[`region_${field}`] = maskedCrossEntropy(logits.region[field], rows.region[field]);
  parts.verdict = maskedCrossEntropy(logits.verdict, rows.verdict);
  parts.count = maskedCrossEntropy(logits.count, rows.count, countWeights);
  const weighted = Object.entries(parts).map(([name, part]) =>
    name === 'verdict' ? tf.mul(part, terms.verdict) : name === 'count' ? tf.mul(part, terms.count) : part,
  );
  return { total: tf.addN(weighted) as tf.Scalar, parts };
}

/**
 * L_plan = sum over the plan fields of the per-slot CE of the plan predicted from the prompt alone. `promptWeights`
 * [B] weighs each prompt's slots (SRUM's reward on a candidate's own plan); default 1. The target plan is also the
 * cell decoder's teacher (ModelConfig.planCellDecoder). `detach`: train the plan head and decoder only.
 */
export function planLoss(
  model: UnifiedModel,
  textTokens: Int32Array,
  plan: Int32Array,
  promptWeights?: Float32Array,
  options: { detach?: boolean } = {},
): HeadLoss {
  const logits = planLogits(model, textTokens, { teacher: plan, detach: options.detach });
  const slotWeights =
    promptWeights === undefined
      ? undefined
      : Float32Array.from({ length: promptWeights.length * PLAN_SLOTS }, (_, row) => promptWeights[Math.floor(row / PLAN_SLOTS)]);
  const parts: Record<string, tf.Scalar> = {};
  for (const field of PLAN_FIELDS) {
    const flat = logits[field].reshape([-1, logits[field].shape[2]]) as tf.Tensor2D; // [B * S, C]
    parts[`plan_${field}`] = maskedCrossEntropy(flat, planField(plan, field), undefined, slotWeights);
  }
  return { total: tf.addN(Object.values(parts)) as tf.Scalar, parts };
}

export interface GradientStepOptions {
  optimizer: AdamW;
  learningRate: number;
  /** Builds the loss (called inside the gradient tape). */
  loss: () => HeadLoss;
}

export interface GradientStepResult {
  loss: number;
  parts: Record<string, number>;
  gradNorm: number;
}

/** One AdamW update on a loss; every tensor made here is released before returning. */
export function gradientStep({ optimizer, learningRate, loss }: GradientStepOptions): GradientStepResult {
  let partValues: Record<string, number> = {};
  const { value, grads } = tf.tidy(() => {
    const { value: total, grads: gradMap } = tf.variableGrads(() => {
      const { total: lossValue, parts } = loss();
      partValues = Object.fromEntries(Object.entries(parts).map(([name, part]) => [name, part.dataSync()[0]]));
      return lossValue;
    }, optimizer.variables as tf.Variable[]);
    return { value: total, grads: optimizer.variables.map((v) => gradMap[v.name] as tf.Tensor | undefined) };
  });
  const { gradNorm } = optimizer.applyGradients(grads, learningRate);
  const result = { loss: value.dataSync()[0], parts: partValues, gradNorm };
  tf.dispose([value, ...grads.filter((g): g is tf.Tensor => g !== undefined)]);
  return result;
}
