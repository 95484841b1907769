// Think mode on the same backbone (layout plans: lib/train/plan.ts; a plan is Int32Array [B, PLAN_SLOTS, fields]
// in PLAN_FIELDS order, absent slots have present = 0 and every other field PLAN_IGNORE = -1).
//   (a) plan prediction from the prompt alone: [text ; 4 plan-query tokens], no image tokens, then per slot and
//       field logits from the query tokens' final hidden states;
//   (b) plan conditioning: generation reads [text ; 4 plan tokens ; image], a present slot's token being the sum
//       of its attribute embeddings (shape + colour + texture + size + cell + depth rank), an absent slot's the
//       learned 'empty' embedding; rows that do not think get the learned null plan (also CFG's unconditional branch);
//   (c) with ModelConfig.planMap, each present slot's token also reaches the image tokens around its cell (planMap);
//   (d) with ModelConfig.planCanvas, each slot's box also reaches the pixels inside it (planCanvas) and the image
//       tokens learn their offset from each box centre (planMap).
// A slot's box: centred on its cell's centre, as wide as its size's diameter (so planCanvas wants a fine planGrid).
import * as tf from '../backend/tf';
import { matMul } from '../backend/ops';
import {
  CANVAS_CHANNELS,
  OFFSET_FEATURES,
  PLAN_FIELDS,
  PLAN_IGNORE,
  PLAN_SLOTS,
  SLOT_CONTEXT_FEATURES,
  planCellCentre,
  planClasses,
  type PlanField,
} from './classes';
import { WORLD } from '../world/config';
import { COLORS, SHAPES, SIZES, TEXTURES } from '../world/types';
import { modelDims } from './config';
import { dense, detached, gelu, layerNorm } from './layers';
import type { UnifiedModel } from './params';
import type { Rng } from '../rng';
import { runBackbone } from './transformer';

const FIELDS = PLAN_FIELDS.length;
/** The fields a present slot's token embeds (all but 'present'). */
const EMBEDDED_FIELDS = PLAN_FIELDS.filter((f): f is Exclude<PlanField, 'present'> => f !== 'present');

/** The plan queries' normed final states [B * S, D] and every field's logits from the shared head, [B, S, classes]. */
function planStates(
  model: UnifiedModel,
  textTokens: Int32Array,
  detach: boolean,
): { states: tf.Tensor2D; logits: Record<PlanField, tf.Tensor3D> } {
  const { config, params } = model;
  const batch = textTokens.length / config.maxTextTokens;
  return tf.tidy(() => {
    const queries = tf.mul(tf.ones([batch, 1, 1]), params.think.queries) as tf.Tensor3D; // [B, S, D]
    const x = runBackbone(model, { textTokens, extra: queries }); // [B, Tt + S, D]
    const sliced = tf.slice(x, [0, config.maxTextTokens, 0], [-1, PLAN_SLOTS, -1]); // [B, S, D]
    const slots = detach ? detached(sliced) : sliced;
    const normed = layerNorm(slots, params.think.norm, config.layerNormEps);
    const all = dense(normed, params.think.head); // [B, S, sum of classes]
    const classes = planClasses(config.planGrid);
    const parts = tf.split(
      all,
      PLAN_FIELDS.map((f) => classes[f]),
      2,
    ) as tf.Tensor3D[];
    const logits = Object.fromEntries(PLAN_FIELDS.map((field, i) => [field, parts[i]])) as Record<PlanField, tf.Tensor3D>;
    return { states: normed.reshape([batch * PLAN_SLOTS, -1]) as tf.Tensor2D, logits };
  });
}

/**
 * ModelConfig.planCellDecoder: each slot's context, the boxes of the slots before it in `plan` (teacher or decoded so
 * far), [B * S, SLOT_CONTEXT_FEATURES]: for earlier slot j at offset 4j, (present, centre x, centre y in [-1, 1],
 * radius / image size); zero for j >= the slot itself and for absent slots.
 */
export function slotContext(model: UnifiedModel, plan: Int32Array): Float32Array {
  const side = model.config.imageSize;
  const batch = plan.length / (PLAN_SLOTS * FIELDS);
  const everyRow = new Uint8Array(batch).fill(1);
  const context = new Float32Array(batch * PLAN_SLOTS * SLOT_CONTEXT_FEATURES);
  for (let b = 0; b < batch; b++) {
    for (const { slot: j, cx, cy, radius } of slotBoxes(model, plan, everyRow, b)) {
      const box = [1, (2 * cx) / side - 1, (2 * cy) / side - 1, radius / side];
      for (let k = j + 1; k < PLAN_SLOTS; k++) context.set(box, (b * PLAN_SLOTS + k) * SLOT_CONTEXT_FEATURES + 4 * j);
    }
  }
  return context;
}

/** The head's cell logits [B, S, cells] plus the cell decoder's, each slot conditioned on the slots before it in `plan`. */
function decodedCellLogits(model: UnifiedModel, states: tf.Tensor2D, headCells: tf.Tensor3D, plan: Int32Array): tf.Tensor3D {
  const decoder = model.params.think.cellDecoder!;
  return tf.tidy(() => {
    const input = tf.concat([states, tf.tensor2d(slotContext(model, plan), [states.shape[0], SLOT_CONTEXT_FEATURES])], 1);
    return tf.add(headCells, dense(gelu(dense(input, decoder.hidden)), decoder.out).reshape(headCells.shape)) as tf.Tensor3D;
  });
}

/**
 * Per-field plan logits from the prompt alone: each [B, PLAN_SLOTS, classes]. With ModelConfig.planCellDecoder the
 * cell logits of slot k are conditioned on slots < k of `teacher` (the target plan, as in training), which is then
 * required. `detach`: no gradient into the backbone (train the plan head and decoder alone).
 */
export function planLogits(
  model: UnifiedModel,
  textTokens: Int32Array,
  options: { teacher?: Int32Array; detach?: boolean } = {},
): Record<PlanField, tf.Tensor3D> {
  const { states, logits } = planStates(model, textTokens, options.detach ?? false);
  if (model.params.think.cellDecoder === undefined) {
    states.dispose();
    return logits;
  }
  if (options.teacher === undefined)
    throw new Error('planLogits: a model with a cell decoder needs the teacher plan (use predictPlan to decode)');
  const cell = decodedCellLogits(model, states, logits.cell, options.teacher);
  tf.dispose([states, logits.cell]);
  return { ...logits, cell };
}

/** The targets of one field as [B * PLAN_SLOTS] (PLAN_IGNORE where the slot has none). */
export function planField(plan: Int32Array, field: PlanField): Int32Array {
  const column = PLAN_FIELDS.indexOf(field);
  return Int32Array.from({ length: plan.length / FIELDS }, (_, row) => plan[row * FIELDS + column]);
}

/**
 * Fields a sampled plan draws by default (the rest stay argmax): the shape. Measured on 256 held-out validation prompts
 * with data/base, plans drawn by the world's renderer: argmax plans hold the prompt's held-out pair in 68 and pass 45;
 * shape drawn at temperature 2, 82 and 54; shape and colour at 2, 47 and 28 (the colours it gets right it then loses).
 */
export const SAMPLED_PLAN_FIELDS: readonly PlanField[] = ['shape'];

/** Draw some fields from softmax(logits / temperature) instead of taking the argmax (predictPlan). */
export interface PlanSampling {
  temperature: number;
  rng: Rng;
  /** Which fields (default SAMPLED_PLAN_FIELDS). */
  fields?: readonly PlanField[];
}

/** Per row of [B, S, C] logits: the argmax, or a draw from softmax(logits / temperature). */
function pickRows(logits: tf.Tensor3D, sampling: PlanSampling | undefined): Int32Array {
  if (sampling === undefined) return tf.tidy(() => tf.argMax(logits, 2).dataSync() as Int32Array);
  const classes = logits.shape[2];
  const p = tf.tidy(() => tf.softmax(tf.div(logits, sampling.temperature), 2).dataSync() as Float32Array);
  return Int32Array.from({ length: p.length / classes }, (_, row) => {
    let u = sampling.rng.next();
    for (let c = 0; c < classes - 1; c++) if ((u -= p[row * classes + c]) < 0) return c;
    return classes - 1;
  });
}

/**
 * The plan per prompt, [B, PLAN_SLOTS, fields], absent slots as in the targets: the argmax of every field (the most
 * likely plan), or with `sampling` the attribute fields drawn at a temperature (exploration for a self-judged layout
 * term: lib/run/candidates.ts); with a cell decoder the cells slot after slot, each given the slots before it.
 */
export function predictPlan(model: UnifiedModel, textTokens: Int32Array, sampling?: PlanSampling): Int32Array {
  if (sampling !== undefined && !(sampling.temperature > 0))
    throw new Error(`plan sampling temperature must be > 0, got ${sampling.temperature}`);
  const { states, logits } = planStates(model, textTokens, false);
  const picks = PLAN_FIELDS.map((field) =>
    pickRows(logits[field], (sampling?.fields ?? SAMPLED_PLAN_FIELDS).includes(field) ? sampling : undefined),
  ); // each [B * S]
  const rows = picks[0].length;
  const plan = new Int32Array(rows * FIELDS).fill(PLAN_IGNORE);
  const fill = (): void => {
    for (let row = 0; row < rows; row++) {
      const present = picks[0][row];
      plan[row * FIELDS] = present;
      if (present === 1) for (let f = 1; f < FIELDS; f++) plan[row * FIELDS + f] = picks[f][row];
    }
  };
  fill();
  if (model.params.think.cellDecoder !== undefined) {
    const cellField = PLAN_FIELDS.indexOf('cell');
    for (let k = 0; k < PLAN_SLOTS; k++) {
      const chosen = tf.tidy(() => tf.argMax(decodedCellLogits(model, states, logits.cell, plan), 2).dataSync() as Int32Array); // [B * S]
      for (let row = k; row < rows; row += PLAN_SLOTS) picks[cellField][row] = chosen[row];
      fill();
    }
  }
  tf.dispose([states, ...Object.values(logits)]);
  return plan;
}

/** Which rows think, [B]: the given `thinking`, else every row when a plan is given and none without one. */
function thinkingRows(batch: number, options: { plan?: Int32Array; thinking?: Uint8Array }): Uint8Array {
  return options.thinking ?? new Uint8Array(batch).fill(options.plan === undefined ? 0 : 1);
}

/**
 * Plan tokens [B, PLAN_SLOTS, D] for generation. `thinking` [B] chooses per row between the given plan (1) and the
 * null plan (0); by default every row thinks when a plan is given, and none does without one (the null plan).
 */
export function planTokens(model: UnifiedModel, batch: number, options: { plan?: Int32Array; thinking?: Uint8Array } = {}): tf.Tensor3D {
  const { think } = model.params;
  const classes = planClasses(model.config.planGrid);
  const rows = batch * PLAN_SLOTS;
  const plan = options.plan;
  const thinking = thinkingRows(batch, options);
  if (thinking.length !== batch) throw new Error(`planTokens: thinking has ${thinking.length} rows for ${batch}`);
  if (plan === undefined && thinking.some((v) => v === 1)) throw new Error('planTokens: a thinking row needs a plan');
  if (plan !== undefined && plan.length !== rows * FIELDS)
    throw new Error(`planTokens: plan has ${plan.length} values, expected ${rows * FIELDS}`);
  const oneHots = EMBEDDED_FIELDS.map((field) => new Float32Array(rows * classes[field]));
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
        if (!Number.isInteger(value) || value < 0 || value >= classes[field])
          throw new Error(`planTokens: ${field} = ${value} in a present slot`);
        oneHots[f][row * classes[field] + value] = 1;
      });
    }
  }
  return tf.tidy(() => {
    let tokens: tf.Tensor = tf.mul(tf.tensor2d(emptyRow, [rows, 1]), think.emptySlot); // [B * S, D]
    EMBEDDED_FIELDS.forEach((field, f) => {
      tokens = tf.add(tokens, matMul(tf.tensor2d(oneHots[f], [rows, classes[field]]), think[field]));
    });
    const nullPart = tf.mul(tf.tensor3d(nullRow, [batch, PLAN_SLOTS, 1]), think.nullPlan); // [B, S, D]
    return tf.add(tokens.reshape([batch, PLAN_SLOTS, -1]), nullPart) as tf.Tensor3D; // [B, S, D]
  });
}

/** A present slot's box: centre (its cell's centre) and radius (half its size's diameter), in model pixels. */
interface SlotBox {
  slot: number;
  cx: number;
  cy: number;
  radius: number;
}

/** The boxes of row b's present slots, or none when the row does not think. */
function slotBoxes(model: UnifiedModel, plan: Int32Array, thinking: Uint8Array, b: number): SlotBox[] {
  if (thinking[b] !== 1) return [];
  const { config } = model;
  const scale = config.imageSize / WORLD.imageSize;
  const [cellCol, sizeCol] = [PLAN_FIELDS.indexOf('cell'), PLAN_FIELDS.indexOf('size')];
  const boxes: SlotBox[] = [];
  for (let s = 0; s < PLAN_SLOTS; s++) {
    const row = (b * PLAN_SLOTS + s) * FIELDS;
    if (plan[row] !== 1) continue;
    const { cx, cy } = planCellCentre(plan[row + cellCol], config.planGrid, config.imageSize);
    boxes.push({ slot: s, cx, cy, radius: (WORLD.diameters[SIZES[plan[row + sizeCol]]] / 2) * scale });
  }
  return boxes;
}

/**
 * Where each slot lies over the image tokens, [B, Np, PLAN_SLOTS]: a Gaussian of the patch centre's distance to the
 * slot's box centre, sigma = the box radius; 0 for absent slots and for rows that do not think. With planCanvas also
 * the coverage-weighted offsets from the box centres, [B, Np, OFFSET_FEATURES]: sum of w * (dx, dy, dx^2, dy^2), in radii
 * (undefined without planCanvas).
 */
function slotCoverage(
  model: UnifiedModel,
  batch: number,
  plan: Int32Array,
  thinking: Uint8Array,
): { coverage: Float32Array; offsets?: Float32Array } {
  const { config } = model;
  const { gridSize, imageTokens } = modelDims(config);
  const coverage = new Float32Array(batch * imageTokens * PLAN_SLOTS);
  const offsets = config.planCanvas ? new Float32Array(batch * imageTokens * OFFSET_FEATURES) : undefined;
  for (let b = 0; b < batch; b++) {
    for (const { slot, cx, cy, radius } of slotBoxes(model, plan, thinking, b)) {
      for (let n = 0; n < imageTokens; n++) {
        const [dx, dy] = [
          (((n % gridSize) + 0.5) * config.patchSize - cx) / radius,
          ((Math.floor(n / gridSize) + 0.5) * config.patchSize - cy) / radius,
        ];
        const w = Math.exp(-(dx * dx + dy * dy) / 2);
        coverage[(b * imageTokens + n) * PLAN_SLOTS + slot] = w;
        if (offsets === undefined) continue;
        const at = (b * imageTokens + n) * OFFSET_FEATURES;
        [dx, dy, dx * dx, dy * dy].forEach((f, i) => (offsets[at + i] += w * f));
      }
    }
  }
  return { coverage, offsets };
}

/**
 * ModelConfig.planMap: the plan's slot tokens [B, PLAN_SLOTS, D] (planTokens) spread over the image tokens they
 * cover and mapped by think.layoutMap, plus (planCanvas) the box offsets mapped by think.offsetMap, [B, Np, D],
 * added to the image tokens' embeddings; undefined when the model has no plan map or no row thinks.
 */
export function planMap(
  model: UnifiedModel,
  slotTokens: tf.Tensor3D,
  options: { plan?: Int32Array; thinking?: Uint8Array } = {},
): tf.Tensor3D | undefined {
  const { layoutMap, offsetMap } = model.params.think;
  const batch = slotTokens.shape[0];
  const thinking = thinkingRows(batch, options);
  if (layoutMap === undefined || options.plan === undefined || thinking.every((v) => v !== 1)) return undefined;
  const { imageTokens } = modelDims(model.config);
  const { coverage, offsets } = slotCoverage(model, batch, options.plan, thinking);
  return tf.tidy(() => {
    const spread = tf.matMul(tf.tensor3d(coverage, [batch, imageTokens, PLAN_SLOTS]), slotTokens); // [B, Np, D]
    const mapped = matMul(spread.reshape([batch * imageTokens, -1]), layoutMap);
    const withOffsets =
      offsetMap === undefined || offsets === undefined
        ? mapped
        : tf.add(mapped, matMul(tf.tensor2d(offsets, [batch * imageTokens, OFFSET_FEATURES]), offsetMap));
    return withOffsets.reshape([batch, imageTokens, -1]) as tf.Tensor3D;
  });
}

/** Margin around a slot's box inside which the canvas still marks it (the plan's centre is a cell centre, not exact). */
const CANVAS_MARGIN = 1.15;

/**
 * ModelConfig.planCanvas: the plan's boxes at pixel level in token layout, [B, Np, p*p*CANVAS_CHANNELS] (patches.ts:
 * token = py * G + px, inner (dy, dx, channel)). A pixel within CANVAS_MARGIN radii of a present slot's box centre
 * (per axis) gets the front-most such slot's (highest depth rank) shape, colour, texture and size one-hots, its
 * offset (dx, dy) from the centre in radii and an inside flag 1; other pixels, and rows that do not think, are 0.
 * Undefined when the model has no canvas or no row thinks.
 */
export function planCanvas(
  model: UnifiedModel,
  batch: number,
  options: { plan?: Int32Array; thinking?: Uint8Array } = {},
): tf.Tensor3D | undefined {
  const { config } = model;
  const { plan } = options;
  const thinking = thinkingRows(batch, options);
  if (!config.planCanvas || plan === undefined || thinking.every((v) => v !== 1)) return undefined;
  const { gridSize, imageTokens } = modelDims(config);
  const [p, side, K] = [config.patchSize, config.imageSize, CANVAS_CHANNELS];
  const column = (f: PlanField): number => PLAN_FIELDS.indexOf(f);
  // shape, colour, texture, size, (dx, dy, inside)
  const starts = [0, SHAPES.length, SHAPES.length + COLORS.length, SHAPES.length + COLORS.length + TEXTURES.length, K - 3];
  const out = new Float32Array(batch * imageTokens * p * p * K);
  for (let b = 0; b < batch; b++) {
    const front = new Float32Array(side * side).fill(-1); // depth rank of the slot painted at each pixel so far
    for (const { slot, cx, cy, radius } of slotBoxes(model, plan, thinking, b)) {
      const row = (b * PLAN_SLOTS + slot) * FIELDS;
      const rank = plan[row + column('depthRank')];
      const hot = (['shape', 'color', 'texture', 'size'] as const).map((f, i) => starts[i] + plan[row + column(f)]);
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const [dx, dy] = [(x + 0.5 - cx) / radius, (y + 0.5 - cy) / radius];
          if (Math.abs(dx) > CANVAS_MARGIN || Math.abs(dy) > CANVAS_MARGIN || rank <= front[y * side + x]) continue;
          front[y * side + x] = rank;
          const at = ((b * imageTokens + Math.floor(y / p) * gridSize + Math.floor(x / p)) * p * p + (y % p) * p + (x % p)) * K;
          out.fill(0, at, at + K);
          for (const channel of hot) out[at + channel] = 1;
          out.set([dx, dy, 1], at + starts[4]);
        }
      }
    }
  }
  return tf.tensor3d(out, [batch, imageTokens, p * p * K]);
}

/**
 * Everything a plan conditions the velocity on, for `predictVelocity`: the plan tokens (`extra`, the null plan for
 * rows that do not think) and, when the model has them and a row thinks, the plan map and the canvas.
 */
export function planConditioning(
  model: UnifiedModel,
  batch: number,
  options: { plan?: Int32Array; thinking?: Uint8Array } = {},
): { extra: tf.Tensor3D; planMap?: tf.Tensor3D; planCanvas?: tf.Tensor3D } {
  const extra = planTokens(model, batch, options);
  return { extra, planMap: planMap(model, extra, options), planCanvas: planCanvas(model, batch, options) };
}

/** The rows that think once text dropout has run: a row whose prompt was dropped (all PAD) plans nothing (CFG's unconditional branch). */
export function thinkingWithText(thinking: Uint8Array, textTokens: Int32Array, textLen: number): Uint8Array {
  return thinking.map((v, b) => (v === 1 && textTokens.subarray(b * textLen, (b + 1) * textLen).some((id) => id !== 0) ? 1 : 0));
}
