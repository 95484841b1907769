// The PyTorch twin of bench/ (torch_reference.py) against lib/model on one generation training step over
// [text ; plan ; image]: velocity, loss, gradients and the trained parameter set; and its sampler against sampleTokens.
// Skipped without a torch python.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { PLAN_SLOTS } from '../lib/model/classes';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { disposeModel, initModel } from '../lib/model/params';
import { planTokens } from '../lib/model/plan';
import { runBackbone } from '../lib/model/transformer';
import { checkEquivalence } from '../bench/check-equivalence';
import { BASE_ARCHITECTURE_ON_TINY, checkSampling, DEFAULT_SAMPLING_CHECK } from '../bench/check-sampling';
import { findPython } from '../bench/torch-runner';
import { benchImages, type SampleBench } from '../bench/sample-throughput';
import { SamplingComparison } from '../bench/sample-comparison';
import { COMPBENCH_CATEGORIES } from '../lib/world/types';
import { protocolImages, DEFAULT_PROTOCOL } from '../lib/eval/protocol';
import { forwardMatmulFlops, generationSeqLen, generationStepBatch, trainingStepFlops } from '../bench/workload';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

describe('bench workload', () => {
  it('counts the tokens the backbone really reads in a generation step (text, plan, image)', () => {
    const config = resolveModelConfig('tiny');
    const model = initModel(config, 1);
    const batch = generationStepBatch(model, 2, 1);
    const { imageTokens, patchDim } = modelDims(config);
    const length = tf.tidy(() => {
      const extra = planTokens(model, 2, { plan: batch.plan, thinking: batch.thinking });
      const image = { xt: tf.tensor3d(batch.x0, [2, imageTokens, patchDim]), t: tf.tensor1d([0.3, 0.7]) };
      return runBackbone(model, { textTokens: batch.textTokens, extra, image }).shape[1];
    });
    disposeModel(model);
    expect(generationSeqLen(config)).toBe(length);
    expect(forwardMatmulFlops(config)).toBeGreaterThan(0);
    // The conv stem and refine add the 3x3 convolutions over every pixel and the wider patch embedding.
    const conv = resolveModelConfig('tiny', { convChannels: 4 });
    const pixels = conv.imageSize * conv.imageSize;
    const convOnly = 2 * pixels * 9 * (3 * 4 + 6 * 4 + 4 * 3) + 2 * modelDims(conv).imageTokens * 16 * 4 * conv.dModel;
    expect(forwardMatmulFlops(conv) - forwardMatmulFlops(config)).toBe(convOnly);
    // A deeper refine: two more 4->4 kernels.
    const deep = resolveModelConfig('tiny', { convChannels: 4, refineLayers: 3 });
    expect(forwardMatmulFlops(deep) - forwardMatmulFlops(conv)).toBe(2 * pixels * 9 * (2 * 4 * 4));
    expect(trainingStepFlops(deep)).toBe(3 * forwardMatmulFlops(deep));
  });

  it('builds a pretraining generation batch with plans and seeded thinking flags', () => {
    const model = initModel(resolveModelConfig('tiny'), 0);
    const a = generationStepBatch(model, 8, 3);
    const b = generationStepBatch(model, 8, 3);
    disposeModel(model);
    expect(a.thinking).toEqual(b.thinking);
    expect(a.plan?.length).toBe(8 * PLAN_SLOTS * 7);
    expect(a.thinking?.every((v) => v === 0 || v === 1)).toBe(true);
  });
});

describe('bench sampling', () => {
  it('draws its images from every category of the val protocol, with their protocol noise keys', () => {
    const images = benchImages(64);
    const val = new Map(protocolImages({ ...DEFAULT_PROTOCOL, split: 'val' }).map((image) => [image.noiseKey, image.prompt]));
    expect(images).toHaveLength(64);
    expect(new Set(images.map((image) => image.category))).toEqual(new Set(COMPBENCH_CATEGORIES));
    expect(images.every((image) => val.get(image.noiseKey) === image.prompt)).toBe(true);
    expect(new Set(images.map((image) => image.noiseKey)).size).toBe(64);
  });

  it('reports the same sampling fields, all null, with --no-sample', () => {
    const fake = { images: benchImages(8), batchSize: 4, workers: 2, settings: {}, planPredictionShare: () => 0 };
    const bench = fake as unknown as SampleBench;
    const fields = new SamplingComparison(bench, { torch: false, log: () => undefined }).fields(undefined);
    const skipped = SamplingComparison.skipped();
    expect(Object.keys(skipped).sort()).toEqual(Object.keys(fields).sort());
    expect(Object.values(skipped).every((value) => value === null)).toBe(true);
  });
});

describe.skipIf(findPython() === undefined)('PyTorch twin', () => {
  it.each([
    { mixtureOfTransformers: false, textCausal: false },
    { mixtureOfTransformers: true, textCausal: true },
    { mixtureOfTransformers: false, textCausal: false, convChannels: 4, cleanPrediction: true },
    // The plan over the image tokens and, on a fine grid, per pixel into a two-layer refine (the check crowds a thinking row's boxes).
    { mixtureOfTransformers: false, textCausal: false, convChannels: 4, planMap: true, planGrid: 16, planCanvas: true, refineLayers: 2 },
  ])(
    'matches flowTrainStep with plan tokens (%o)',
    (flags) => {
      const before = tf.memory().numTensors;
      const report = checkEquivalence({ preset: 'tiny', ...flags });
      expect(tf.memory().numTensors).toBe(before);
      expect(report.failures).toEqual([]);
      expect(report.max_abs_diff).toBeLessThan(1e-4);
      expect(report.trained_sets_equal).toBe(true);
      // The understanding heads and plan-prediction weights are not trained by a generation step.
      expect(report.params_trained_by_generation_step).toBeLessThan(report.params_total);
      expect(report.params_torch).toBe(report.params_trained_by_generation_step);
    },
    60_000,
  );
});

describe.skipIf(findPython() === undefined)('PyTorch sampler twin', () => {
  const plain = { preset: 'tiny' as const, mixtureOfTransformers: false, textCausal: false };
  it.each([
    { name: 'Euler, guided at every step, given plans', architecture: plain },
    { name: 'Euler, null plan (normal mode)', architecture: plain, withPlan: false },
    // Heun's second velocity at t' and steps outside the guidance interval (conditional rows only), on the shipped
    // model's architecture (conv stem and refine, x-prediction, plan map and canvas) at tiny dims.
    {
      name: 'Heun, guidance interval [0.4, 1], base architecture',
      architecture: BASE_ARCHITECTURE_ON_TINY,
      solver: 'heun' as const,
      steps: 4,
      guidanceInterval: [0.4, 1] as [number, number],
    },
  ])(
    'draws the images sampleTokens draws: $name',
    ({ name: _name, ...overrides }) => {
      const before = tf.memory().numTensors;
      const report = checkSampling({ ...DEFAULT_SAMPLING_CHECK, ...overrides });
      expect(tf.memory().numTensors).toBe(before);
      expect(report.failures).toEqual([]);
      expect(report.max_abs_diff).toBeLessThan(1e-4);
      expect(report.max_abs_tokens).toBeGreaterThan(0.5); // the tokens moved away from zero: something was compared
    },
    60_000,
  );
});
