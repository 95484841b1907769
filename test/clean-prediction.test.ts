// The x-prediction option (cleanPrediction): the network's output is read as x0_hat and turned into the velocity
// the loss and the sampler use, v = (x_t - x0_hat) / max(t, cleanPredictionMinT); a zero head therefore predicts
// x0_hat = 0 (training with it: test/conv.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { initModel } from '../lib/model/params';
import { predictVelocity } from '../lib/model/transformer';
import { makeRng } from '../lib/rng';
import { syntheticBatch } from '../bench/workload';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

describe('cleanPrediction (x-prediction)', () => {
  it('a zero head gives v = x_t / max(t, minT): x0_hat = 0 at every t, the clip below minT', () => {
    const config = resolveModelConfig('tiny', { cleanPrediction: true, convChannels: 4 });
    const model = initModel(config, 2);
    const batch = syntheticBatch(config, 3, makeRng(4));
    const { imageTokens, patchDim } = modelDims(config);
    const t = [0.5, 0.02, 1];
    const v = tf.tidy(() =>
      predictVelocity(model, {
        xt: tf.tensor3d(batch.x0, [3, imageTokens, patchDim]),
        t: tf.tensor1d(t),
        textTokens: batch.textTokens,
      }).dataSync(),
    );
    const per = imageTokens * patchDim;
    for (let b = 0; b < 3; b++) {
      const divisor = Math.max(t[b], config.cleanPredictionMinT);
      for (const i of [0, 17, per - 1]) expect(v[b * per + i]).toBeCloseTo(batch.x0[b * per + i] / divisor, 4);
    }
  });

  it('rejects a clip outside (0, 1)', () => {
    expect(() => resolveModelConfig('tiny', { cleanPrediction: true, cleanPredictionMinT: 0 })).toThrow(/cleanPredictionMinT/);
  });
});
