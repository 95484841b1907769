// Experiment: where does each reader draw its lines between shapes and between textures? One object per image,
// drawn part of the way from one class to another, read by the independent evaluator and by the model's judge
// (proposer + region head, as in promptVerdict), beside the world's own rule of nearness. Nothing is generated
// and nothing trained: it measures the two readers' definitions on objects between the world's classes, which is
// where the generator's soft drawings fall (docs/model-notes.md, "Where the judge and the evaluator part").
//   shape:    a square drawn as the superellipse |dx/r|^n + |dy/r|^n <= 1 (n = 2 the circle, large n the square;
//             geometry.ts); share read as a circle; nearer = pixel IoU with the ideal circle above the ideal square.
//   contrast: a striped object whose stripes darken by c times the world's shade (the plain and the striped render
//             mixed c : 1 - c, which is exactly that); share read as striped or checkered; nearer = c > 1/2.
//   blend:    the striped and the checkered render mixed 1 - b : b; share read as checkered; nearer = b > 1/2.
// Objects in colours where neither a circle nor a square is a held-out pair (those are read by what the model
// generalises, another question), sharp and after a radius-1 box blur, noise sigma 0.02.
// Regenerate: npx ts-node --transpile-only scripts/experiments/reader-boundaries.ts [--axis shape|contrast|blend] [--checkpoint data/base] [--per 32] [--seed 3]
//   [--blur 0,1] [--json figures/results/reader-boundaries.json]; the figure: scripts/figures/reader-boundaries.ts
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { detectObjects } from '../../lib/eval/objects';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { disposeModel, type UnifiedModel } from '../../lib/model/params';
import { proposedObjects } from '../../lib/regions/objects';
import { makeRng, type Rng } from '../../lib/rng';
import { WORLD } from '../../lib/world/config';
import { maskIou, shapeMask } from '../../lib/world/geometry';
import { isHeldOut } from '../../lib/world/heldout';
import { corrupt, renderScene } from '../../lib/world/render';
import { COLORS, SIZES, type RgbImage, type SceneObject, type Size } from '../../lib/world/types';
import { writeJsonAtomic } from '../../lib/io';
import { nearestObject } from '../lib/nearest';
import { runScript } from '../lib/run-script';

type Axis = 'shape' | 'contrast' | 'blend';
const STEPS: Record<Axis, number[]> = {
  shape: [2, 2.5, 3, 3.5, 4, 5, 6, 8, 12],
  contrast: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1],
  blend: [0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1],
};
const WHAT: Record<Axis, string> = { shape: 'a circle', contrast: 'textured', blend: 'checkered' };

/** a x (1 - w) + b x w, pixel by pixel. */
function mix(a: RgbImage, b: RgbImage, w: number): RgbImage {
  return { ...a, data: a.data.map((v, i) => v * (1 - w) + b.data[i] * w) };
}

interface Reading {
  shape: string;
  texture: string;
}

/** The reading nearest (cx, cy), or none. */
function nearest(objects: readonly (Reading & { cx: number; cy: number; distorted?: boolean })[], cx: number, cy: number): Reading {
  const o = nearestObject(objects, cx, cy);
  if (o === undefined) return { shape: 'none', texture: 'none' };
  return { shape: o.distorted === true ? 'distorted' : o.shape, texture: o.texture };
}

/** Colours in which both a circle and a square were seen in training (file comment). */
const COLORS_SEEN = COLORS.filter((c) => !isHeldOut(c, 'circle') && !isHeldOut(c, 'square'));

/** One object between two classes at step `x` of the axis: its image, and whether the world calls it the second. */
function between(axis: Axis, x: number, sizeName: Size, rng: Rng): { image: RgbImage; nearer: boolean; cx: number; cy: number } {
  const side = WORLD.imageSize;
  const diameter = WORLD.diameters[sizeName];
  // The bounding-box corner on a whole pixel, as layouts place it (layout.ts).
  const cx = rng.int(2, side - diameter - 2) + diameter / 2;
  const cy = rng.int(2, side - diameter - 2) + diameter / 2;
  const base: SceneObject = {
    shape: axis === 'shape' ? 'square' : rng.next() < 0.5 ? 'circle' : 'square',
    color: COLORS_SEEN[rng.int(0, COLORS_SEEN.length - 1)],
    texture: 'plain',
    size: sizeName,
    cx,
    cy,
    diameter,
    depth: 0,
  };
  const render = (o: SceneObject): RgbImage => renderScene({ width: side, height: side, objects: [o] });
  if (axis === 'shape') {
    const drawn = shapeMask({ ...base, exponent: x }, side, side);
    const nearer = maskIou(drawn, shapeMask({ ...base, shape: 'circle' }, side, side)) > maskIou(drawn, shapeMask(base, side, side));
    return { image: render({ ...base, exponent: x }), nearer, cx, cy };
  }
  const [from, to] =
    axis === 'contrast'
      ? [render(base), render({ ...base, texture: 'striped' })]
      : [render({ ...base, texture: 'striped' }), render({ ...base, texture: 'checkered' })];
  return { image: mix(from, to, x), nearer: x > 0.5, cx, cy };
}

/** Does a reading put the object on the axis's second side (a circle, textured, checkered)? */
function secondSide(axis: Axis, reading: Reading): boolean {
  if (axis === 'shape') return reading.shape === 'circle';
  if (axis === 'contrast') return reading.texture === 'striped' || reading.texture === 'checkered';
  return reading.texture === 'checkered';
}

/** Share of each reader putting an object on the axis's second side, at one step of the axis, for one size. */
export interface BoundaryPoint {
  x: number;
  evaluator: number;
  judge: number;
  nearer: number;
}
/** axis -> blur radius -> size -> points along the axis. */
export type Boundaries = Record<string, Record<string, Record<string, BoundaryPoint[]>>>;

function measure(axis: Axis, model: UnifiedModel, per: number, seed: number, blur: number): Record<string, BoundaryPoint[]> {
  const bySize: Record<string, BoundaryPoint[]> = {};
  for (const sizeName of SIZES) {
    bySize[sizeName] = STEPS[axis].map((x) => {
      const rng = makeRng(seed).fork(`${axis}:${sizeName}:${x}`);
      const tally = { evaluator: 0, judge: 0, nearer: 0 };
      for (let k = 0; k < per; k++) {
        const object = between(axis, x, sizeName, rng);
        const image = corrupt(object.image, { blur, noise: 0.02 }, rng);
        tally.nearer += +object.nearer;
        tally.evaluator += +secondSide(axis, nearest(detectObjects(image).objects, object.cx, object.cy));
        tally.judge += +secondSide(axis, nearest(proposedObjects(model, image), object.cx, object.cy));
      }
      return { x, evaluator: tally.evaluator / per, judge: tally.judge / per, nearer: tally.nearer / per };
    });
  }
  return bySize;
}

function printTable(axis: Axis, blur: number, per: number, bySize: Record<string, BoundaryPoint[]>): void {
  console.log(
    `${axis} axis, blur radius ${blur}, noise sigma 0.02, ${per} objects per cell; share read as ${WHAT[axis]} (evaluator / judge / the world's nearer class)`,
  );
  console.log(`${axis.padEnd(9)}${SIZES.map((s) => s.padEnd(22)).join('')}`);
  STEPS[axis].forEach((x, k) => {
    const cells = SIZES.map((s) => bySize[s][k]).map((p) =>
      `${p.evaluator.toFixed(2)} / ${p.judge.toFixed(2)} / ${p.nearer.toFixed(2)}`.padEnd(22),
    );
    console.log(`${String(x).padEnd(9)}${cells.join('')}`);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      axis: { type: 'string' },
      checkpoint: { type: 'string', default: 'data/base' },
      per: { type: 'string', default: '32' },
      seed: { type: 'string', default: '3' },
      blur: { type: 'string', default: '0,1' },
      json: { type: 'string' },
    },
    strict: true,
  });
  const axes = values.axis === undefined ? (Object.keys(STEPS) as Axis[]) : [values.axis as Axis];
  if (!axes.every((a) => a in STEPS)) throw new Error(`--axis must be one of ${Object.keys(STEPS).join(', ')}`);
  const [per, seed] = [Number(values.per), Number(values.seed)];
  const blurs = values.blur.split(',').map(Number);
  if (!(Number.isInteger(per) && per > 0) || !Number.isInteger(seed) || !blurs.every((b) => b === 0 || b === 1))
    throw new Error('--per must be a positive integer, --seed an integer, --blur a list of 0 and 1');
  await initBackend({ quiet: true });
  const { model } = loadCheckpoint(values.checkpoint);
  const results: Boundaries = {};
  try {
    for (const axis of axes) {
      results[axis] = {};
      for (const blur of blurs) {
        results[axis][blur] = measure(axis, model, per, seed, blur);
        printTable(axis, blur, per, results[axis][blur]);
      }
    }
  } finally {
    disposeModel(model);
  }
  if (values.json !== undefined) {
    const command = `npx ts-node --transpile-only scripts/experiments/reader-boundaries.ts ${process.argv.slice(2).join(' ')}`;
    writeJsonAtomic(values.json, { checkpoint: values.checkpoint, per, seed, noise: 0.02, command, what: WHAT, results });
    console.log(`wrote ${values.json}`);
  }
}

runScript(main);
