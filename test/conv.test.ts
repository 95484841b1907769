// The optional convolutions around the patch tokens (convChannels > 0): the token <-> pixel-grid mapping is
// patches.ts's layout exactly, an untrained refine is the identity on the head's velocity, and a training step leaks
// nothing and lowers the loss on a fixed batch (with x-prediction too).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { gridToTokens, tokensToGrid } from '../lib/model/conv';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { initModel, namedVariables } from '../lib/model/params';
import { patchify } from '../lib/model/patches';
import { predictVelocity } from '../lib/model/transformer';
import { makeRng } from '../lib/rng';
import { syntheticBatch } from '../bench/workload';
import { expectTrainsWithoutLeak } from './helpers/train-loop';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

describe('conv stem and refine', () => {
  it('tokensToGrid puts every token value at its pixel (the patchify layout) and gridToTokens inverts it', () => {
    const config = resolveModelConfig('tiny');
    const size = config.imageSize;
    const data = Float32Array.from({ length: size * size * 3 }, (_, i) => (i % 89) / 88);
    const { imageTokens, patchDim } = modelDims(config);
    const tokens = tf.tensor3d(patchify([{ width: size, height: size, data }], config), [1, imageTokens, patchDim]);
    const grid = tokensToGrid(tokens, config);
    const expected = Float32Array.from(data, (v) => 2 * v - 1);
    expect(Math.max(...(grid.dataSync() as Float32Array).map((v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-6);
    const back = gridToTokens(grid, config);
    expect(Math.max(...(back.dataSync() as Float32Array).map((v, i) => Math.abs(v - tokens.dataSync()[i])))).toBe(0);
    tf.dispose([tokens, grid, back]);
  });

  it('an untrained refine leaves the velocity of the head unchanged; training lowers the loss and leaks nothing', () => {
    const config = resolveModelConfig('tiny', { convChannels: 4 });
    const model = initModel(config, 2);
    const batch = syntheticBatch(config, 3, makeRng(4));
    const { imageTokens, patchDim } = modelDims(config);
    // The head starts at zero and so does the refine's last conv: v = 0 everywhere.
    const v = tf.tidy(() =>
      predictVelocity(model, {
        xt: tf.tensor3d(batch.x0, [3, imageTokens, patchDim]),
        t: tf.fill([3], 0.5) as tf.Tensor1D,
        textTokens: batch.textTokens,
      }).dataSync(),
    );
    expect(Math.max(...Array.from(v, Math.abs))).toBe(0);
    expectTrainsWithoutLeak(model, batch);
    expect(namedVariables(model.params).some(({ name }) => name === 'conv.refineOut.w')).toBe(true);
  });

  it('with x-prediction (cleanPrediction) too: training lowers the loss and leaks nothing', () => {
    const model = initModel(resolveModelConfig('tiny', { convChannels: 4, cleanPrediction: true }), 2);
    expectTrainsWithoutLeak(model, syntheticBatch(model.config, 3, makeRng(4)));
  });

  it('a deeper refine: untrained it is still the identity; it trains without leaks', () => {
    const model = initModel(resolveModelConfig('tiny', { convChannels: 4, refineLayers: 3 }), 2);
    const batch = syntheticBatch(model.config, 3, makeRng(4));
    const { imageTokens, patchDim } = modelDims(model.config);
    const v = tf.tidy(() =>
      predictVelocity(model, {
        xt: tf.tensor3d(batch.x0, [3, imageTokens, patchDim]),
        t: tf.fill([3], 0.5) as tf.Tensor1D,
        textTokens: batch.textTokens,
      }),
    );
    expect(v.shape).toEqual([3, imageTokens, patchDim]);
    expect(Math.max(...Array.from(v.dataSync(), Math.abs))).toBe(0);
    v.dispose();
    expect(model.params.head.w.shape).toEqual([model.config.dModel, patchDim]);
    expect(model.params.conv?.refineHidden).toHaveLength(2);
    expectTrainsWithoutLeak(model, batch);
  });

  it('refine options without convolutions are an error, not a silent no-op', () => {
    expect(() => resolveModelConfig('tiny', { refineLayers: 2 })).toThrow(/need convChannels > 0/);
  });
});
