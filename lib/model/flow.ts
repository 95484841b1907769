// Rectified flow as in the released code (reference/official-srum.md, "Loss"):
//   time runs from data (t = 0) to pure noise (t = 1);
//   x_t = (1 - t) * x0 + t * eps,   velocity target v = eps - x0,
//   training t = shift(sigmoid(n)), n ~ N(0, 1),   shift(t) = s * t / (1 + (s - 1) * t).
// Tensors here are image tokens [B, Np, patchDim]: pixel patches in [-1, 1] (patches.ts).
import * as tf from '../backend/tf';
import type { Rng } from '../rng';

export interface FlowConfig {
  /** Timestep shift s (s > 1 spends more steps near noise). Bagel uses 4.0 at 512-1024 px; 32 px images need none. */
  timestepShift: number;
  /** Probability of replacing a prompt by all-PAD (the null prompt), for classifier-free guidance. */
  textDropProb: number;
}

export const DEFAULT_FLOW_CONFIG: FlowConfig = { timestepShift: 1.0, textDropProb: 0.1 };

/** shift(t) = s * t / (1 + (s - 1) * t): maps [0, 1] onto itself, fixes 0 and 1, pushes t towards 1 for s > 1. */
export function shiftTimestep(t: number, shift: number): number {
  return (shift * t) / (1 + (shift - 1) * t);
}

/** Training timesteps t = shift(sigmoid(n)), n ~ N(0, 1) (logit-normal), one per sample. */
export function sampleTrainingTimesteps(batch: number, rng: Rng, shift: number): Float32Array {
  const t = new Float32Array(batch);
  for (let b = 0; b < batch; b++) t[b] = shiftTimestep(1 / (1 + Math.exp(-rng.normal())), shift);
  return t;
}

/** Sampling timesteps linspace(1, 0, steps + 1), shifted (Bagel): the Euler sampler walks them in order. */
export function samplingTimesteps(steps: number, shift: number): Float32Array {
  return Float32Array.from({ length: steps + 1 }, (_, i) => shiftTimestep(1 - i / steps, shift));
}

/** A copy of the token rows [B, Tt] where each row is replaced by PAD (0) with probability `prob`. */
export function dropText(tokens: Int32Array, batch: number, prob: number, rng: Rng): Int32Array {
  if (tokens.length % batch !== 0) throw new Error(`dropText: ${tokens.length} ids is not ${batch} equal rows`);
  const rowLength = tokens.length / batch;
  const out = tokens.slice();
  for (let b = 0; b < batch; b++) if (rng.next() < prob) out.fill(0, b * rowLength, (b + 1) * rowLength);
  return out;
}

/** x_t = (1 - t) * x0 + t * eps with t [B] broadcast over tokens and values. */
export function noisyInput(x0: tf.Tensor3D, eps: tf.Tensor3D, t: tf.Tensor1D): tf.Tensor3D {
  return tf.tidy(() => {
    const tb = t.reshape([-1, 1, 1]); // [B, 1, 1]
    return tf.add(tf.mul(tf.sub(1, tb), x0), tf.mul(tb, eps)) as tf.Tensor3D;
  });
}

/** The velocity target v = eps - x0 (points from data to noise). */
export function velocityTarget(x0: tf.Tensor3D, eps: tf.Tensor3D): tf.Tensor3D {
  return tf.sub(eps, x0);
}

export interface FlowErrorInputs {
  /** Predicted velocity v_theta, [B, Np, patchDim]. */
  vTheta: tf.Tensor3D;
  /** Clean image tokens x0, [B, Np, patchDim]. */
  x0: tf.Tensor3D;
  /** The noise eps used to build x_t, [B, Np, patchDim]. */
  eps: tf.Tensor3D;
}

/** Per-token squared error (vTheta - (eps - x0))^2 averaged over a token's values: [B, Np]. */
export function flowSquaredError({ vTheta, x0, eps }: FlowErrorInputs): tf.Tensor2D {
  return tf.tidy(() => tf.mean(tf.squaredDifference(vTheta, velocityTarget(x0, eps)), -1) as tf.Tensor2D);
}

export interface FlowLossInputs extends FlowErrorInputs {
  /**
   * Optional weight per image token, the reward map R on the token grid: [B, Hp, Wp] or [B, Np],
   * broadcast over a token's values. Without it every token weighs 1 (plain flow matching / SFT).
   */
  weight?: tf.Tensor;
}

/** Eq. 1: L_r = E[ R ⊙ (vTheta - (eps - x0))^2 ]; with no weight, the plain rectified-flow loss. Scalar. */
export function flowLoss(inputs: FlowLossInputs): tf.Scalar {
  return tf.tidy(() => {
    const perToken = flowSquaredError(inputs); // [B, Np]
    if (inputs.weight === undefined) return tf.mean(perToken);
    const [batch, tokens] = perToken.shape;
    if (inputs.weight.size !== batch * tokens)
      throw new Error(`flowLoss: weight of shape [${inputs.weight.shape}] does not cover [${batch}, ${tokens}] tokens`);
    return tf.mean(tf.mul(perToken, inputs.weight.reshape([batch, tokens])));
  });
}

/** Classifier-free guidance v_u + w (v_c - v_u); with autoguidance the guide's velocity stands in for v_u. */
export function guidedVelocity(vCond: tf.Tensor3D, vUncond: tf.Tensor3D, scale: number): tf.Tensor3D {
  return tf.add(vUncond, tf.mul(scale, tf.sub(vCond, vUncond))) as tf.Tensor3D;
}
