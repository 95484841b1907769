// Think mode on the same backbone (layout plans: lib/train/plan.ts; a plan is Int32Array [B, PLAN_SLOTS, fields]
// in PLAN_FIELDS order, absent slots have present = 0 and every other field PLAN_IGNORE = -1).
//   (a) plan prediction from the prompt alone: [text ; 4 plan-query tokens], no image tokens, then per slot and
//       field logits from the query tokens' final hidden states;
//   (b) plan conditioning: generation reads [text ; 4 plan tokens ; image], a present slot's token being the sum
//       of its attribute embeddings (shape + colour + texture + size + cell + depth rank), an absent slot's the
//       learned 'empty' embedding; rows that do not think get the learned null plan (also CFG's unconditional branch);
//   (c) with ModelConfig.planMap, each present slot's token also reaches the image tokens around its cell (planMap).
import * as tf from '../backend/tf';
import { matMul } from '../backend/ops';
import { PLAN_CLASSES, PLAN_FIELDS, PLAN_GRID, PLAN_IGNORE, PLAN_SLOTS, type PlanField } from './classes';
import { WORLD } from '../world/config';
import { SIZES } from '../world/types';
import { modelDims } from './config';
import { dense, layerNorm } from './layers';
import type { UnifiedModel } from './params';
import { runBackbone } from './transformer';

const FIELDS = PLAN_FIELDS.length;
/** The fields a present slot's token embeds (all but 'present'). */
const EMBEDDED_FIELDS = PLAN_FIELDS.filter((f): f is Exclude<PlanField, 'present'> => f !== 'present');

/** Per-field plan logits from the prompt alone: each [B, PLAN_SLOTS, classes]. */
export function planLogits(model: UnifiedModel, textTokens: Int32Array): Record<PlanField, tf.Tensor3D> {
  const { config, params } = model;
  const batch = textTokens.length / config.maxTextTokens;
  return tf.tidy(() => {
    const queries = tf.mul(tf.ones([batch, 1, 1]), params.think.queries) as tf.Tensor3D; // [B, S, D]
    const x = runBackbone(model, { textTokens, extra: queries }); // [B, Tt + S, D]
    const slots = tf.slice(x, [0, config.maxTextTokens, 0], [-1, PLAN_SLOTS, -1]); // [B, S, D]
    const all = dense(layerNorm(slots, params.think.norm, config.layerNormEps), params.think.head); // [B, S, sum of classes]
    const parts = tf.split(all, PLAN_FIELDS.map((f) => PLAN_CLASSES[f]), 2) as tf.Tensor3D[];
    return Object.fromEntries(PLAN_FIELDS.map((field, i) => [field, parts[i]])) as Record<PlanField, tf.Tensor3D>;
  });
}

/** The targets of one field as [B * PLAN_SLOTS] (PLAN_IGNORE where the slot has none). */
export function planField(plan: Int32Array, field: PlanField): Int32Array {
  const column = PLAN_FIELDS.indexOf(field);
  return Int32Array.from({ length: plan.length / FIELDS }, (_, row) => plan[row * FIELDS + column]);
}

/** The most likely plan per prompt (argmax of every field), [B, PLAN_SLOTS, fields]; absent slots as in the targets. */
export function predictPlan(model: UnifiedModel, textTokens: Int32Array): Int32Array {
  const logits = planLogits(model, textTokens);
  const argmax = PLAN_FIELDS.map((field) => tf.tidy(() => tf.argMax(logits[field], 2).dataSync() as Int32Array)); // each [B * S]
  tf.dispose(Object.values(logits));
  const rows = argmax[0].length;
  const plan = new Int32Array(rows * FIELDS).fill(PLAN_IGNORE);
  for (let row = 0; row < rows; row++) {
    const present = argmax[0][row];
    plan[row * FIELDS] = present;
    if (present === 1) for (let f = 1; f < FIELDS; f++) plan[row * FIELDS + f] = argmax[f][row];
  }
  return plan;
}

/**
 * Plan tokens [B, PLAN_SLOTS, D] for generation. `thinking` [B] chooses per row between the given plan (1) and the
 * null plan (0); by default every row thinks when a plan is given, and none does without one (the null plan).
 */
export function planTokens(model: UnifiedModel, batch: number, options: { plan?: Int32Array; thinking?: Uint8Array } = {}): tf.Tensor3D {
  const { think } = model.params;
  const rows = batch * PLAN_SLOTS;
  const plan = options.plan;
  const thinking = options.thinking ?? new Uint8Array(batch).fill(plan === undefined ? 0 : 1);
  if (thinking.length !== batch) throw new Error(`planTokens: thinking has ${thinking.length} rows for ${batch}`);
  if (plan === undefined && thinking.some((v) => v === 1)) throw new Error('planTokens: a thinking row needs a plan');
  if (plan !== undefined && plan.length !== rows * FIELDS) throw new Error(`planTokens: plan has ${plan.length} values, expected ${rows * FIELDS}`);
  const oneHots = EMBEDDED_FIELDS.map((field) => new Float32Array(rows * PLAN_CLASSES[field]));
  const emptyRow = new Float32Array(rows);
  const nullRow = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    if (thinking[Math.floor(row / PLAN_SLOTS)] !== 1 || plan === undefined) {
      nullRow[row] = 1;
    } else if (plan[row * FIELDS] !== 1) {
      emptyRow[row] = 1;
    } else {
      EMBEDDED_FIELDS.forEach((field, f) => {
        const value = plan[row * FIELDS + f + 1];
        if (!Number.isInteger(value) || value < 0 || value >= PLAN_CLASSES[field]) throw new Error(`planTokens: ${field} = ${value} in a present slot`);
        oneHots[f][row * PLAN_CLASSES[field] + value] = 1;
      });
    }
  }
  return tf.tidy(() => {
    let tokens: tf.Tensor = tf.mul(tf.tensor2d(emptyRow, [rows, 1]), think.emptySlot); // [B * S, D]
    EMBEDDED_FIELDS.forEach((field, f) => {
      tokens = tf.add(tokens, matMul(tf.tensor2d(oneHots[f], [rows, PLAN_CLASSES[field]]), think[field]));
    });
    const nullPart = tf.mul(tf.tensor3d(nullRow, [batch, PLAN_SLOTS, 1]), think.nullPlan); // [B, S, D]
    return tf.add(tokens.reshape([batch, PLAN_SLOTS, -1]), nullPart) as tf.Tensor3D; // [B, S, D]
  });
}

/**
 * Where each slot lies over the image tokens, [B, Np, PLAN_SLOTS]: a Gaussian of the patch centre's distance to the
 * slot's cell centre, sigma = half the slot size's diameter; 0 for absent slots and for rows that do not think.
 */
function slotCoverage(model: UnifiedModel, batch: number, plan: Int32Array, thinking: Uint8Array): Float32Array {
  const { config } = model;
  const { gridSize, imageTokens } = modelDims(config);
  const scale = config.imageSize / WORLD.imageSize;
  const cellSide = config.imageSize / PLAN_GRID;
  const [cellCol, sizeCol] = [PLAN_FIELDS.indexOf('cell'), PLAN_FIELDS.indexOf('size')];
  const out = new Float32Array(batch * imageTokens * PLAN_SLOTS);
  for (let b = 0; b < batch; b++) {
    if (thinking[b] !== 1) continue;
    for (let s = 0; s < PLAN_SLOTS; s++) {
      const row = (b * PLAN_SLOTS + s) * FIELDS;
      if (plan[row] !== 1) continue;
      const cell = plan[row + cellCol];
      const [cx, cy] = [((cell % PLAN_GRID) + 0.5) * cellSide, (Math.floor(cell / PLAN_GRID) + 0.5) * cellSide];
      const sigma = (WORLD.diameters[SIZES[plan[row + sizeCol]]] / 2) * scale;
      for (let n = 0; n < imageTokens; n++) {
        const [px, py] = [((n % gridSize) + 0.5) * config.patchSize, (Math.floor(n / gridSize) + 0.5) * config.patchSize];
        out[(b * imageTokens + n) * PLAN_SLOTS + s] = Math.exp(-((px - cx) ** 2 + (py - cy) ** 2) / (2 * sigma * sigma));
      }
    }
  }
  return out;
}

/**
 * ModelConfig.planMap: the plan's slot tokens [B, PLAN_SLOTS, D] (planTokens) spread over the image tokens they
 * cover and mapped by think.layoutMap, [B, Np, D], added to the image tokens' embeddings; undefined when the model
 * has no plan map or no row thinks.
 */
export function planMap(model: UnifiedModel, slotTokens: tf.Tensor3D, options: { plan?: Int32Array; thinking?: Uint8Array } = {}): tf.Tensor3D | undefined {
  const layoutMap = model.params.think.layoutMap;
  const batch = slotTokens.shape[0];
  const thinking = options.thinking ?? new Uint8Array(batch).fill(options.plan === undefined ? 0 : 1);
  if (layoutMap === undefined || options.plan === undefined || thinking.every((v) => v !== 1)) return undefined;
  const { imageTokens } = modelDims(model.config);
  const coverage = slotCoverage(model, batch, options.plan, thinking);
  return tf.tidy(() => {
    const spread = tf.matMul(tf.tensor3d(coverage, [batch, imageTokens, PLAN_SLOTS]), slotTokens); // [B, Np, D]
    return matMul(spread.reshape([batch * imageTokens, -1]), layoutMap).reshape([batch, imageTokens, -1]) as tf.Tensor3D;
  });
}
