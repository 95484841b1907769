// The fused inference kernels of the wasm backend (lib/backend/fused-kernels.ts, SIMD code from wasm-simd.ts): the
// layer norm and the GELU equal their composite forms within 1e-5 (relative to the value's size), over the ranges the
// model produces and beyond; they stand aside while gradients are recorded and where they do not fit (a width that is
// not a multiple of 4), and they leak nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { fusedGelu, fusedLayerNorm } from '../lib/backend/fused-kernels';
import { gelu, layerNorm } from '../lib/model/layers';
import { makeRng } from '../lib/rng';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

function randomTensor(shape: number[], seed: number, scale: number, shift = 0): tf.Tensor {
  const rng = makeRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => shift + scale * rng.normal()),
    shape,
  );
}

/** max |a - b| / max(1, |b|): absolute for values up to 1, relative above. */
function maxScaledDiff(a: tf.Tensor, b: tf.Tensor): number {
  const [x, y] = [a.dataSync(), b.dataSync()];
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
  return worst;
}

const compositeGelu = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
function compositeLayerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps))), gain), bias);
}

describe('fused wasm kernels', () => {
  it('GELU equals x * sigmoid(1.702 x) within 1e-5, from -200 to 200', () => {
    tf.tidy(() => {
      const extremes = tf.tensor1d([-200, -90, -60, -20, -5, -1, -1e-3, 0, 1e-3, 1, 5, 20, 60, 90, 200, 0.7]);
      for (const x of [extremes, randomTensor([3, 81, 512], 1, 3), randomTensor([2, 32, 32, 16], 2, 10)]) {
        const fused = fusedGelu(x);
        expect(fused).not.toBeNull();
        expect(maxScaledDiff(fused as tf.Tensor, compositeGelu(x))).toBeLessThan(1e-5);
      }
    });
  });

  it('layer norm equals the composite within 1e-5 (rows with a large mean too), with gain and bias', () => {
    tf.tidy(() => {
      for (const [shape, shift] of [
        [[4, 84, 128], 0],
        [[6, 32], 40],
        [[2, 3, 12], -7],
      ] as [number[], number][]) {
        const width = shape[shape.length - 1];
        const x = randomTensor(shape, 3, 2, shift);
        const [gain, bias] = [randomTensor([width], 4, 1), randomTensor([width], 5, 1)];
        const fused = fusedLayerNorm(x, gain, bias, 1e-5);
        expect(fused).not.toBeNull();
        expect(maxScaledDiff(fused as tf.Tensor, compositeLayerNorm(x, gain, bias, 1e-5))).toBeLessThan(1e-5);
      }
    });
  });

  it('stands aside for a width that is not a multiple of 4 and while gradients are recorded; the layers stay right either way', () => {
    tf.tidy(() => {
      const odd = randomTensor([5, 7], 6, 1);
      const [gain, bias] = [randomTensor([7], 7, 1), randomTensor([7], 8, 1)];
      expect(fusedLayerNorm(odd, gain, bias, 1e-5)).toBeNull();
      expect(fusedGelu(odd)).toBeNull();
      const params = { gain: tf.variable(gain), bias: tf.variable(bias) };
      expect(maxScaledDiff(layerNorm(odd, params, 1e-5), compositeLayerNorm(odd, gain, bias, 1e-5))).toBeLessThan(1e-6);
      const x = randomTensor([4, 8], 9, 1);
      let insideGradient: tf.Tensor | null = x;
      const dx = tf.grad((input: tf.Tensor) => {
        insideGradient = fusedGelu(input);
        return tf.sum(gelu(input));
      })(x);
      expect(insideGradient).toBeNull();
      const expected = tf.grad((input: tf.Tensor) => tf.sum(compositeGelu(input)))(x);
      expect(maxScaledDiff(dx, expected)).toBeLessThan(1e-5);
      params.gain.dispose();
      params.bias.dispose();
    });
  });

  it('leaks no tensor', () => {
    const x = randomTensor([2, 16, 32], 10, 1);
    const [gain, bias] = [randomTensor([32], 11, 1), randomTensor([32], 12, 1)];
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      (fusedGelu(x) as tf.Tensor).dispose();
      (fusedLayerNorm(x, gain, bias, 1e-5) as tf.Tensor).dispose();
      tf.tidy(() => tf.add(fusedGelu(x) as tf.Tensor, 1)).dispose(); // the fused output inside a tidy is released by it
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gain, bias]);
  });
});
