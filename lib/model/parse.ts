// Scene parse: the model lists the objects it sees. [all-PAD text ; PARSE_SLOTS slot queries ; clean image (t = 0)]
// goes through the shared backbone and a head reads each slot query's final hidden state as one object (or none):
// present, shape, colour, texture, size, x and y bins, depth rank and distorted (classes.ts PARSE_FIELDS).
// Slot k holds the k-th object from the left (lib/train/parse.ts slotOrder). Why this head: every
// image supervises every object and attribute at once, so it learns from far fewer images than a yes/no verdict,
// and a prompt is then checked against the parsed objects with the world's rules (parseVerdicts below).
import * as tf from '../backend/tf';
import { WORLD } from '../world/config';
import { holds } from '../world/semantics';
import { COLORS, SHAPES, SIZES, TEXTURES, type Constraint, type RgbImage, type Scene, type SceneObject } from '../world/types';
import { PARSE_BINS, PARSE_CLASSES, PARSE_FIELDS, PARSE_SLOTS, type ParseField } from './classes';
import { modelDims } from './config';
import { dense, layerNorm } from './layers';
import type { UnifiedModel } from './params';
import { patchify } from './patches';
import { runBackbone } from './transformer';

/** Per-field parse logits, each [B, PARSE_SLOTS, classes], for clean image tokens x0 [B, Np, patchDim]. */
export function parseLogits(model: UnifiedModel, x0: tf.Tensor3D): Record<ParseField, tf.Tensor3D> {
  const { config, params } = model;
  const batch = x0.shape[0];
  const { imageTokens, patchDim } = modelDims(config);
  if (x0.shape[1] !== imageTokens || x0.shape[2] !== patchDim) throw new Error(`x0: expected [B, ${imageTokens}, ${patchDim}], got [${x0.shape}]`);
  return tf.tidy(() => {
    const queries = tf.mul(tf.ones([batch, 1, 1]), params.parse.queries) as tf.Tensor3D; // [B, S, D]
    const textTokens = new Int32Array(batch * config.maxTextTokens); // all PAD: the parse reads the image alone
    const x = runBackbone(model, { textTokens, extra: queries, image: { xt: x0, t: tf.zeros([batch]) as tf.Tensor1D } }); // [B, T, D]
    const slots = tf.slice(x, [0, config.maxTextTokens, 0], [-1, PARSE_SLOTS, -1]); // [B, S, D]
    const all = dense(layerNorm(slots, params.parse.norm, config.layerNormEps), params.parse.head); // [B, S, sum of classes]
    const parts = tf.split(all, PARSE_FIELDS.map((f) => PARSE_CLASSES[f]), 2) as tf.Tensor3D[];
    return Object.fromEntries(PARSE_FIELDS.map((field, i) => [field, parts[i]])) as Record<ParseField, tf.Tensor3D>;
  });
}

/** One parsed object: the scene-object fields the world's rules read, and how sure the model is of them. */
export interface ParsedObject extends Pick<SceneObject, 'shape' | 'color' | 'texture' | 'size' | 'cx' | 'cy' | 'diameter' | 'depth' | 'distorted'> {
  /** P(present) of the slot. */
  present: number;
  /** The smallest probability among the object's predicted field values (its weakest belief). */
  confidence: number;
}

/** Centre of an x / y bin in pixels of a side-`size` image. */
export const binCentre = (bin: number, size: number): number => ((bin + 0.5) * size) / PARSE_BINS;

/** The objects the model sees in each image (slots with P(present) > 0.5), argmax of every field. */
export function parseScenes(model: UnifiedModel, images: readonly RgbImage[]): ParsedObject[][] {
  if (images.length === 0) return [];
  const size = model.config.imageSize;
  const probabilities = tf.tidy(() => {
    const { imageTokens, patchDim } = modelDims(model.config);
    const logits = parseLogits(model, tf.tensor3d(patchify(images, model.config), [images.length, imageTokens, patchDim]));
    return PARSE_FIELDS.map((field) => tf.softmax(logits[field]).dataSync() as Float32Array);
  });
  const values = (f: number, slot: number): Float32Array => {
    const width = PARSE_CLASSES[PARSE_FIELDS[f]];
    return probabilities[f].subarray(slot * width, (slot + 1) * width);
  };
  const best = (p: Float32Array): number => p.reduce((arg, v, i) => (v > p[arg] ? i : arg), 0);
  return images.map((_, b) => {
    const objects: ParsedObject[] = [];
    for (let s = 0; s < PARSE_SLOTS; s++) {
      const slot = b * PARSE_SLOTS + s;
      const present = values(0, slot)[1];
      if (present <= 0.5) continue;
      const picks = PARSE_FIELDS.map((_, f) => best(values(f, slot)));
      const confidence = Math.min(...PARSE_FIELDS.map((_, f) => values(f, slot)[picks[f]]));
      const [, shape, color, texture, sizeClass, x, y, depthRank, distorted] = picks;
      const sizeName = SIZES[sizeClass];
      objects.push({
        shape: SHAPES[shape], color: COLORS[color], texture: TEXTURES[texture], size: sizeName,
        cx: binCentre(x, size), cy: binCentre(y, size), diameter: WORLD.diameters[sizeName] * (size / WORLD.imageSize),
        depth: depthRank, distorted: distorted === 1, present, confidence,
      });
    }
    return objects;
  });
}

/** The parsed objects as a world scene (the world's rules read scenes). */
export function parsedScene(objects: readonly ParsedObject[], size: number): Scene {
  return { width: size, height: size, objects: objects.map(({ present: _p, confidence: _c, ...object }) => object) };
}

/**
 * P(yes) per constraint from the parse: the world's rule (lib/world/semantics holds) on the parsed scene decides
 * yes or no, and the parse's weakest belief sets how sure: 0.5 +- 0.5 * min confidence of the parsed objects.
 */
export function parseVerdicts(model: UnifiedModel, image: RgbImage, constraints: readonly Constraint[]): number[] {
  const [objects] = parseScenes(model, [image]);
  const scene = parsedScene(objects, model.config.imageSize);
  const sure = objects.length === 0 ? 1 : Math.min(...objects.map((o) => o.confidence));
  return constraints.map((c) => (holds(c, scene) ? 0.5 + 0.5 * sure : 0.5 - 0.5 * sure));
}
