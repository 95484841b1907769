// Scene-parse targets and loss: every image patch learns the object that covers its centre pixel (the nearest to the
// viewer where objects overlap) with that object's attributes, depth rank and centre bins; a patch on background
// learns 'none' for the four attributes (and nothing for the rest). L_parse = sum over fields of the mean CE.
import * as tf from '../backend/tf';
import { PARSE_BINS, PARSE_CLASSES, PARSE_FIELDS, PARSE_MAX_OBJECTS } from '../model/classes';
import { modelDims, type ModelConfig } from '../model/config';
import { maskedCrossEntropy } from '../model/heads';
import { parseLogits } from '../model/parse';
import type { UnifiedModel } from '../model/params';
import { shapeContains } from '../world/geometry';
import { COLORS, SHAPES, SIZES, TEXTURES, type Scene } from '../world/types';
import type { HeadLoss } from './head-losses';
import { depthOrder, depthRanks } from './plan';

const bin = (v: number, size: number): number => Math.min(PARSE_BINS - 1, Math.max(0, Math.floor((v / size) * PARSE_BINS)));

/** Per field, the target class of every patch [Np] (-1 = no target), in PARSE_FIELDS order. */
export function parseTargets(scene: Scene, config: ModelConfig): Int32Array[] {
  if (scene.objects.length > PARSE_MAX_OBJECTS)
    throw new Error(`parseTargets: ${scene.objects.length} objects, the parse ranks at most ${PARSE_MAX_OBJECTS}`);
  const { gridSize, imageTokens } = modelDims(config);
  const farToNear = depthOrder(scene);
  const rank = depthRanks(scene);
  const out = PARSE_FIELDS.map(() => new Int32Array(imageTokens).fill(-1));
  const cell = scene.width / gridSize; // pixels per patch side in the scene's coordinates
  for (let p = 0; p < imageTokens; p++) {
    const x = ((p % gridSize) + 0.5) * cell;
    const y = (Math.floor(p / gridSize) + 0.5) * cell;
    // Nearest object covering the patch centre: later in depth order wins.
    const covering = farToNear.filter((i) => shapeContains(scene.objects[i], x, y)).at(-1);
    if (covering === undefined) {
      [SHAPES.length, COLORS.length, TEXTURES.length, SIZES.length].forEach((none, f) => (out[f][p] = none));
      continue;
    }
    const o = scene.objects[covering];
    const values = [
      SHAPES.indexOf(o.shape),
      COLORS.indexOf(o.color),
      TEXTURES.indexOf(o.texture),
      SIZES.indexOf(o.size),
      bin(o.cx, scene.width),
      bin(o.cy, scene.height),
      rank[covering],
      o.distorted === true ? 1 : 0,
    ];
    values.forEach((v, f) => (out[f][p] = v));
  }
  return out;
}

/** L_parse on clean image tokens x0 [B, Np, patchDim] of these scenes. Call it inside a tidy or a gradient step. */
export function parseLoss(model: UnifiedModel, x0: tf.Tensor3D, scenes: readonly Scene[]): HeadLoss {
  const { imageTokens } = modelDims(model.config);
  const logits = parseLogits(model, x0);
  const perScene = scenes.map((scene) => parseTargets(scene, model.config));
  const parts: Record<string, tf.Scalar> = {};
  PARSE_FIELDS.forEach((field, f) => {
    const targets = new Int32Array(scenes.length * imageTokens);
    perScene.forEach((t, b) => targets.set(t[f], b * imageTokens));
    parts[`parse_${field}`] = maskedCrossEntropy(logits[field].reshape([-1, PARSE_CLASSES[field]]) as tf.Tensor2D, targets);
  });
  return { total: tf.addN(Object.values(parts)) as tf.Scalar, parts };
}
