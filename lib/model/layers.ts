// Building blocks with hand-written gradients: each backward pass uses only plain (untransposed)
// matmuls and a few elementwise ops, which is what the wasm backend runs fast. Autodiff through
// the naive forward would emit transposed matmuls (the slow path of the wasm matmul) and several times more ops.
import * as tf from '../backend/tf';
import { fusedGelu, fusedLayerNorm } from '../backend/fused-kernels';
import type { DenseParams, NormParams } from './param-types';

/** Swaps the two axes of a matrix. */
function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  return tf.transpose(x, [1, 0]);
}

/**
 * Sum over the rows of a matrix [N, D] -> [D] as ones[1, N] @ x: one XNNPACK matmul (~0.5 ms for
 * [2560, 512]) where tf.sum(x, 0) transposes internally on wasm (~12 ms).
 */
export function columnSum(x2d: tf.Tensor2D): tf.Tensor1D {
  return tf.matMul(tf.ones([1, x2d.shape[0]]), x2d).reshape([x2d.shape[1]]);
}

/** y = x @ w + b for x [..., Din], w [Din, Dout], b [Dout]: one fused matmul forward, plain matmuls backward. */
export function dense(x: tf.Tensor, params: DenseParams): tf.Tensor {
  const [inDim, outDim] = params.w.shape as [number, number];
  if (x.shape[x.rank - 1] !== inDim) throw new Error(`dense: input width ${x.shape[x.rank - 1]} != weight rows ${inDim}`);
  const outShape: number[] = [...x.shape.slice(0, -1), outDim];
  const op = tf.customGrad((xIn, wIn, bIn, save) => {
    const x2d = (xIn as tf.Tensor).reshape([-1, inDim]) as tf.Tensor2D; // [N, Din]
    const w = wIn as tf.Tensor2D;
    (save as tf.GradSaveFunc)([x2d, w]);
    const value = tf.fused.matMul({ a: x2d, b: w, bias: bIn as tf.Tensor1D }).reshape(outShape); // [..., Dout]
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xSaved, wSaved] = saved as tf.Tensor2D[];
      const dy2d = dy.reshape([-1, outDim]) as tf.Tensor2D; // [N, Dout]
      const dx = tf.matMul(dy2d, transpose2d(wSaved)).reshape([...outShape.slice(0, -1), inDim]); // [..., Din]
      const dw = tf.matMul(transpose2d(xSaved), dy2d); // [Din, Dout]
      const db = columnSum(dy2d); // [Dout]
      return [dx, dw, db];
    };
    return { value, gradFunc };
  });
  return op(x, params.w, params.b);
}

/**
 * Pre-norm LayerNorm over the last axis, with its analytic gradient (10 ops instead of ~25 from autodiff). Inference on
 * wasm runs it as one fused kernel (backend/fused-kernels.ts; equal to float rounding: test/fused-kernels.test.ts).
 */
export function layerNorm(x: tf.Tensor, params: NormParams, eps: number): tf.Tensor {
  const fused = fusedLayerNorm(x, params.gain, params.bias, eps);
  if (fused !== null) return fused;
  const width = x.shape[x.rank - 1];
  const op = tf.customGrad((xIn, gainIn, biasIn, save) => {
    const xs = xIn as tf.Tensor;
    const centred = tf.sub(xs, tf.mean(xs, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)); // [..., 1]
    const xHat = tf.mul(centred, rstd);
    (save as tf.GradSaveFunc)([xHat, rstd, gainIn as tf.Tensor]);
    const value = tf.add(tf.mul(xHat, gainIn as tf.Tensor), biasIn as tf.Tensor);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xHatSaved, rstdSaved, gain] = saved;
      const dy2d = dy.reshape([-1, width]); // [N, D]
      const dGain = columnSum(tf.mul(dy2d, xHatSaved.reshape([-1, width])) as tf.Tensor2D);
      const dBias = columnSum(dy2d as tf.Tensor2D);
      const dxHat = tf.mul(dy, gain);
      // dx = rstd * (dxHat - mean(dxHat) - xHat * mean(dxHat * xHat))
      const inner = tf.sub(tf.sub(dxHat, tf.mean(dxHat, -1, true)), tf.mul(xHatSaved, tf.mean(tf.mul(dxHat, xHatSaved), -1, true)));
      return [tf.mul(inner, rstdSaved), dGain, dBias];
    };
    return { value, gradFunc };
  });
  return op(x, params.gain, params.bias);
}

/**
 * GELU, sigmoid form x * sigmoid(1.702 x) (Hendrycks & Gimpel), with its analytic gradient
 * dy * s * (1 + a * (1 - s)), a = 1.702 x, s = sigmoid(a): 5 ops and 2 saved tensors backward,
 * where autodiff emits 7 ops and saves 4 (each save is a copy on wasm). Inference on wasm runs it as one fused kernel.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  const fused = fusedGelu(x);
  if (fused !== null) return fused;
  const op = tf.customGrad((xIn, save) => {
    const scaled = tf.mul(xIn as tf.Tensor, 1.702);
    const gate = tf.sigmoid(scaled);
    (save as tf.GradSaveFunc)([scaled, gate]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const [a, s] = saved;
      return tf.mul(dy, tf.mul(s, tf.add(tf.mul(a, tf.sub(1, s)), 1)));
    };
    return { value: tf.mul(xIn as tf.Tensor, gate), gradFunc };
  });
  return op(x);
}

/** SiLU (swish), used in the timestep MLP. */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * A copy of x that gradients do not flow through (tfjs has no stopGradient): heads trained alone read the backbone's
 * states this way. Costs one read-back; use it only where a head-only loss needs it.
 */
export function detached<T extends tf.Tensor>(x: T): T {
  return tf.tensor(x.dataSync() as Float32Array, x.shape) as T;
}
