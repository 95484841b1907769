// The unified model (tiny preset): config rules, patch layout, shapes, flow formulas, hand-written
// gradients against autodiff, and a 20-step training loop that must leak nothing and be reproducible.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { randomNormal } from '../lib/backend/random';
import { initBackend } from '../lib/backend/select';
import { modelDims, resolveModelConfig, type ModelConfig } from '../lib/model/config';
import { DEFAULT_FLOW_CONFIG, dropText, flowLoss, flowSquaredError, samplingTimesteps, shiftTimestep } from '../lib/model/flow';
import { attentionCore } from '../lib/model/attention';
import { dense, gelu, layerNorm } from '../lib/model/layers';
import { AdamW } from '../lib/model/optimizer';
import { disposeModel, initModel, namedVariables, parameterCount, type UnifiedModel } from '../lib/model/params';
import { patchify, unpatchify } from '../lib/model/patches';
import { flowTrainStep } from '../lib/model/train-step';
import { predictVelocity } from '../lib/model/transformer';
import { sampleTokens } from '../lib/generate/sampler';
import { makeRng } from '../lib/rng';
import { syntheticBatch } from '../bench/workload';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

const tiny = (overrides: Record<string, unknown> = {}): ModelConfig => resolveModelConfig('tiny', overrides);

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function trainSteps(model: UnifiedModel, steps: number, seed: number): number[] {
  const optimizer = new AdamW(
    namedVariables(model.params).map((n) => n.variable),
    { learningRate: 1e-3 },
  );
  const rng = makeRng(seed);
  const batch = syntheticBatch(model.config, 4, rng.fork('data'));
  return Array.from({ length: steps }, () => flowTrainStep({ model, optimizer, batch, rng, flow: DEFAULT_FLOW_CONFIG }).loss);
}

describe('model config', () => {
  it('presets override the defaults and unknown or mistyped options are errors', () => {
    expect(tiny().dModel).toBe(32);
    expect(resolveModelConfig('base').nLayers).toBe(6);
    expect(tiny({ nLayers: 3 }).nLayers).toBe(3);
    expect(() => tiny({ dmodel: 64 })).toThrow(/unknown model option 'dmodel'/);
    expect(() => tiny({ nLayers: '3' })).toThrow(/must be a number/);
    expect(() => tiny({ nHeads: 5 })).toThrow(/divisible/);
  });
});

describe('patches', () => {
  it('patchify maps [0, 1] to [-1, 1] in the documented token layout and unpatchify inverts it', () => {
    const config = tiny();
    const { imageTokens, patchDim, gridSize } = modelDims(config);
    const size = config.imageSize;
    const data = Float32Array.from({ length: size * size * 3 }, (_, i) => (i % 97) / 96);
    const tokens = patchify([{ width: size, height: size, data }], config);
    expect(tokens.length).toBe(imageTokens * patchDim);
    // pixel (y, x) = (5, 9), channel 2 -> token (1, 2), inner (1, 1)
    const token = 1 * gridSize + 2;
    const inner = (1 * config.patchSize + 1) * 3 + 2;
    expect(tokens[token * patchDim + inner]).toBeCloseTo(2 * data[(5 * size + 9) * 3 + 2] - 1, 6);
    const [back] = unpatchify(tokens, config);
    expect(maxAbsArray(back.data, data)).toBeLessThan(1e-6);
  });
});

function maxAbsArray(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

describe('transformer', () => {
  it.each([
    ['plain', {}],
    ['mixture-of-transformers', { mixtureOfTransformers: true }],
    ['text-causal', { textCausal: true }],
  ])('predicts a velocity of shape [B, Np, patchDim] (%s)', (_, overrides) => {
    const config = tiny(overrides);
    const model = initModel(config, 1);
    const { imageTokens, patchDim } = modelDims(config);
    const batch = syntheticBatch(config, 3, makeRng(2));
    const v = tf.tidy(() =>
      predictVelocity(model, {
        xt: tf.tensor3d(batch.x0, [3, imageTokens, patchDim]),
        t: tf.tensor1d([0.1, 0.5, 0.9]),
        textTokens: batch.textTokens,
      }),
    );
    expect(v.shape).toEqual([3, imageTokens, patchDim]);
    expect(Number.isFinite(tf.sum(v).dataSync()[0])).toBe(true);
    v.dispose();
    disposeModel(model);
  });

  it('the prompt steers the image tokens, and PAD text positions are invisible to them', () => {
    const config = tiny({ initStd: 0.3 }); // large weights so a prompt's effect is far above rounding
    const model = initModel(config, 4);
    model.params.head.w.assign(randomNormal(model.params.head.w.shape, makeRng(6))); // the zero-initialised head would hide everything
    const { imageTokens, patchDim } = modelDims(config);
    const xt = randomNormal([1, imageTokens, patchDim], makeRng(8)) as tf.Tensor3D;
    const prompt = (ids: number[]): Int32Array => Int32Array.from({ length: config.maxTextTokens }, (_, i) => ids[i] ?? 0);
    const run = (ids: number[]): tf.Tensor => predictVelocity(model, { xt, t: tf.tensor1d([0.5]), textTokens: prompt(ids) });
    const base = run([3, 5, 7]);
    expect(maxAbsDiff(base, run([3, 5, 8]))).toBeGreaterThan(1e-3);
    // Changing the learned position of a PAD slot (index 10) must not change the output; a used slot (index 1) must.
    const textPos = model.params.textPos;
    const original = textPos.clone();
    const direction = randomNormal([1, config.dModel], makeRng(9)); // not constant: LayerNorm removes a constant shift
    const bump = (row: number): void =>
      textPos.assign(tf.add(original, tf.oneHot([row], config.maxTextTokens).reshape([-1, 1]).mul(direction)));
    bump(10);
    expect(maxAbsDiff(base, run([3, 5, 7]))).toBe(0);
    bump(1);
    expect(maxAbsDiff(base, run([3, 5, 7]))).toBeGreaterThan(1e-3);
    disposeModel(model);
  });

  it("counts the parameters of the base preset (about 1.44M), which is the shipped checkpoint's architecture but for the region pixel reader of its last stage", () => {
    const model = initModel(resolveModelConfig('base'), 0);
    expect(parameterCount(model.params)).toBeGreaterThan(1.4e6);
    expect(parameterCount(model.params)).toBeLessThan(1.47e6);
    disposeModel(model);
    const shipped = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'data', 'base', 'manifest.json'), 'utf8')) as {
      model_config: Record<string, unknown>;
    };
    expect(resolveModelConfig('base', { regionCropChannels: 16 })).toEqual(resolveModelConfig('base', shipped.model_config));
  });
});

describe('hand-written gradients equal autodiff of the plain formulas', () => {
  const rng = makeRng(7);
  it('dense', () => {
    const x = randomNormal([2, 5, 6], rng);
    const params = { w: tf.variable(randomNormal([6, 4], rng)), b: tf.variable(randomNormal([4], rng)) };
    const upstream = randomNormal([2, 5, 4], rng);
    const fast = tf.grads((xi, w, b) => tf.sum(tf.mul(dense(xi, { w: w as tf.Variable, b: b as tf.Variable }), upstream)))([
      x,
      params.w,
      params.b,
    ]);
    const plain = tf.grads((xi, w, b) => tf.sum(tf.mul(tf.add(tf.matMul(xi.reshape([-1, 6]), w).reshape([2, 5, 4]), b), upstream)))([
      x,
      params.w,
      params.b,
    ]);
    fast.forEach((g, i) => expect(maxAbsDiff(g, plain[i])).toBeLessThan(1e-4));
  });
  it('gelu', () => {
    const x = randomNormal([4, 7], rng, { std: 3 });
    const upstream = randomNormal([4, 7], rng);
    const [fast] = tf.grads((xi) => tf.sum(tf.mul(gelu(xi), upstream)))([x]);
    const [plain] = tf.grads((xi) => tf.sum(tf.mul(tf.mul(xi, tf.sigmoid(tf.mul(xi, 1.702))), upstream)))([x]);
    expect(maxAbsDiff(gelu(x), tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))))).toBeLessThan(1e-6);
    expect(maxAbsDiff(fast, plain)).toBeLessThan(1e-4);
  });
  it('layerNorm', () => {
    const x = randomNormal([3, 8], rng, { mean: 1, std: 2 });
    const gain = randomNormal([8], rng);
    const bias = randomNormal([8], rng);
    const upstream = randomNormal([3, 8], rng);
    const fast = tf.grads((xi, g, b) => tf.sum(tf.mul(layerNorm(xi, { gain: g as tf.Variable, bias: b as tf.Variable }, 1e-5), upstream)))([
      x,
      gain,
      bias,
    ]);
    const plain = tf.grads((xi, g, b) => {
      const { mean, variance } = tf.moments(xi, -1, true);
      return tf.sum(tf.mul(tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b), upstream));
    })([x, gain, bias]);
    fast.forEach((g, i) => expect(maxAbsDiff(g, plain[i])).toBeLessThan(1e-4));
  });
  it('attention core (wasm batched matmul included)', () => {
    const [heads, batch, seqLen, headDim] = [2, 3, 5, 4];
    const q = randomNormal([heads * batch, seqLen, headDim], rng) as tf.Tensor3D;
    const k = randomNormal([heads * batch, seqLen, headDim], rng) as tf.Tensor3D;
    const v = randomNormal([heads * batch, seqLen, headDim], rng) as tf.Tensor3D;
    const bias = tf.tensor4d(
      Float32Array.from({ length: batch * seqLen }, (_, i) => (i % 4 === 1 ? -1e9 : 0)),
      [1, batch, 1, seqLen],
    );
    const upstream = randomNormal([heads * batch, seqLen, headDim], rng);
    const plainCore = (qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor): tf.Tensor => {
      const logits = tf.add(tf.matMul(qi as tf.Tensor3D, ki as tf.Tensor3D, false, true).reshape([heads, batch, seqLen, seqLen]), bias);
      return tf.matMul(tf.softmax(logits).reshape([heads * batch, seqLen, seqLen]) as tf.Tensor3D, vi as tf.Tensor3D);
    };
    expect(maxAbsDiff(attentionCore(q, k, v, bias), plainCore(q, k, v))).toBeLessThan(1e-5);
    const fast = tf.grads((qi, ki, vi) =>
      tf.sum(tf.mul(attentionCore(qi as tf.Tensor3D, ki as tf.Tensor3D, vi as tf.Tensor3D, bias), upstream)),
    )([q, k, v]);
    const plain = tf.grads((qi, ki, vi) => tf.sum(tf.mul(plainCore(qi, ki, vi), upstream)))([q, k, v]);
    fast.forEach((g, i) => expect(maxAbsDiff(g, plain[i])).toBeLessThan(1e-4));
  });
});

describe('rectified flow', () => {
  it('the timestep shift fixes 0 and 1, is the identity for s = 1, and pushes t towards noise for s > 1', () => {
    expect(shiftTimestep(0, 4)).toBe(0);
    expect(shiftTimestep(1, 4)).toBe(1);
    expect(shiftTimestep(0.3, 1)).toBeCloseTo(0.3, 12);
    expect(shiftTimestep(0.5, 3)).toBeCloseTo(0.75, 12); // 3 * 0.5 / (1 + 2 * 0.5)
    expect(shiftTimestep(0.2, 4)).toBeCloseTo(0.8 / 1.6, 12);
    const times = samplingTimesteps(10, 4);
    expect(times[0]).toBe(1);
    expect(times[10]).toBe(0);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeLessThan(times[i - 1]);
  });

  it('the loss is exactly zero when the prediction equals eps - x0, and weights scale per-token errors', () => {
    const rng = makeRng(3);
    const x0 = randomNormal([2, 4, 6], rng) as tf.Tensor3D;
    const eps = randomNormal([2, 4, 6], rng) as tf.Tensor3D;
    const exact = tf.sub(eps, x0) as tf.Tensor3D;
    expect(flowLoss({ vTheta: exact, x0, eps }).dataSync()[0]).toBe(0);
    const off = tf.add(exact, 0.5) as tf.Tensor3D; // error 0.25 on every value
    expect(flowLoss({ vTheta: off, x0, eps }).dataSync()[0]).toBeCloseTo(0.25, 6);
    expect(Array.from(flowSquaredError({ vTheta: off, x0, eps }).dataSync())).toEqual(new Array(8).fill(0.25));
    const weight = tf.tensor3d([1, 0, 0, 0, 2, 2, 2, 2], [2, 2, 2]); // [B, Hp, Wp]
    expect(flowLoss({ vTheta: off, x0, eps, weight }).dataSync()[0]).toBeCloseTo((0.25 * 9) / 8, 6);
    expect(() => flowLoss({ vTheta: off, x0, eps, weight: tf.ones([2, 3]) })).toThrow(/does not cover/);
  });

  it('text dropout replaces whole prompts by PAD with the given probability', () => {
    const tokens = Int32Array.from({ length: 40 }, (_, i) => 1 + (i % 7));
    expect(Array.from(dropText(tokens, 10, 0, makeRng(1)))).toEqual(Array.from(tokens));
    expect(dropText(tokens, 10, 1, makeRng(1)).every((id) => id === 0)).toBe(true);
    const half = dropText(tokens, 10, 0.5, makeRng(1));
    for (let b = 0; b < 10; b++) {
      const row = half.subarray(4 * b, 4 * b + 4);
      expect(row.every((id) => id === 0) || row.every((id, i) => id === tokens[4 * b + i])).toBe(true);
    }
  });
});

describe('training', () => {
  it('20 AdamW steps leak no tensors, change the weights and lower the loss', () => {
    const model = initModel(tiny(), 5);
    const before = namedVariables(model.params).map(({ variable }) => variable.dataSync().slice());
    trainSteps(model, 1, 9); // warm-up step: kernels and optimizer state
    const tensors = tf.memory().numTensors;
    const losses = trainSteps(model, 20, 11);
    expect(tf.memory().numTensors).toBe(tensors);
    losses.forEach((loss) => expect(Number.isFinite(loss)).toBe(true));
    const changed = namedVariables(model.params).filter(
      ({ variable }, i) => maxAbsArray(variable.dataSync() as Float32Array, before[i] as Float32Array) > 0,
    );
    // A plain flow step (no plan tokens) reaches every weight but the understanding / think-mode / parse ones.
    const flowReached = namedVariables(model.params).filter(({ name }) => !/^(extraPos|understanding\.|think\.|patchParse\.)/.test(name));
    expect(changed.map((c) => c.name)).toEqual(flowReached.map((c) => c.name));
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)));
    disposeModel(model);
  });

  it('a zero reward map gives a zero loss and leaves every weight unchanged', () => {
    const model = initModel(tiny(), 6);
    const optimizer = new AdamW(
      namedVariables(model.params).map((n) => n.variable),
      { learningRate: 1e-2 },
    );
    const batch = syntheticBatch(model.config, 2, makeRng(7));
    const weight = new Float32Array(2 * modelDims(model.config).imageTokens); // R = 0 everywhere
    const before = namedVariables(model.params).map(({ variable }) => variable.dataSync().slice());
    const result = flowTrainStep({ model, optimizer, batch: { ...batch, weight }, rng: makeRng(8), flow: DEFAULT_FLOW_CONFIG });
    expect(result.loss).toBe(0);
    expect(result.perSampleLoss.every((loss) => loss > 0)).toBe(true); // the unweighted error is still reported
    namedVariables(model.params).forEach(({ variable }, i) =>
      expect(maxAbsArray(variable.dataSync() as Float32Array, before[i] as Float32Array)).toBe(0),
    );
    disposeModel(model);
  });

  it('the same seed gives the same losses', () => {
    const run = (): number[] => {
      const model = initModel(tiny(), 21);
      const losses = trainSteps(model, 3, 22);
      disposeModel(model);
      return losses;
    };
    expect(run()).toEqual(run());
  });

  it('the Euler sampler returns finite tokens and leaks nothing', () => {
    const model = initModel(tiny(), 3);
    const config = model.config;
    const { imageTokens, patchDim } = modelDims(config);
    const textTokens = syntheticBatch(config, 2, makeRng(4)).textTokens;
    const tensors = tf.memory().numTensors;
    const seen: number[] = [];
    const tokens = sampleTokens({
      model,
      textTokens,
      steps: 3,
      guidanceScale: 4,
      timestepShift: 1,
      rng: makeRng(5),
      onStep: ({ t }) => seen.push(t),
    });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tokens.length).toBe(2 * imageTokens * patchDim);
    expect(tokens.every(Number.isFinite)).toBe(true);
    expect(seen).toEqual([1, 2 / 3, 1 / 3].map((t) => Math.fround(t)));
    disposeModel(model);
  });
});
