// Self-conditioning (ModelConfig.selfCondition): the sampler feeds each step the previous step's x0_hat (none at
// the first step), training through it lowers the loss, and neither leaks a tensor; sampling stays deterministic.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { randomNormal } from '../lib/backend/random';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { initModel, type UnifiedModel } from '../lib/model/params';
import { sampleTokens } from '../lib/generate/sampler';
import { makeRng } from '../lib/rng';
import { encode } from '../lib/world/tokenizer';
import { syntheticBatch } from '../bench/workload';
import { expectTrainsWithoutLeak } from './helpers/train-loop';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

/** x0_hat of every sampling step, 4 steps, guidance 2. */
function x0Trajectory(model: UnifiedModel): Float32Array[] {
  const out: Float32Array[] = [];
  const textTokens = encode('a red circle', model.config.maxTextTokens);
  sampleTokens({ model, textTokens, steps: 4, guidanceScale: 2, timestepShift: 1, rng: makeRng(3), onStep: ({ x0Predicted }) => out.push(x0Predicted) });
  return out;
}

describe('selfCondition', () => {
  it('the sampler feeds the previous x0_hat: its weights change every step but the first; no leak; deterministic', () => {
    const model = initModel(resolveModelConfig('tiny', { selfCondition: true }), 2);
    // Give the (zero-initialised) head weights so the velocity is not 0.
    tf.tidy(() => model.params.head.w.assign(randomNormal(model.params.head.w.shape, makeRng(4), { std: 0.3 })));
    const before = tf.memory().numTensors;
    const first = x0Trajectory(model);
    expect(tf.memory().numTensors).toBe(before);
    expect(x0Trajectory(model)).toEqual(first);
    // Perturb only the patch-embedding rows that read the self-condition (the last patchDim input rows).
    const { patchDim } = modelDims(model.config);
    const w = model.params.patchEmbed.w;
    tf.tidy(() => w.assign(tf.concat([tf.slice(w, [0, 0], [w.shape[0] - patchDim, -1]), randomNormal([patchDim, w.shape[1] as number], makeRng(8), { std: 0.5 })], 0)));
    const perturbed = x0Trajectory(model);
    expect(perturbed[0]).toEqual(first[0]);
    for (let step = 1; step < 4; step++) expect(perturbed[step]).not.toEqual(first[step]);
  });

  it('training through it lowers the loss on a fixed batch and leaks nothing', () => {
    const model = initModel(resolveModelConfig('tiny', { selfCondition: true, convChannels: 4 }), 2);
    expectTrainsWithoutLeak(model, syntheticBatch(model.config, 3, makeRng(4)), (step) => 100 + step); // varied: the self-condition coin
  });
});
