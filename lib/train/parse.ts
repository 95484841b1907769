// Scene-parse targets and loss. The slots are unordered, so each image's objects are matched to slots by the
// assignment with the lowest total cross-entropy (DETR's set loss; with at most 4 objects and 4 slots every
// assignment is tried, 24 at most), and the loss is the CE of that assignment: matched slots learn their object's
// fields, the other slots learn present = 0.
import * as tf from '../backend/tf';
import { logSoftmax } from '../backend/ops';
import { PARSE_BINS, PARSE_CLASSES, PARSE_FIELDS, PARSE_SLOTS, type ParseField } from '../model/classes';
import { maskedCrossEntropy } from '../model/heads';
import { parseLogits } from '../model/parse';
import type { UnifiedModel } from '../model/params';
import { COLORS, SHAPES, SIZES, TEXTURES, type Scene } from '../world/types';
import type { HeadLoss } from './head-losses';

const FIELDS = PARSE_FIELDS.length;

const bin = (v: number, size: number): number => Math.min(PARSE_BINS - 1, Math.max(0, Math.floor((v / size) * PARSE_BINS)));

/** Each object's target classes in PARSE_FIELDS order, [objects, fields]. */
export function parseTargets(scene: Scene): Int32Array[] {
  if (scene.objects.length > PARSE_SLOTS) throw new Error(`parseTargets: ${scene.objects.length} objects, the parse has ${PARSE_SLOTS} slots`);
  const byDepth = scene.objects.map((o, i) => ({ depth: o.depth, i })).sort((a, b) => a.depth - b.depth || a.i - b.i);
  const rank = new Array<number>(scene.objects.length);
  byDepth.forEach(({ i }, r) => (rank[i] = r));
  return scene.objects.map((o, i) => Int32Array.from([
    1, SHAPES.indexOf(o.shape), COLORS.indexOf(o.color), TEXTURES.indexOf(o.texture), SIZES.indexOf(o.size),
    bin(o.cx, scene.width), bin(o.cy, scene.height), rank[i], o.distorted === true ? 1 : 0,
  ]));
}

/** Every way to put `objects` objects into distinct slots: arrays slot -> object index or -1. */
function assignments(objects: number): number[][] {
  const out: number[][] = [];
  const place = (object: number, slots: number[]): void => {
    if (object === objects) {
      out.push([...slots]);
      return;
    }
    for (let s = 0; s < PARSE_SLOTS; s++) {
      if (slots[s] !== -1) continue;
      slots[s] = object;
      place(object + 1, slots);
      slots[s] = -1;
    }
  };
  place(0, new Array<number>(PARSE_SLOTS).fill(-1));
  return out;
}
const ASSIGNMENTS = Array.from({ length: PARSE_SLOTS + 1 }, (_, n) => assignments(n));

/**
 * The lowest-cost assignment of one image's objects to its slots. logProbabilities[f] holds field f's log-probabilities
 * for this image's slots, [PARSE_SLOTS * classes]. Returns slot -> object index, -1 for an empty slot.
 */
export function matchSlots(logProbabilities: readonly Float32Array[], targets: readonly Int32Array[]): number[] {
  const lp = (f: number, slot: number, c: number): number => logProbabilities[f][slot * PARSE_CLASSES[PARSE_FIELDS[f]] + c];
  // cost[slot][object]: the CE of the slot predicting that object; empty[slot]: the CE of predicting "no object".
  const cost = Array.from({ length: PARSE_SLOTS }, (_, s) => targets.map((t) => -t.reduce((sum, c, f) => sum + lp(f, s, c), 0)));
  const empty = Array.from({ length: PARSE_SLOTS }, (_, s) => -lp(0, s, 0));
  let best: number[] = [];
  let bestCost = Infinity;
  for (const assignment of ASSIGNMENTS[targets.length]) {
    const total = assignment.reduce((sum, object, s) => sum + (object === -1 ? empty[s] : cost[s][object]), 0);
    if (total < bestCost) [best, bestCost] = [assignment, total];
  }
  return best;
}

/** L_parse = sum over fields of the CE of the matched assignment (mean over slots with a target). Call it inside a
 * tidy or a gradient step (gradientStep): the logits stay alive for the backward pass. */
export function parseLoss(model: UnifiedModel, x0: tf.Tensor3D, scenes: readonly Scene[]): HeadLoss {
  const logits = parseLogits(model, x0);
  const logProbabilities = PARSE_FIELDS.map((field) => tf.tidy(() => logSoftmax(logits[field].reshape([-1, PARSE_CLASSES[field]]) as tf.Tensor2D).dataSync() as Float32Array));
  const rows = scenes.length * PARSE_SLOTS;
  const targets = PARSE_FIELDS.map(() => new Int32Array(rows).fill(-1)); // per field, [B * S]
  scenes.forEach((scene, b) => {
    const objects = parseTargets(scene);
    const slice = (f: number): Float32Array => {
      const width = PARSE_CLASSES[PARSE_FIELDS[f]];
      return logProbabilities[f].subarray(b * PARSE_SLOTS * width, (b + 1) * PARSE_SLOTS * width);
    };
    const assignment = matchSlots(PARSE_FIELDS.map((_, f) => slice(f)), objects);
    assignment.forEach((object, s) => {
      const row = b * PARSE_SLOTS + s;
      if (object === -1) targets[0][row] = 0;
      else for (let f = 0; f < FIELDS; f++) targets[f][row] = objects[object][f];
    });
  });
  const parts: Record<string, tf.Scalar> = {};
  PARSE_FIELDS.forEach((field: ParseField, f) => {
    parts[`parse_${field}`] = maskedCrossEntropy(logits[field].reshape([-1, PARSE_CLASSES[field]]) as tf.Tensor2D, targets[f]);
  });
  return { total: tf.addN(Object.values(parts)) as tf.Scalar, parts };
}
