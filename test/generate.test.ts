// Text-to-image sampling through generateImages: the same seed and backend give the same images (normal and think
// mode), another seed gives others, a full default-length sampling run leaks no tensor, and unknown words are named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { DEFAULT_SAMPLING, generateImages } from '../lib/generate/generate';
import { resolveModelConfig } from '../lib/model/config';
import { disposeModel, initModel, type UnifiedModel } from '../lib/model/params';
import { unpatchify } from '../lib/model/patches';
import { predictPlan } from '../lib/model/plan';
import { sampleTokens } from '../lib/generate/sampler';
import { makeRng } from '../lib/rng';
import { modelDims } from '../lib/model/config';
import { encode } from '../lib/world/tokenizer';

const PROMPTS = ['a red circle on the left of a blue square', 'two green triangles'];
let model: UnifiedModel;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  model = initModel(resolveModelConfig('tiny'), 7);
});

const pixels = (images: { data: Float32Array | Uint8Array | number[] }[]): number[] => images.flatMap((image) => Array.from(image.data));

describe('generateImages', () => {
  it('the same seed gives the same images, in normal and think mode; another seed does not', () => {
    for (const think of [false, true]) {
      const a = generateImages(model, PROMPTS, { seed: 3, steps: 4, think });
      const b = generateImages(model, PROMPTS, { seed: 3, steps: 4, think });
      const c = generateImages(model, PROMPTS, { seed: 4, steps: 4, think });
      expect(pixels(a)).toEqual(pixels(b));
      expect(pixels(a)).not.toEqual(pixels(c));
    }
  });

  it(`a full sampling run (${DEFAULT_SAMPLING.steps} steps, guidance ${DEFAULT_SAMPLING.guidanceScale}) leaks no tensor`, () => {
    const before = tf.memory().numTensors;
    const images = generateImages(model, PROMPTS, { seed: 1, think: true });
    expect(images).toHaveLength(PROMPTS.length);
    expect(tf.memory().numTensors).toBe(before);
  });

  // A fresh model's head is zero, so its velocity ignores x_t and the prompt: these tests give it a random head.
  const withHead = (seed: number): UnifiedModel => {
    const m = initModel(resolveModelConfig('tiny'), seed);
    tf.tidy(() => m.params.head.w.assign(tf.randomNormal(m.params.head.w.shape, 0, 0.3, 'float32', seed)));
    return m;
  };

  it('heun: seeded, differs from Euler, one step is Euler (the last step has no correction), no leak', () => {
    const m = withHead(11);
    const euler = pixels(generateImages(m, PROMPTS, { seed: 3, steps: 4 }));
    const before = tf.memory().numTensors;
    const heun = pixels(generateImages(m, PROMPTS, { seed: 3, steps: 4, solver: 'heun' }));
    expect(tf.memory().numTensors).toBe(before);
    expect(pixels(generateImages(m, PROMPTS, { seed: 3, steps: 4, solver: 'heun' }))).toEqual(heun);
    expect(heun).not.toEqual(euler);
    expect(pixels(generateImages(m, PROMPTS, { seed: 3, steps: 1, solver: 'heun' }))).toEqual(
      pixels(generateImages(m, PROMPTS, { seed: 3, steps: 1 })),
    );
    disposeModel(m);
  });

  it('a guidance interval skips the unconditional pass outside it: [0, 1] is the default, a narrower one changes the images', () => {
    const m = withHead(12);
    const full = pixels(generateImages(m, PROMPTS, { seed: 3, steps: 4 }));
    expect(pixels(generateImages(m, PROMPTS, { seed: 3, steps: 4, guidanceInterval: [0, 1] }))).toEqual(full);
    expect(pixels(generateImages(m, PROMPTS, { seed: 3, steps: 4, guidanceInterval: [0.6, 1] }))).not.toEqual(full);
    disposeModel(m);
  });

  it('noise keys: an image depends on its key and the seed, not on its batch or its neighbours', () => {
    const keys = ['a#0', 'b#0', 'c#1'];
    const three = [...PROMPTS, PROMPTS[0]];
    const m = withHead(13);
    const together = generateImages(m, three, { seed: 3, steps: 3, noiseKeys: keys, batchSize: 3 });
    const alone = generateImages(m, [three[2]], { seed: 3, steps: 3, noiseKeys: [keys[2]], batchSize: 1 });
    const close = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    expect(close(together[2].data as Float32Array, alone[0].data as Float32Array)).toBeLessThan(1e-5);
    const otherKey = generateImages(m, [three[2]], { seed: 3, steps: 3, noiseKeys: ['c#2'], batchSize: 1 });
    const otherSeed = generateImages(m, [three[2]], { seed: 4, steps: 3, noiseKeys: [keys[2]], batchSize: 1 });
    expect(close(otherKey[0].data as Float32Array, alone[0].data as Float32Array)).toBeGreaterThan(1e-3);
    expect(close(otherSeed[0].data as Float32Array, alone[0].data as Float32Array)).toBeGreaterThan(1e-3);
    expect(() => generateImages(m, PROMPTS, { seed: 3, steps: 1, noiseKeys: ['x'] })).toThrow(/noise keys/);
    disposeModel(m);
  });

  it('stochasticity: eta = 0 is the Euler sampler; eta > 0 is seeded, differs from Euler, and leaks no tensor; eta outside [0, 1] is refused', () => {
    const euler = pixels(generateImages(model, PROMPTS, { seed: 3, steps: 4 }));
    expect(pixels(generateImages(model, PROMPTS, { seed: 3, steps: 4, stochasticity: 0 }))).toEqual(euler);
    const before = tf.memory().numTensors;
    const a = pixels(generateImages(model, PROMPTS, { seed: 3, steps: 4, stochasticity: 0.7 }));
    expect(tf.memory().numTensors).toBe(before);
    expect(pixels(generateImages(model, PROMPTS, { seed: 3, steps: 4, stochasticity: 0.7 }))).toEqual(a);
    expect(a).not.toEqual(euler);
    expect(() => generateImages(model, PROMPTS, { seed: 3, steps: 2, stochasticity: 1.5 })).toThrow(/stochasticity/);
  });

  it("given plans (one per prompt, sliced per batch) reproduce think mode when they are the model's own", () => {
    const text = new Int32Array(PROMPTS.length * model.config.maxTextTokens);
    PROMPTS.forEach((p, i) => text.set(encode(p, model.config.maxTextTokens), i * model.config.maxTextTokens));
    const plans = predictPlan(model, text);
    const thinking = generateImages(model, PROMPTS, { seed: 5, steps: 3, think: true, batchSize: 1 });
    const planned = generateImages(model, PROMPTS, { seed: 5, steps: 3, plans, batchSize: 1 });
    expect(pixels(planned)).toEqual(pixels(thinking));
    expect(() => generateImages(model, PROMPTS, { seed: 5, steps: 1, plans: plans.subarray(1) })).toThrow(/plan values/);
  });

  it("onStep reports every batch's x0_hat with the index of its first image; the last step's is the image itself", () => {
    const prompts = [...PROMPTS, 'a yellow square'];
    const last = new Map<number, Float32Array>();
    const firsts = new Set<number>();
    const images = generateImages(model, prompts, {
      seed: 3,
      steps: 4,
      batchSize: 2,
      onStep: ({ first, step, x0Predicted }) => {
        firsts.add(first);
        if (step === 3) last.set(first, x0Predicted);
      },
    });
    expect([...firsts]).toEqual([0, 2]);
    // Euler's last step moves by dt = t, so x_0 = x_t - t v = x0_hat of that step.
    const stitched = [0, 2].flatMap((first) => pixels(unpatchify(last.get(first)!, model.config)));
    expect(stitched).toEqual(pixels(images));
  });

  it('SDEdit start: x_t0 = (1 - t0) x0 + t0 eps, then only the steps below t0; t0 = 1 is the plain sampler; no leak', () => {
    // The untrained tiny model's head is zero, so v = 0 and the sampler returns its starting point: that makes the
    // start exactly checkable.
    const textTokens = new Int32Array(PROMPTS.length * model.config.maxTextTokens);
    PROMPTS.forEach((p, i) => textTokens.set(encode(p, model.config.maxTextTokens), i * model.config.maxTextTokens));
    const { imageTokens, patchDim } = modelDims(model.config);
    const x0 = Float32Array.from({ length: PROMPTS.length * imageTokens * patchDim }, (_, i) => Math.sin(i));
    const common = { model, textTokens, steps: 10, guidanceScale: 2, timestepShift: 1 };
    const eps = sampleTokens({ ...common, rng: makeRng(6) });
    const before = tf.memory().numTensors;
    const ts: number[] = [];
    const edited = sampleTokens({ ...common, rng: makeRng(6), start: { x0, t0: 0.35 }, onStep: ({ t }) => ts.push(t) });
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.max(...Array.from(edited, (v, i) => Math.abs(v - (0.65 * x0[i] + 0.35 * eps[i]))))).toBeLessThan(1e-5);
    expect(ts.map((t) => Number(t.toFixed(2)))).toEqual([0.35, 0.3, 0.2, 0.1]);
    expect(Array.from(sampleTokens({ ...common, rng: makeRng(6), start: { x0, t0: 1 } }))).toEqual(Array.from(eps));
    expect(() => sampleTokens({ ...common, rng: makeRng(6), start: { x0, t0: 0 } })).toThrow(/t0 must lie in/);
    expect(() => sampleTokens({ ...common, rng: makeRng(6), start: { x0: x0.subarray(1), t0: 0.5 } })).toThrow(/expected/);
  });

  it('names an unknown prompt word', () => {
    expect(() => generateImages(model, ['a red dodecahedron'], { seed: 1, steps: 1 })).toThrow(/dodecahedron/);
  });
});

afterAll(() => disposeModel(model));
