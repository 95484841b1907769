// The plan's box geometry at pixel level (planCanvas) on a fine plan grid (planGrid): the canvas marks the pixels of
// each present slot's box with its attributes and offsets, the front-most slot wins where boxes overlap, the config
// refuses a canvas it cannot feed, plan targets and plan tables follow the grid, and training and sampling with it
// leak nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { initModel } from '../lib/model/params';
import { planCanvas, planMap, planTokens } from '../lib/model/plan';
import { sampleTokens } from '../lib/generate/sampler';
import { countObjects, identifyRegions } from '../lib/model/understand';
import { makeRng } from '../lib/rng';
import { CANVAS_CHANNELS, PLAN_FIELDS, PLAN_SLOTS } from '../lib/model/classes';
import { planCell, planTargets, sceneOfPlan } from '../lib/train/plan';
import { sceneFor } from '../lib/world/layout';
import { parsePrompt } from '../lib/world/grammar';
import { WORLD } from '../lib/world/config';
import { generationStepBatch } from '../bench/workload';
import { expectTrainsWithoutLeak } from './helpers/train-loop';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

const GRID = 16;
const withCanvas = () => resolveModelConfig('tiny', { planMap: true, planCanvas: true, planGrid: GRID, convChannels: 4 });
const FIELDS = PLAN_FIELDS.length;

/** One row's plan: the given slots [shape, colour, texture, size, cell, depthRank] present, the rest absent. */
function planOf(slots: number[][]): Int32Array {
  const plan = new Int32Array(PLAN_SLOTS * FIELDS).fill(-1);
  for (let s = 0; s < PLAN_SLOTS; s++) plan[s * FIELDS] = 0;
  slots.forEach((fields, s) => plan.set([1, ...fields], s * FIELDS));
  return plan;
}

/** The canvas channels of pixel (x, y) of row 0, from token layout [B, Np, p*p*K]. */
function pixel(canvas: Float32Array, x: number, y: number, p: number, gridSize: number): number[] {
  const at = ((Math.floor(y / p) * gridSize + Math.floor(x / p)) * p * p + (y % p) * p + (x % p)) * CANVAS_CHANNELS;
  return Array.from(canvas.subarray(at, at + CANVAS_CHANNELS));
}

describe('plan canvas (planCanvas) on a fine plan grid (planGrid)', () => {
  it('marks a slot box with its one-hots, its offsets and the inside flag; nothing outside; the front-most slot wins', () => {
    const model = initModel(withCanvas(), 1);
    const { gridSize } = modelDims(model.config);
    const p = model.config.patchSize;
    const cell = planCell(10, 10, 32, 32, GRID); // centre (11, 11): 2 px cells
    const medium = WORLD.diameters.medium / 2;
    // A medium triangle (shape 2), colour 1, texture 0, at the back; a small circle in front whose box overlaps it.
    const plan = planOf([
      [2, 1, 0, 1, cell, 0],
      [0, 4, 2, 0, planCell(16, 10, 32, 32, GRID), 1],
    ]);
    const canvas = planCanvas(model, 1, { plan })!;
    expect(canvas.shape).toEqual([1, gridSize * gridSize, p * p * CANVAS_CHANNELS]);
    const data = canvas.dataSync() as Float32Array;
    const left = pixel(data, 7, 11, p, gridSize); // inside the triangle's box only, left of its centre (11, 11)
    expect(left.slice(0, 3)).toEqual([0, 0, 1]); // shape one-hot: triangle
    expect(left.slice(3, 9)).toEqual([0, 1, 0, 0, 0, 0]); // colour 1
    expect(left.slice(9, 12)).toEqual([1, 0, 0]); // texture 0
    expect(left.slice(12, 15)).toEqual([0, 1, 0]); // size 1 (medium)
    expect(left[15]).toBeCloseTo((7.5 - 11) / medium, 5); // dx in radii, negative on the left
    expect(left[16]).toBeCloseTo(0.5 / medium, 5);
    expect(left[17]).toBe(1);
    expect(pixel(data, 16, 10, p, gridSize).slice(0, 3)).toEqual([1, 0, 0]); // the overlap belongs to the front circle
    expect(pixel(data, 30, 30, p, gridSize).every((v) => v === 0)).toBe(true); // outside every box
    canvas.dispose();
  });

  it('is undefined without the option or without a thinking row, and the config refuses a canvas it cannot feed', () => {
    const plan = planOf([[0, 0, 0, 1, 5, 0]]);
    expect(planCanvas(initModel(resolveModelConfig('tiny', { planMap: true, convChannels: 4 }), 1), 1, { plan })).toBeUndefined();
    expect(planCanvas(initModel(withCanvas(), 1), 1, { plan, thinking: new Uint8Array([0]) })).toBeUndefined();
    expect(() => resolveModelConfig('tiny', { planCanvas: true, planMap: true })).toThrow(/planCanvas needs/); // no convolutions
    expect(() => resolveModelConfig('tiny', { planCanvas: true, convChannels: 4 })).toThrow(/planCanvas needs/); // no plan map
    expect(() => resolveModelConfig('tiny', { planGrid: 0 })).toThrow(/planGrid/);
  });

  it('plan targets and the plan tables follow the grid', () => {
    const model = initModel(withCanvas(), 1);
    expect(model.params.think.cell.shape).toEqual([GRID * GRID, model.config.dModel]);
    expect(planCell(31, 31, 32, 32, GRID)).toBe(GRID * GRID - 1);
    const scene = {
      width: 32,
      height: 32,
      objects: [{ shape: 'circle', color: 'red', texture: 'plain', size: 'small', cx: 5, cy: 27, diameter: 8, depth: 0 }],
    } as Parameters<typeof planTargets>[0];
    expect(planTargets(scene, GRID)[5]).toBe(13 * GRID + 2);
    expect(planTargets(scene)[5]).toBe(3 * 4 + 0); // the default grid
  });

  it('sceneOfPlan inverts planTargets up to the cell: same objects, centres within half a cell', () => {
    const scene = sceneFor(parsePrompt('a red circle on the left of a striped blue square'), makeRng(4));
    const back = sceneOfPlan(planTargets(scene, GRID), GRID);
    expect(back.objects.map((o) => [o.shape, o.color, o.texture, o.size])).toEqual(
      scene.objects.map((o) => [o.shape, o.color, o.texture, o.size]),
    );
    back.objects.forEach((o, i) => {
      expect(Math.abs(o.cx - scene.objects[i].cx)).toBeLessThanOrEqual(1);
      expect(Math.abs(o.cy - scene.objects[i].cy)).toBeLessThanOrEqual(1);
    });
    expect(planTargets(back, GRID)).toEqual(planTargets(scene, GRID));
    expect(() => sceneOfPlan(new Int32Array(3))).toThrow(/sceneOfPlan/);
  });

  it('trains (the offset map moves) and leaks nothing; sampling with a plan leaks nothing', () => {
    const model = initModel(withCanvas(), 2);
    const batch = { ...generationStepBatch(model, 4, 6), thinking: new Uint8Array([1, 1, 1, 0]) };
    expect(Math.max(...batch.plan!)).toBeLessThan(GRID * GRID); // the batch's plans are on the model's grid
    const stemBefore = model.params.conv!.stem.w.dataSync().slice();
    expectTrainsWithoutLeak(model, batch);
    expect(Math.max(...Array.from(model.params.think.offsetMap!.dataSync(), Math.abs))).toBeGreaterThan(0);
    expect(model.params.conv!.stem.w.dataSync()).not.toEqual(stemBefore);
    const before = tf.memory().numTensors;
    const images = sampleTokens({
      model,
      textTokens: batch.textTokens,
      plan: batch.plan,
      steps: 3,
      guidanceScale: 2,
      timestepShift: 1,
      rng: makeRng(1),
    });
    expect(images.every(Number.isFinite)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    const slots = planTokens(model, 4, { plan: batch.plan });
    const map = planMap(model, slots, { plan: batch.plan })!;
    expect(map.shape[2]).toBe(model.config.dModel);
    tf.dispose([slots, map]);
  });

  it('understands with no plan: the stem reads a zero canvas (an image to understand has none)', () => {
    const model = initModel(withCanvas(), 2);
    const size = model.config.imageSize;
    const image = { width: size, height: size, data: new Float32Array(size * size * 3).fill(0.4) };
    const before = tf.memory().numTensors;
    const regions = identifyRegions(model, image, [[2, 2, 12, 12]]);
    const count = countObjects(model, image, 'red circle');
    expect(regions).toHaveLength(1);
    expect(Array.from(count.probabilities).every(Number.isFinite)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});
