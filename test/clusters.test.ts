// Cluster activations (paper Fig. 5, Algorithm 1), tiny preset: recording the MLP units changes no output, the
// per-sample activation is the mean over the positions a sample reads, no tensor leaks, the same numbers for the same
// seed, planted selective units are found, and the seeds of an arm are summarised.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { randomNormal } from '../lib/backend/random';
import { initBackend } from '../lib/backend/select';
import { armGroups } from '../lib/eval/compare';
import { recordForward, recordTaskActivations, unitCount, type TaskActivations } from '../lib/eval/activations';
import {
  computeClusters,
  measureClusterStrengths,
  selectClusters,
  summariseSeeds,
  unitsPerLayer,
  type ClusterStrengths,
} from '../lib/eval/clusters';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { understandingLogits } from '../lib/model/heads';
import { mlpObserver, observingMlp } from '../lib/model/mlp-observer';
import { initModel, QUERY_KINDS, type UnifiedModel } from '../lib/model/params';
import { planConditioning } from '../lib/model/plan';
import { predictVelocity } from '../lib/model/transformer';
import { makeRng } from '../lib/rng';
import { generationBatch } from '../lib/train/data';
import { clusterActivationChart } from '../lib/plot/clusters';

let model: UnifiedModel;
beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  model = initModel(resolveModelConfig('tiny', { mixtureOfTransformers: true }), 3); // both weight sets of a block
});

const data = { n: 6, seed: 5, split: 'val' as const, batchSize: 4 };

/** The velocity and understanding outputs of one fixed input, as plain arrays. */
function outputs(m: UnifiedModel): Float32Array[] {
  const { imageTokens, patchDim } = modelDims(m.config);
  const batch = generationBatch(0, { batchSize: 2, seed: 1, config: m.config, split: 'val' });
  return tf.tidy(() => {
    const xt = randomNormal([2, imageTokens, patchDim], makeRng(2)) as tf.Tensor3D;
    const plan = planConditioning(m, 2, { plan: batch.plan, thinking: new Uint8Array([1, 0]) });
    const v = predictVelocity(m, { xt, t: tf.tensor1d([0.3, 0.8]), textTokens: batch.textTokens, ...plan });
    const boxes = new Float32Array([0.1, 0.1, 0.5, 0.5, 0, 0, 0, 0]);
    const u = understandingLogits(m, { x0: xt, textTokens: batch.textTokens, kinds: ['region', 'verdict'], boxes });
    return [v, u.verdict, u.count, ...Object.values(u.region)].map((t) => (t.dataSync() as Float32Array).slice());
  });
}

describe('recording MLP activations', () => {
  it('leaves every output bit-identical and restores the observer', () => {
    const off = outputs(model);
    let recorded: Float32Array | undefined;
    const on = (): Float32Array[] => {
      let out: Float32Array[] = [];
      recorded = recordForward(model, () => (out = outputs(model)));
      return out;
    };
    const during = on();
    expect(during).toEqual(off);
    expect(recorded!.length).toBe(2 * unitCount(model.config)); // the last forward's rows (understanding: 2 rows)
    expect(mlpObserver()).toBeUndefined();
    expect(() =>
      observingMlp(
        () => undefined,
        () => {
          throw new Error('boom');
        },
      ),
    ).toThrow('boom');
    expect(mlpObserver()).toBeUndefined();
  });

  it('averages a unit over the positions a sample reads, PAD text left out', () => {
    const { config } = model;
    const { mlpDim } = modelDims(config);
    const textTokens = new Int32Array(2 * config.maxTextTokens);
    textTokens.set([7, 9], 0); // row 0: two words, then PAD; row 1: all PAD
    const length = config.maxTextTokens + 3; // text, then 3 more positions
    const hidden = new Float32Array(2 * length * mlpDim);
    for (let b = 0; b < 2; b++)
      for (let p = 0; p < length; p++) hidden.fill(p + 100 * b, (b * length + p) * mlpDim, (b * length + p + 1) * mlpDim);
    const rows = recordForward(model, () =>
      tf.tidy(() =>
        mlpObserver()!({ layer: 1, weights: 'textMlp', hidden: tf.tensor3d(hidden, [2, length, mlpDim]), firstToken: 0, textTokens }),
      ),
    );
    const units = unitCount(config);
    const offset = (1 * 2 + 1) * mlpDim; // layer 1, text-side weights
    const last = config.maxTextTokens; // the 3 positions after the text: last, last + 1, last + 2
    expect(rows[offset]).toBeCloseTo((0 + 1 + last + last + 1 + last + 2) / 5, 5);
    expect(rows[units + offset + mlpDim - 1]).toBeCloseTo(100 + last + 1, 5);
    expect(rows[0]).toBe(0); // a weight set the forward did not run stays 0
  });

  it('records both tasks deterministically, without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const first = recordTaskActivations(model, 'understanding', data);
    const generation = recordTaskActivations(model, 'generation', data);
    expect(tf.memory().numTensors).toBe(before);
    expect(first.values.length).toBe(data.n * QUERY_KINDS.length * unitCount(model.config));
    expect(first.imageIds.length).toBe(data.n * QUERY_KINDS.length);
    expect(new Set(first.imageIds).size).toBe(data.n);
    expect(generation.imageIds).toEqual(Array.from({ length: data.n }, (_, i) => `generation:val:5:${i}`));
    expect(recordTaskActivations(model, 'understanding', data).values).toEqual(first.values);
    expect(recordTaskActivations(model, 'generation', data).values).toEqual(generation.values);
    expect(first.values.some((v) => v !== 0)).toBe(true);
  });

  it('selects and measures clusters without leaking tensors, the same for the same seed', () => {
    const before = tf.memory().numTensors;
    const clusters = computeClusters(model, { ...data, split: 'train' }, 0.05);
    const strengths = measureClusterStrengths(model, clusters, data);
    expect(tf.memory().numTensors).toBe(before);
    expect(computeClusters(model, { ...data, split: 'train' }, 0.05)).toEqual(clusters);
    expect(clusters.understanding.units.length).toBe(Math.round(0.05 * unitCount(model.config)));
    expect(clusters.understanding.units.filter((u) => clusters.generation.units.includes(u))).toEqual([]);
    expect(unitsPerLayer(model.config, clusters.generation).reduce((a, b) => a + b, 0)).toBe(clusters.generation.units.length);
    for (const task of ['understanding_task', 'generation_task'] as const) {
      for (const cluster of ['understanding', 'generation'] as const) {
        expect(Number.isFinite(strengths.mean[task][cluster])).toBe(true);
        expect(strengths.se[task][cluster]).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

describe('cluster selection and summaries', () => {
  /** n samples of `units` units, noise from rng, unit `planted` raised by `shift`. */
  function synthetic(task: 'understanding' | 'generation', n: number, shifts: Record<number, number>): TaskActivations {
    const units = 40;
    const rng = makeRng(task === 'understanding' ? 1 : 2);
    const values = Float32Array.from({ length: n * units }, (_, k) => rng.normal() + (shifts[k % units] ?? 0));
    return { task, units, values, imageIds: Array.from({ length: n }, (_, s) => String(s)) };
  }

  it('finds planted understanding- and generation-selective units', () => {
    const clusters = selectClusters(
      synthetic('understanding', 200, { 3: 2, 7: 1.5 }),
      synthetic('generation', 200, { 11: 2, 30: 1.5 }),
      0.05,
    );
    expect(clusters.understanding.units).toEqual([3, 7]);
    expect(clusters.generation.units).toEqual([11, 30]);
    expect(clusters.understanding.t[0]).toBeGreaterThan(clusters.understanding.t[1]);
    expect(() => selectClusters(synthetic('understanding', 2, {}), synthetic('generation', 2, {}), 0.6)).toThrow(/fraction/);
  });

  const cell = (x: number): ClusterStrengths['mean'] => ({
    understanding_task: { understanding: x, generation: 1 },
    generation_task: { understanding: 2, generation: x },
  });
  /** A base and two seeds of srum. */
  const arms: Record<string, ClusterStrengths> = {
    base: { mean: cell(1), se: cell(0.1) },
    'srum@0': { mean: cell(2), se: cell(0.3) },
    'srum@1': { mean: cell(4), se: cell(0.4) },
  };

  it('averages the seeds of an arm and reports their spread', () => {
    const summary = summariseSeeds(arms, armGroups(Object.keys(arms)));
    expect(Object.keys(summary)).toEqual(['base', 'srum']);
    expect(summary.base.sd_over_seeds).toBeUndefined();
    expect(summary.srum.understanding_task.understanding).toBe(3);
    expect(summary.srum.sd_over_seeds!.understanding_task.understanding).toBeCloseTo(Math.SQRT2, 10);
    expect(summary.srum.sampling_se.generation_task.generation).toBeCloseTo(Math.sqrt((0.09 + 0.16) / 2), 10);
    expect(summary.srum.per_seed!['srum@1'].generation_task.generation).toBe(4);
  });
  it('draws one bar per model and cell, with the sd over seeds as error bars where an arm has seeds', () => {
    const models = summariseSeeds(arms, armGroups(Object.keys(arms)));
    const figure = clusterActivationChart({
      clusters: { understanding: { size: 3, per_layer: [3] }, generation: { size: 3, per_layer: [3] } },
      models,
    });
    expect(figure.data.map((trace) => trace.name)).toEqual(['base (± 1 SE over images)', 'SRUM (mean ± sd over 2 seeds)']);
    expect(figure.data[1].y).toEqual([3, 1, 2, 3]);
    expect((figure.data[1].error_y as { array: number[] }).array[0]).toBeCloseTo(Math.SQRT2, 10);
    expect((figure.data[0].error_y as { array: number[] }).array).toEqual([0.1, 1, 2, 0.1]);
  });
});
