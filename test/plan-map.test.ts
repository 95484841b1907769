// Spatial plan conditioning (planMap): each present slot reaches the image tokens around its cell, only rows that
// think get a map, an untrained map changes nothing, training moves it without leaks, sampling with it leaks
// nothing, and a later stage may switch it on over a checkpoint without it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { loadWeightsByName, saveCheckpoint } from '../lib/model/checkpoint';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { initModel } from '../lib/model/params';
import { planMap, planTokens } from '../lib/model/plan';
import { predictVelocity } from '../lib/model/transformer';
import { sampleTokens } from '../lib/generate/sampler';
import { makeRng } from '../lib/rng';
import { PLAN_FIELDS, PLAN_SLOTS } from '../lib/model/classes';
import { generationStepBatch } from '../bench/workload';
import { expectTrainsWithoutLeak } from './helpers/train-loop';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

const withMap = () => resolveModelConfig('tiny', { planMap: true });

/** A plan of one row: slot 0 present (a medium object in `cell`), the others absent. */
function onePlan(cell: number): Int32Array {
  const plan = new Int32Array(PLAN_SLOTS * PLAN_FIELDS.length).fill(-1);
  plan.set([1, 0, 0, 0, 1, cell, 0]);
  for (let s = 1; s < PLAN_SLOTS; s++) plan[s * PLAN_FIELDS.length] = 0;
  return plan;
}

describe('spatial plan conditioning (planMap)', () => {
  it('spreads a slot over the image tokens around its cell, and only for rows that think', () => {
    const model = initModel(withMap(), 1);
    const d = model.config.dModel;
    model.params.think.layoutMap!.assign(tf.eye(d)); // read the spread slot tokens directly
    const { gridSize, imageTokens } = modelDims(model.config);
    const plan = new Int32Array([...onePlan(0), ...onePlan(15)]); // top-left and bottom-right cells
    const slots = planTokens(model, 2, { plan });
    const map = planMap(model, slots, { plan, thinking: new Uint8Array([1, 0]) })!;
    expect(map.shape).toEqual([2, imageTokens, d]);
    const norms = tf.tidy(() => tf.norm(map, 'euclidean', 2).dataSync() as Float32Array); // [2 * Np]
    const slotNorm = tf.tidy(() => tf.norm(tf.slice(slots, [0, 0, 0], [1, 1, -1])).dataSync()[0]);
    const near = 0; // patch (0, 0): 2 px from the top-left cell's centre (4, 4) in both axes
    const far = imageTokens - 1; // patch at the opposite corner
    expect(norms[near]).toBeGreaterThan(0.8 * slotNorm);
    expect(norms[far]).toBeLessThan(1e-3 * slotNorm);
    expect(Math.max(...norms.slice(imageTokens))).toBe(0); // the row that does not think gets no map
    expect(gridSize).toBeGreaterThan(2);
    tf.dispose([slots, map]);
  });

  it('is undefined without the option or without a thinking row', () => {
    const plain = initModel(resolveModelConfig('tiny'), 1);
    const plan = onePlan(5);
    const slots = planTokens(plain, 1, { plan });
    expect(planMap(plain, slots, { plan })).toBeUndefined();
    const model = initModel(withMap(), 1);
    const mapped = planTokens(model, 1, { plan });
    expect(planMap(model, mapped, { plan, thinking: new Uint8Array([0]) })).toBeUndefined();
    tf.dispose([slots, mapped]);
  });

  it('untrained, it changes no velocity (zero map); other weights equal those of the same seed without it', () => {
    const plain = initModel(resolveModelConfig('tiny'), 3);
    const model = initModel(withMap(), 3);
    const batch = generationStepBatch(model, 2, 4);
    const { imageTokens, patchDim } = modelDims(model.config);
    const velocity = (m: typeof model) =>
      tf.tidy(() => {
        const extra = planTokens(m, 2, { plan: batch.plan });
        const xt = tf.tensor3d(batch.x0, [2, imageTokens, patchDim]);
        return predictVelocity(m, {
          xt,
          t: tf.fill([2], 0.5) as tf.Tensor1D,
          textTokens: batch.textTokens,
          extra,
          planMap: planMap(m, extra, { plan: batch.plan }),
        }).dataSync();
      });
    model.params.head.w.assign(tf.randomNormal(model.params.head.w.shape, 0, 0.1, 'float32', 7)); // a non-zero head in both
    plain.params.head.w.assign(model.params.head.w);
    expect(Array.from(velocity(model))).toEqual(Array.from(velocity(plain)));
  });

  it('trains (the loss falls, the map moves) and leaks nothing; sampling in think mode leaks nothing', () => {
    const model = initModel(withMap(), 2);
    const batch = { ...generationStepBatch(model, 4, 6), thinking: new Uint8Array([1, 1, 1, 0]) };
    expectTrainsWithoutLeak(model, batch);
    expect(Math.max(...Array.from(model.params.think.layoutMap!.dataSync(), Math.abs))).toBeGreaterThan(0);
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
  });

  it('a later stage may switch it on over a checkpoint without it (the reverse is a config mismatch)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-map-'));
    try {
      const plain = initModel(resolveModelConfig('tiny'), 5);
      saveCheckpoint(dir, {
        model: plain,
        step: 0,
        info: { preset: 'tiny', seed: 5, wall_time_s: 0, data: {}, final_losses: {}, command: 'test' },
      });
      const { fresh } = loadWeightsByName(initModel(withMap(), 6), dir);
      expect(fresh).toEqual(['think.layoutMap']);
      const mappedDir = join(dir, 'mapped');
      saveCheckpoint(mappedDir, {
        model: initModel(withMap(), 5),
        step: 0,
        info: { preset: 'tiny', seed: 5, wall_time_s: 0, data: {}, final_losses: {}, command: 'test' },
      });
      expect(() => loadWeightsByName(initModel(resolveModelConfig('tiny'), 6), mappedDir)).toThrow(/planMap/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
