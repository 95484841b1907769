// Seeded random tensors drawn from lib/rng.ts, so one seed gives the same numbers on every
// backend (tf.randomNormal uses a per-backend generator and differs between wasm, cpu and node).
import type { Rng } from '../rng';
import * as tf from './tf';

export interface NormalOptions {
  mean?: number;
  std?: number;
}

export interface UniformOptions {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive upper bound. */
  max?: number;
}

/** A float32 tensor of N(mean, std^2) samples, consumed from rng in row-major order. */
export function randomNormal(shape: number[], rng: Rng, options: NormalOptions = {}): tf.Tensor {
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < values.length; i++) values[i] = mean + std * rng.normal();
  return tf.tensor(values, shape, 'float32');
}

/** A float32 tensor of U[min, max) samples, consumed from rng in row-major order. */
export function randomUniform(shape: number[], rng: Rng, options: UniformOptions = {}): tf.Tensor {
  const min = options.min ?? 0;
  const max = options.max ?? 1;
  if (!(max > min)) throw new Error(`randomUniform: need max > min, got [${min}, ${max})`);
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < values.length; i++) values[i] = min + (max - min) * rng.next();
  return tf.tensor(values, shape, 'float32');
}
