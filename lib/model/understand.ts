// The model's understanding, as a typed inference API (the judge builds on it). Every call is one batched forward
// pass per MAX_ROWS rows over the clean image (t = 0), released before returning.
// Images are RgbImage in [0, 1]; boxes are [x1, y1, x2, y2] in [0, 1] of the image side (x right, y down).
import * as tf from '../backend/tf';
import { encode } from '../world/tokenizer';
import { COLORS, SHAPES, SIZES, TEXTURES, type Color, type RgbImage, type Shape, type Size, type Texture } from '../world/types';
import { modelDims } from './config';
import { rowProbabilities, understandingLogits } from './heads';
import { REGION_FIELDS, type QueryKind, type RegionField, type UnifiedModel } from './params';
import { patchify } from './patches';
export { predictPlan } from './plan';

/** Rows per forward pass (bounds memory for long lists of boxes or texts). */
const MAX_ROWS = 64;

export type Box = readonly [number, number, number, number];

/** What the model sees inside one box. 'none' = no object of that kind (background, or a distorted shape). */
export interface RegionIdentity {
  shape: Shape | 'none';
  color: Color | 'none';
  texture: Texture | 'none';
  size: Size | 'none';
  /** P(the box holds a distorted object). */
  distorted: number;
  /** Softmax over each field's classes (the attribute lists of world/types.ts, then 'none'; distorted: [no, yes]). */
  probabilities: Record<RegionField, Float32Array>;
}

/** The count head's answer for one description. */
export interface CountDistribution {
  /** P(count = n) for n = 0..4. */
  probabilities: Float32Array;
  /** argmax_n P(n). */
  mostLikely: number;
  /** sum_n n P(n). */
  expected: number;
}

interface QueryRows {
  kind: QueryKind;
  /** Per row: text (PAD for region rows) and box (zeros for text rows). */
  texts?: readonly string[];
  boxes?: readonly Box[];
  rows: number;
}

/** Runs one kind of query over an image, MAX_ROWS rows at a time; returns per-row softmax of the wanted head(s). */
function runQueries(model: UnifiedModel, image: RgbImage, query: QueryRows): Record<string, Float32Array>[] {
  const { config } = model;
  const { imageTokens, patchDim } = modelDims(config);
  const tokens = patchify([image], config); // [1, Np, patchDim]
  const out: Record<string, Float32Array>[] = [];
  for (let start = 0; start < query.rows; start += MAX_ROWS) {
    const rows = Math.min(MAX_ROWS, query.rows - start);
    const textTokens = new Int32Array(rows * config.maxTextTokens);
    const boxes = new Float32Array(rows * 4);
    for (let r = 0; r < rows; r++) {
      const text = query.texts?.[start + r];
      if (text !== undefined) textTokens.set(encode(text, config.maxTextTokens), r * config.maxTextTokens);
      const box = query.boxes?.[start + r];
      if (box !== undefined) boxes.set(box, r * 4);
    }
    const x0 = tf.tidy(() => tf.tile(tf.tensor3d(tokens, [1, imageTokens, patchDim]), [rows, 1, 1]) as tf.Tensor3D); // [R, Np, patchDim]
    const logits = understandingLogits(model, { x0, textTokens, kinds: new Array<QueryKind>(rows).fill(query.kind), boxes });
    x0.dispose();
    const heads: Record<string, tf.Tensor2D> = query.kind === 'region' ? logits.region : { [query.kind]: logits[query.kind] };
    const perHead = Object.fromEntries(Object.entries(heads).map(([name, t]) => [name, rowProbabilities(t)]));
    tf.dispose([...Object.values(logits.region), logits.verdict, logits.count]);
    for (let r = 0; r < rows; r++) out.push(Object.fromEntries(Object.entries(perHead).map(([name, p]) => [name, p[r]])));
  }
  return out;
}

/** Index of the largest value (the first on ties). */
export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

/** The class name of argmax(p), or 'none' for the last (extra) class. */
function named<T extends string>(names: readonly T[], p: Float32Array): T | 'none' {
  return names[argmax(p)] ?? 'none';
}

/** What object is inside each box: shape, colour, texture, size (or 'none'), and P(distorted). */
export function identifyRegions(model: UnifiedModel, image: RgbImage, boxes: readonly Box[]): RegionIdentity[] {
  return runQueries(model, image, { kind: 'region', boxes, rows: boxes.length }).map((row) => {
    const probabilities = Object.fromEntries(REGION_FIELDS.map((f) => [f, row[f]])) as Record<RegionField, Float32Array>;
    return {
      shape: named(SHAPES, row.shape),
      color: named(COLORS, row.color),
      texture: named(TEXTURES, row.texture),
      size: named(SIZES, row.size),
      distorted: row.distorted[1],
      probabilities,
    };
  });
}

/** P(yes): does the image satisfy each constraint text (one CompBench-style constraint per text)? */
export function verdicts(model: UnifiedModel, image: RgbImage, constraintTexts: readonly string[]): number[] {
  return runQueries(model, image, { kind: 'verdict', texts: constraintTexts, rows: constraintTexts.length }).map((row) => row.verdict[1]);
}

/** How many objects of the description ("a red circle") the image holds: a distribution over 0..4. */
export function countObjects(model: UnifiedModel, image: RgbImage, description: string): CountDistribution {
  const [row] = runQueries(model, image, { kind: 'count', texts: [description], rows: 1 });
  const probabilities = row.count;
  return { probabilities, mostLikely: argmax(probabilities), expected: probabilities.reduce((sum, p, n) => sum + n * p, 0) };
}
