// Multi-head self-attention with heads folded into the batch ([H * B, T, headDim]) and one
// hand-written gradient for the whole softmax(q k^T + bias) v core: it reuses k and q untransposed,
// so the backward pass needs 3 transposes where autodiff through two matmuls would need 5.
import * as tf from '../backend/tf';
import type { ModelConfig } from './config';
import { dense } from './layers';
import type { BlockParams } from './param-types';
import { batchMatMulNoGrad as bmm } from '../backend/batch-matmul';

function swapLastTwo(x: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(x, [0, 2, 1]);
}

/**
 * softmax(q k^T + bias) v for q, k, v [H*B, T, dh] (q already scaled by 1/sqrt(dh)), heads-major
 * batch (index h * B + b); bias [1, B, 1 or T, T] is added to the logits [H, B, T, T] (no bias: nothing masked).
 */
export function attentionCore(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, bias: tf.Tensor4D | undefined): tf.Tensor3D {
  const [rows, seqLen] = q.shape;
  const op = tf.customGrad((qIn, kIn, vIn, ...rest) => {
    const [qs, ks, vs] = [qIn, kIn, vIn] as tf.Tensor3D[];
    const save = rest[rest.length - 1] as tf.GradSaveFunc;
    const scores = bmm(qs, swapLastTwo(ks)); // [H*B, T, T]
    const logits = bias === undefined ? scores : tf.add(scores.reshape([rows / bias.shape[1], bias.shape[1], seqLen, seqLen]), bias);
    const probs = tf.softmax(logits).reshape([rows, seqLen, seqLen]) as tf.Tensor3D; // [H*B, T, T]
    save([qs, ks, vs, probs]);
    const value = bmm(probs, vs); // [H*B, T, dh]
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [qSaved, kSaved, vSaved, p] = saved as tf.Tensor3D[];
      const dOut = dy as tf.Tensor3D;
      const dProbs = bmm(dOut, swapLastTwo(vSaved)); // [H*B, T, T]
      const dV = bmm(swapLastTwo(p), dOut); // [H*B, T, dh]
      // softmax backward: dLogits = p * (dProbs - sum(dProbs * p, over keys))
      const dLogits = tf.mul(p, tf.sub(dProbs, tf.sum(tf.mul(dProbs, p), -1, true))) as tf.Tensor3D;
      const dQ = bmm(dLogits, kSaved); // [H*B, T, dh]
      const dK = bmm(swapLastTwo(dLogits), qSaved); // [H*B, T, dh]
      return bias === undefined ? [dQ, dK, dV] : [dQ, dK, dV, tf.zerosLike(bias)];
    };
    return { value, gradFunc };
  });
  return (bias === undefined ? op(q, k, v) : op(q, k, v, bias)) as tf.Tensor3D;
}

/** Self-attention block body on x [B, T, D] (already normalised): fused QKV, core, output projection. */
export function attention(x: tf.Tensor3D, block: BlockParams, bias: tf.Tensor4D | undefined, config: ModelConfig): tf.Tensor3D {
  const [batch, seqLen, width] = x.shape;
  const heads = config.nHeads;
  const headDim = width / heads;
  const qkv = dense(x, block.qkv).reshape([batch, seqLen, 3 * heads, headDim]); // [B, T, 3H, dh]
  const qkvHeadsFirst = tf.transpose(qkv, [2, 0, 1, 3]).reshape([3, heads * batch, seqLen, headDim]); // [3, H*B, T, dh]
  const [q, k, v] = tf.unstack(qkvHeadsFirst) as tf.Tensor3D[]; // each [H*B, T, dh]
  // [H, B, T, dh]
  const out = attentionCore(tf.mul(q, 1 / Math.sqrt(headDim)) as tf.Tensor3D, k, v, bias).reshape([heads, batch, seqLen, headDim]);
  const merged = tf.transpose(out, [1, 2, 0, 3]).reshape([batch, seqLen, width]); // [B, T, D]
  return dense(merged, block.attnOut) as tf.Tensor3D;
}
