// Scene parse: the model lists the objects it sees. [all-PAD text ; clean image (t = 0)] goes through the shared
// backbone and a head reads every image token: which object covers this patch (shape, colour, texture, size, or
// none), whether it is distorted, its depth rank, and where its centre is (x and y in 2-px bins). Patches that
// agree on an object and its centre are grouped into one parsed object (groupPatches).
// Why per patch: every patch of every image is a label, so the head learns from far fewer images than a yes/no
// verdict (one bit per image) or a slot list (which must first learn to find "the k-th object"); a prompt is then
// checked against the parsed objects with the world's rules (parseVerdicts).
import * as tf from '../backend/tf';
import { WORLD } from '../world/config';
import { holds } from '../world/semantics';
import { COLORS, SHAPES, SIZES, TEXTURES, type Constraint, type RgbImage, type Scene, type SceneObject } from '../world/types';
import { PARSE_BINS, PARSE_CLASSES, PARSE_FIELDS, type ParseField } from './classes';
import { modelDims } from './config';
import { dense, layerNorm } from './layers';
import type { UnifiedModel } from './params';
import { patchify } from './patches';
import { runBackbone } from './transformer';
import { argmax, identifyRegions, type Box } from './understand';

/** Per-field parse logits of every image token, each [B, Np, classes], for clean image tokens x0 [B, Np, patchDim]. */
export function parseLogits(model: UnifiedModel, x0: tf.Tensor3D): Record<ParseField, tf.Tensor3D> {
  const { config, params } = model;
  const batch = x0.shape[0];
  const { imageTokens, patchDim } = modelDims(config);
  if (x0.shape[1] !== imageTokens || x0.shape[2] !== patchDim)
    throw new Error(`x0: expected [B, ${imageTokens}, ${patchDim}], got [${x0.shape}]`);
  return tf.tidy(() => {
    const textTokens = new Int32Array(batch * config.maxTextTokens); // all PAD: the parse reads the image alone
    const x = runBackbone(model, { textTokens, image: { xt: x0, t: tf.zeros([batch]) as tf.Tensor1D } }); // [B, T, D]
    const image = tf.slice(x, [0, config.maxTextTokens, 0], [-1, -1, -1]); // [B, Np, D]
    const all = dense(layerNorm(image, params.patchParse.norm, config.layerNormEps), params.patchParse.head); // [B, Np, sum of classes]
    const parts = tf.split(
      all,
      PARSE_FIELDS.map((f) => PARSE_CLASSES[f]),
      2,
    ) as tf.Tensor3D[];
    return Object.fromEntries(PARSE_FIELDS.map((field, i) => [field, parts[i]])) as Record<ParseField, tf.Tensor3D>;
  });
}

/** One parsed object: the scene-object fields the world's rules read, and how sure the model is of them. */
export interface ParsedObject extends Pick<
  SceneObject,
  'shape' | 'color' | 'texture' | 'size' | 'cx' | 'cy' | 'diameter' | 'depth' | 'distorted'
> {
  /** Pixels it covers as seen: its patches' pixels for the parse, its mask's for proposer regions. */
  area: number;
  /** The box of its patches [x1, y1, x2, y2] in pixels. */
  box: [number, number, number, number];
  /** Mean over its patches of the smallest probability among the predicted field values (its weakest belief). */
  confidence: number;
}

/** Centre of an x / y bin in pixels of a side-`size` image. */
export const binCentre = (bin: number, size: number): number => ((bin + 0.5) * size) / PARSE_BINS;

/** What one patch says: argmax per field, the class probabilities and its weakest belief. */
export interface PatchReading {
  /** Patch index, row-major over the gridSize x gridSize patches. */
  patch: number;
  picks: number[];
  probabilities: Float32Array[];
  confidence: number;
}

/** Patches whose predicted centres lie within this many pixels (and that agree on shape and colour) are one object. */
const GROUP_RADIUS = 3;

/**
 * How patches become objects. 'centres': patches that agree on shape and colour and predict centres within
 * GROUP_RADIUS px are one object, centred at the mean predicted centre. 'components': 4-connected patches of one
 * colour are one object, its shape and the rest voted over its patches, centred at the mean of its patches' centres
 * (needs no centre prediction, and interior patches, which cannot tell a shape, are outvoted by its edges; an
 * occluded object's centre leans towards its visible part, and touching objects of one colour merge).
 */
export const GROUPING_MODES = ['centres', 'components'] as const;
export type GroupingMode = (typeof GROUPING_MODES)[number];

type Group = { members: PatchReading[]; cx: number; cy: number };

/** Group the patches that see an object into parsed objects (field values by summed probabilities). */
export function groupPatches(readings: readonly PatchReading[], size: number, mode: GroupingMode = 'centres'): ParsedObject[] {
  const grid = Math.round(Math.sqrt(readings.length));
  const groups = mode === 'centres' ? groupByCentres(readings, size) : groupByComponents(readings, size, grid);
  return groups.map((group) => toObject(group, size, grid));
}

const SHAPE_FIELD = PARSE_FIELDS.indexOf('shape');
const COLOR_FIELD = PARSE_FIELDS.indexOf('color');
const sameObject = (a: PatchReading, b: PatchReading): boolean =>
  a.picks[SHAPE_FIELD] === b.picks[SHAPE_FIELD] && a.picks[COLOR_FIELD] === b.picks[COLOR_FIELD];
const sameColour = (a: PatchReading, b: PatchReading): boolean => a.picks[COLOR_FIELD] === b.picks[COLOR_FIELD];
// A patch sees an object when its colour is not 'none' (colour is the field the head learns first and best).
const seesObject = (r: PatchReading): boolean => r.picks[COLOR_FIELD] < COLORS.length;

function groupByCentres(readings: readonly PatchReading[], size: number): Group[] {
  const [xField, yField] = [PARSE_FIELDS.indexOf('x'), PARSE_FIELDS.indexOf('y')];
  const groups: Group[] = [];
  for (const reading of readings.filter(seesObject).sort((a, b) => b.confidence - a.confidence)) {
    const cx = binCentre(reading.picks[xField], size);
    const cy = binCentre(reading.picks[yField], size);
    const group = groups.find((g) => Math.hypot(g.cx - cx, g.cy - cy) <= GROUP_RADIUS && sameObject(g.members[0], reading));
    if (group === undefined) groups.push({ members: [reading], cx, cy });
    else {
      group.members.push(reading);
      group.cx += (cx - group.cx) / group.members.length;
      group.cy += (cy - group.cy) / group.members.length;
    }
  }
  return groups;
}

function groupByComponents(readings: readonly PatchReading[], size: number, grid: number): Group[] {
  const byPatch = new Map(readings.filter(seesObject).map((r) => [r.patch, r]));
  const seen = new Set<number>();
  const cell = size / grid;
  const groups: Group[] = [];
  for (const start of byPatch.values()) {
    if (seen.has(start.patch)) continue;
    const members: PatchReading[] = [];
    const stack = [start];
    seen.add(start.patch);
    while (stack.length > 0) {
      const r = stack.pop() as PatchReading;
      members.push(r);
      const [col, row] = [r.patch % grid, Math.floor(r.patch / grid)];
      for (const [dc, dr] of [
        [1, 0],
        [-1, 0],
        [0, 1],
        [0, -1],
      ]) {
        const [c, w] = [col + dc, row + dr];
        const next = c >= 0 && c < grid && w >= 0 && w < grid ? byPatch.get(w * grid + c) : undefined;
        if (next !== undefined && !seen.has(next.patch) && sameColour(next, start)) {
          seen.add(next.patch);
          stack.push(next);
        }
      }
    }
    const mean = (f: (r: PatchReading) => number): number => members.reduce((sum, r) => sum + f(r), 0) / members.length;
    groups.push({ members, cx: mean((r) => ((r.patch % grid) + 0.5) * cell), cy: mean((r) => (Math.floor(r.patch / grid) + 0.5) * cell) });
  }
  return groups;
}

function toObject({ members, cx, cy }: Group, size: number, grid: number): ParsedObject {
  const cell = size / grid;
  const cols = members.map((m) => m.patch % grid);
  const rows = members.map((m) => Math.floor(m.patch / grid));
  const box: ParsedObject['box'] = [
    Math.min(...cols) * cell,
    Math.min(...rows) * cell,
    (Math.max(...cols) + 1) * cell,
    (Math.max(...rows) + 1) * cell,
  ];
  const vote = (members: readonly PatchReading[], field: ParseField, classes: number): number => {
    const f = PARSE_FIELDS.indexOf(field);
    const sums = new Float64Array(classes);
    for (const m of members) for (let c = 0; c < classes; c++) sums[c] += m.probabilities[f][c];
    return argmax(sums);
  };
  const sizeName = SIZES[Math.min(SIZES.length - 1, vote(members, 'size', SIZES.length))];
  return {
    shape: SHAPES[vote(members, 'shape', SHAPES.length)],
    color: COLORS[vote(members, 'color', COLORS.length)],
    texture: TEXTURES[vote(members, 'texture', TEXTURES.length)],
    size: sizeName,
    cx,
    cy,
    diameter: WORLD.diameters[sizeName] * (size / WORLD.imageSize),
    depth: vote(members, 'depthRank', PARSE_CLASSES.depthRank),
    distorted: vote(members, 'distorted', 2) === 1,
    area: members.length * cell * cell,
    box,
    confidence: members.reduce((sum, m) => sum + m.confidence, 0) / members.length,
  };
}

/**
 * Where an object's shape, texture, size and distortion come from. 'patches': voted over its patches (an interior
 * patch cannot tell a shape). 'region': the region head asked about the object's patch box (it reads the whole box,
 * and learned shape earlier and better than the per-patch head); colour, position and depth stay the parse's.
 */
export const ATTRIBUTE_SOURCES = ['patches', 'region'] as const;
export type AttributeSource = (typeof ATTRIBUTE_SOURCES)[number];

function refineWithRegions(model: UnifiedModel, image: RgbImage, objects: ParsedObject[]): ParsedObject[] {
  if (objects.length === 0) return objects;
  const side = model.config.imageSize;
  const unitBoxes = objects.map(({ box: [x1, y1, x2, y2] }): Box => [x1 / side, y1 / side, x2 / side, y2 / side]);
  const identities = identifyRegions(model, image, unitBoxes);
  return objects.map((object, i) => {
    const id = identities[i];
    const sure = Math.max(...id.probabilities.shape);
    return {
      ...object,
      shape: id.shape === 'none' ? object.shape : id.shape,
      texture: id.texture === 'none' ? object.texture : id.texture,
      size: id.size === 'none' ? object.size : id.size,
      diameter: id.size === 'none' ? object.diameter : WORLD.diameters[id.size] * (side / WORLD.imageSize),
      distorted: id.distorted > 0.5,
      confidence: Math.min(object.confidence, sure),
    };
  });
}

/** How patches become objects and where their attributes come from. */
export interface ParseOptions {
  grouping: GroupingMode;
  attributes: AttributeSource;
}

/** What every patch of each image says (one batched forward pass). */
export function readPatches(model: UnifiedModel, images: readonly RgbImage[]): PatchReading[][] {
  if (images.length === 0) return [];
  const { imageTokens, patchDim } = modelDims(model.config);
  const probabilities = tf.tidy(() => {
    const logits = parseLogits(model, tf.tensor3d(patchify(images, model.config), [images.length, imageTokens, patchDim]));
    return PARSE_FIELDS.map((field) => tf.softmax(logits[field]).dataSync() as Float32Array);
  });
  return images.map((_, b) => {
    const readings: PatchReading[] = [];
    for (let p = 0; p < imageTokens; p++) {
      const row = b * imageTokens + p;
      const perField = PARSE_FIELDS.map((field, f) =>
        probabilities[f].subarray(row * PARSE_CLASSES[field], (row + 1) * PARSE_CLASSES[field]),
      );
      const picks = perField.map(argmax);
      readings.push({ patch: p, picks, probabilities: perField, confidence: Math.min(...perField.map((q, f) => q[picks[f]])) });
    }
    return readings;
  });
}

/** The objects the model sees in each image. */
export function parseScenes(model: UnifiedModel, images: readonly RgbImage[], options: ParseOptions): ParsedObject[][] {
  const { grouping, attributes } = options;
  return readPatches(model, images).map((readings, b) => {
    const objects = groupPatches(readings, model.config.imageSize, grouping);
    return attributes === 'region' ? refineWithRegions(model, images[b], objects) : objects;
  });
}

/** The parsed objects as a world scene (the world's rules read scenes). */
export function parsedScene(objects: readonly ParsedObject[], size: number): Scene {
  return { width: size, height: size, objects: objects.map(({ area: _a, box: _b, confidence: _c, ...object }) => object) };
}

/**
 * P(yes) per constraint from a parse: the world's rule (lib/world/semantics holds) on the parsed scene decides yes or
 * no, and the parse's weakest object belief sets how sure: 0.5 +- 0.5 * min confidence.
 */
export function parseVerdicts(objects: readonly ParsedObject[], constraints: readonly Constraint[], size: number): number[] {
  const scene = parsedScene(objects, size);
  const sure = objects.length === 0 ? 1 : Math.min(...objects.map((o) => o.confidence));
  return constraints.map((c) => (holds(c, scene) ? 0.5 + 0.5 * sure : 0.5 - 0.5 * sure));
}
