// The sampler's forward passes leave out what does no work (lib/generate/sampler.ts): the conditional rows read their
// text only up to the batch's longest prompt, the unconditional rows no text at all, each branch in a pass of its own,
// and the plan canvas goes through the convolutions once per batch (conv.ts canvasTerms). The images must be the
// reference path's up to float rounding: one forward pass per step over [prompt ; all-PAD] rows with every text token,
// the canvas in every pass. Checked on the tiny preset with the shipped base's architecture and weights that are not
// at their zero init (an untrained refine and head would hide differences).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { conv2dSame } from '../lib/backend/ops';
import { canvasTerms, conv3x3, gridToTokens, refineVelocity, stemTokens, tokensToGrid } from '../lib/model/conv';
import { CANVAS_CHANNELS } from '../lib/model/classes';
import { modelDims, resolveModelConfig, type ModelConfig } from '../lib/model/config';
import { guidedVelocity, samplingTimesteps } from '../lib/model/flow';
import { initModel, namedVariables, type UnifiedModel } from '../lib/model/params';
import { planConditioning, predictPlan } from '../lib/model/plan';
import { predictVelocity } from '../lib/model/transformer';
import { gelu } from '../lib/model/layers';
import { sampleTokens, type Solver } from '../lib/generate/sampler';
import { BASE_ARCHITECTURE_ON_TINY } from '../bench/check-sampling';
import { makeRng } from '../lib/rng';
import { encodeBatch } from '../lib/world/tokenizer';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

/** The base's architecture at the tiny width (bench/check-sampling.ts's), with the plan cell decoder the base also has. */
const { preset: _tinyPreset, ...BASE_ON_TINY } = BASE_ARCHITECTURE_ON_TINY;
const BASE_LIKE: Record<string, unknown> = { ...BASE_ON_TINY, planCellDecoder: true };

/** A model whose every weight is drawn at random (std 0.2): no zero-initialised part hides a path. */
function randomModel(config: ModelConfig, seed: number): UnifiedModel {
  const model = initModel(config, seed);
  const rng = makeRng(seed).fork('test-weights');
  for (const { variable } of namedVariables(model.params)) {
    const values = Float32Array.from({ length: variable.size }, () => 0.2 * rng.normal());
    variable.assign(tf.tensor(values, variable.shape));
  }
  return model;
}

const PROMPTS = ['a red circle', 'two green triangles on the left of a blue square', 'a small striped red circle', 'a square'];

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/**
 * The reference sampler (Euler or Heun, guidance on an interval): every guided step is one forward pass over
 * [prompt rows ; all-PAD rows] with all maxTextTokens text tokens, the plan's canvas (zeros for the PAD rows) given as is.
 */
function referenceTokens(
  model: UnifiedModel,
  textTokens: Int32Array,
  plan: Int32Array,
  noise: Float32Array,
  settings: { steps: number; solver: Solver; scale: number; interval: [number, number] },
): Float32Array {
  const batch = textTokens.length / model.config.maxTextTokens;
  const { imageTokens, generationDim } = modelDims(model.config);
  return tf.tidy(() => {
    const cond = { textTokens, ...planConditioning(model, batch, { plan, thinking: new Uint8Array(batch).fill(1) }) };
    const withZeros = (t: tf.Tensor3D | undefined): tf.Tensor3D | undefined =>
      t === undefined ? undefined : (tf.concat([t, tf.zerosLike(t)], 0) as tf.Tensor3D);
    const paired = {
      textTokens: Int32Array.from([...textTokens, ...new Int32Array(textTokens.length)]),
      extra: tf.concat([cond.extra, planConditioning(model, batch).extra], 0) as tf.Tensor3D,
      planMap: withZeros(cond.planMap),
      planCanvas: withZeros(cond.planCanvas),
    };
    const velocity = (x: tf.Tensor3D, t: number): tf.Tensor3D => {
      const [lo, hi] = settings.interval;
      if (!(t >= lo && t <= hi)) return predictVelocity(model, { xt: x, t: tf.fill([batch], t) as tf.Tensor1D, ...cond });
      const both = predictVelocity(model, {
        xt: tf.concat([x, x], 0) as tf.Tensor3D,
        t: tf.fill([2 * batch], t) as tf.Tensor1D,
        ...paired,
      });
      const [vCond, vUncond] = tf.split(both, 2, 0) as tf.Tensor3D[];
      return guidedVelocity(vCond, vUncond, settings.scale);
    };
    const times = samplingTimesteps(settings.steps, 1);
    let x = tf.tensor3d(noise, [batch, imageTokens, generationDim]);
    for (let step = 0; step + 1 < times.length; step++) {
      const [t, tNext] = [times[step], times[step + 1]];
      const v = velocity(x, t);
      const euler = tf.sub(x, tf.mul(t - tNext, v)) as tf.Tensor3D;
      x =
        settings.solver === 'heun' && tNext > 0
          ? (tf.sub(x, tf.mul(t - tNext, tf.mul(0.5, tf.add(v, velocity(euler, tNext))))) as tf.Tensor3D)
          : euler;
    }
    return x.dataSync() as Float32Array;
  });
}

describe('the sampler leaves out tokens that do no work', () => {
  it('draws the reference path images to float rounding (Euler and Heun, guided and unguided steps), leaking nothing', () => {
    const model = randomModel(resolveModelConfig('tiny', BASE_LIKE), 3);
    const textTokens = encodeBatch(PROMPTS, model.config.maxTextTokens);
    const plan = predictPlan(model, textTokens);
    const { imageTokens, generationDim } = modelDims(model.config);
    const rng = makeRng(9);
    const noise = Float32Array.from({ length: PROMPTS.length * imageTokens * generationDim }, () => rng.normal());
    const cases: { steps: number; solver: Solver; scale: number; interval: [number, number] }[] = [
      { steps: 4, solver: 'euler', scale: 4, interval: [0, 1] },
      { steps: 3, solver: 'heun', scale: 3, interval: [0.4, 1] },
    ];
    for (const settings of cases) {
      const reference = referenceTokens(model, textTokens, plan, noise, settings);
      const before = tf.memory().numTensors;
      const fast = sampleTokens({
        model,
        textTokens,
        plan,
        noise,
        steps: settings.steps,
        solver: settings.solver,
        guidanceScale: settings.scale,
        guidanceInterval: settings.interval,
        timestepShift: 1,
        rng: makeRng(1),
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(Math.max(...reference.map(Math.abs))).toBeGreaterThan(0.5); // the images are not trivially zero
      expect(maxAbsDiff(fast, reference)).toBeLessThan(1e-5); // tokens in [-1, 1]: pixels differ by half that
    }
  });

  it('a velocity pass gives the same image-token velocity with trailing PAD columns dropped, or no text for all-PAD rows', () => {
    for (const overrides of [{}, { textCausal: true, mixtureOfTransformers: true }]) {
      const model = randomModel(resolveModelConfig('tiny', overrides), 4);
      const textLen = model.config.maxTextTokens;
      const textTokens = encodeBatch(PROMPTS, textLen);
      const longest = Math.max(...PROMPTS.map((p) => p.split(' ').length));
      const { imageTokens, generationDim } = modelDims(model.config);
      const batch = PROMPTS.length;
      const rng = makeRng(5);
      const xt = tf.tensor3d(
        Float32Array.from({ length: batch * imageTokens * generationDim }, () => rng.normal()),
        [batch, imageTokens, generationDim],
      );
      const t = tf.tensor1d([0.9, 0.5, 0.3, 0.7]);
      const extra = planConditioning(model, batch).extra;
      const read = (v: tf.Tensor): Float32Array => {
        const values = v.dataSync() as Float32Array;
        v.dispose();
        return values;
      };
      const full = read(predictVelocity(model, { xt, t, textTokens, extra }));
      const trimmed = textTokens.filter((_, i) => i % textLen < longest);
      expect(maxAbsDiff(read(predictVelocity(model, { xt, t, textTokens: trimmed, textLength: longest, extra })), full)).toBeLessThan(1e-5);
      const padOnly = read(predictVelocity(model, { xt, t, textTokens: new Int32Array(batch * textLen), extra }));
      const noText = read(predictVelocity(model, { xt, t, textTokens: new Int32Array(0), textLength: 0, extra }));
      expect(maxAbsDiff(noText, padOnly)).toBeLessThan(1e-5);
      tf.dispose([xt, t, extra]);
    }
  });

  it('the canvas terms give the convolutions of the concatenated [x ; canvas] channels', () => {
    const model = randomModel(resolveModelConfig('tiny', BASE_LIKE), 6);
    const { config } = model;
    const conv = model.params.conv!;
    const batch = 2;
    const { imageTokens, generationDim } = modelDims(config);
    const rng = makeRng(8);
    const random = (width: number): tf.Tensor3D =>
      tf.tensor3d(
        Float32Array.from({ length: batch * imageTokens * width }, () => rng.normal()),
        [batch, imageTokens, width],
      );
    const [xt, v, canvas] = [random(generationDim), random(generationDim), random(config.patchSize ** 2 * CANVAS_CHANNELS)];
    tf.tidy(() => {
      const terms = canvasTerms(canvas, conv, config);
      const convOf = (parts: tf.Tensor3D[], w: tf.Variable, b: tf.Variable): tf.Tensor4D =>
        tf.add(
          conv2dSame(
            tf.concat(
              parts.map((p) => tokensToGrid(p, config)),
              3,
            ) as tf.Tensor4D,
            w as tf.Tensor4D,
          ),
          b,
        ) as tf.Tensor4D;
      const stem = tokensToGrid(tf.slice(stemTokens(xt, conv, config, terms), [0, 0, generationDim], [-1, -1, -1]), config);
      const expectedStem = gelu(convOf([xt, canvas], conv.stem.w, conv.stem.b));
      expect(tf.max(tf.abs(tf.sub(stem, expectedStem))).dataSync()[0]).toBeLessThan(1e-5);
      let hidden = gelu(convOf([v, xt, canvas], conv.refineIn.w, conv.refineIn.b)) as tf.Tensor4D;
      for (const layer of conv.refineHidden) hidden = gelu(conv3x3(hidden, layer.w, layer.b)) as tf.Tensor4D;
      const expectedRefine = gridToTokens(
        tf.add(tokensToGrid(v, config), conv3x3(hidden, conv.refineOut.w, conv.refineOut.b)) as tf.Tensor4D,
        config,
      );
      const refined = refineVelocity(v, xt, conv, config, terms);
      expect(tf.max(tf.abs(tf.sub(refined, expectedRefine))).dataSync()[0]).toBeLessThan(1e-5);
      const withoutCanvas = refineVelocity(v, xt, conv, config);
      expect(tf.max(tf.abs(tf.sub(refined, withoutCanvas))).dataSync()[0]).toBeGreaterThan(1e-3); // the canvas matters
    });
    tf.dispose([xt, v, canvas]);
  });
});
