// patchErrorMaps (lib/train/srum-objective.ts): Eq. 1 before its mean, on the patch grid. Hand-computed values; the
// mean of the weighted map is exactly the L_r that srumLoss computes from the same draws; no tensor leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { randomNormal } from '../lib/backend/random';
import { initBackend } from '../lib/backend/select';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { sampleTrainingTimesteps } from '../lib/model/flow';
import { disposeModel, initModel } from '../lib/model/params';
import { makeRng } from '../lib/rng';
import { lossVelocity, patchErrorMaps, srumLoss, srumObjective } from '../lib/train/srum-objective';
import { encode } from '../lib/world/tokenizer';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

describe('patchErrorMaps', () => {
  it('is the per-patch squared error, times R, on the [B, Hp, Wp] grid; its mean is L_r', () => {
    const before = tf.memory().numTensors;
    // B = 1, a 2 x 2 grid of tokens with 2 values; vTheta - (eps - x0) per token: [1, -1], [2, 0], [0, 0], [3, 1]
    const x0 = tf.zeros([1, 4, 2]) as tf.Tensor3D;
    const eps = tf.zeros([1, 4, 2]) as tf.Tensor3D;
    const vTheta = tf.tensor3d([[[1, -1], [2, 0], [0, 0], [3, 1]]]); // prettier-ignore
    const rewardMap = tf.tensor3d([[[0.5, 2], [1, -1]]]); // prettier-ignore
    const maps = patchErrorMaps({ vTheta, x0, eps, rewardMap });
    expect(maps.error.shape).toEqual([1, 2, 2]);
    expect(Array.from(maps.error.dataSync())).toEqual([1, 2, 0, 5]); // mean over a token's 2 values
    expect(Array.from(maps.weighted.dataSync())).toEqual([0.5, 4, 0, -5]);
    const terms = srumObjective({ vTheta, x0, eps, rewardMap, lambdaC: 0 });
    expect(tf.tidy(() => tf.mean(maps.weighted).dataSync()[0])).toBeCloseTo(terms.rewardLoss.dataSync()[0], 7);
    const unweighted = patchErrorMaps({ vTheta, x0, eps });
    expect(Array.from(unweighted.weighted.dataSync())).toEqual([1, 2, 0, 5]);
    tf.dispose([x0, eps, vTheta, rewardMap, maps.error, maps.weighted, unweighted.error, unweighted.weighted]);
    tf.dispose([terms.loss, terms.rewardLoss, terms.referenceLoss]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('on the velocity the loss reads (lossVelocity at the same t and eps) its mean equals srumLoss L_r', () => {
    const config = resolveModelConfig('tiny');
    const { gridSize, imageTokens, patchDim } = modelDims(config);
    const model = initModel(config, 1);
    const textTokens = new Int32Array([...encode('a red circle', config.maxTextTokens), ...encode('a blue square', config.maxTextTokens)]);
    const before = tf.memory().numTensors;
    const [fromMaps, fromLoss] = tf.tidy(() => {
      const x0 = tf.tensor3d(
        Float32Array.from({ length: 2 * imageTokens * patchDim }, (_, i) => Math.sin(i)),
        [2, imageTokens, patchDim],
      );
      const reward = tf.tensor3d(
        Float32Array.from({ length: 2 * gridSize * gridSize }, (_, i) => Math.cos(i)),
        [2, gridSize, gridSize],
      );
      const loss = srumLoss({
        model,
        x0,
        textTokens,
        rewardMap: reward,
        lambdaC: 0.1,
        rng: makeRng(9),
        timestepShift: 1,
        guidanceScale: 2,
      });
      const rng = makeRng(9); // srumLoss draws t first, then eps
      const t = sampleTrainingTimesteps(2, rng, 1);
      const eps = randomNormal(x0.shape, rng) as tf.Tensor3D;
      const vTheta = lossVelocity({ model, x0, textTokens, t, eps, guidanceScale: 2 });
      const { weighted } = patchErrorMaps({ vTheta, x0, eps, rewardMap: reward });
      return [tf.mean(weighted).dataSync()[0], loss.rewardLoss.dataSync()[0]];
    });
    expect(fromMaps).toBeCloseTo(fromLoss, 6);
    expect(tf.memory().numTensors).toBe(before);
    disposeModel(model);
  });
});
