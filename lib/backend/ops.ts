// Fast-path ops for the wasm backend.
// tfjs-backend-wasm's matmul with transposeA/transposeB, or with a batch axis, runs in a naive
// loop 6-10x slower than XNNPACK's plain 2-D matmul, and tf.matMul's own gradient uses
// transposed matmuls. matMul below transposes explicitly in the forward pass AND in its
// gradient, and runs batched products as per-item XNNPACK matmuls (./batch-matmul).
import { wasmBatchMatMul } from './batch-matmul';
import * as tf from './tf';

export interface MatMulOptions {
  /** Use a's last two axes swapped. */
  transposeA?: boolean;
  /** Use b's last two axes swapped. */
  transposeB?: boolean;
}

/** Swaps the last two axes of a rank-2 or rank-3 tensor. */
function swapLastTwo(x: tf.Tensor): tf.Tensor {
  return x.rank === 2 ? tf.transpose(x, [1, 0]) : tf.transpose(x, [0, 2, 1]);
}

/** x @ y for rank-2, or same-batch rank-3 inputs (through XNNPACK per item on wasm). */
function plainMatMul(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const batched = x.rank === 3 && (x.shape[0] ?? 1) > 1;
  return (batched ? wasmBatchMatMul(x, y) : null) ?? tf.matMul(x, y);
}

/**
 * Plain matmul of rank-2 or same-batch rank-3 tensors whose gradient also uses only plain
 * matmuls. For y = op(a) @ op(b) with op = identity or transpose:
 *   y = a b      : da = dy bT,    db = aT dy
 *   y = a bT     : da = dy b,     db = dyT a
 *   y = aT b     : da = b dyT,    db = a dy
 *   y = aT bT    : da = bT dyT,   db = dyT aT
 */
function matMulCore(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const plain = plainMatMul;
  const forward = tf.customGrad((aIn, bIn, save) => {
    const aArg = aIn as tf.Tensor;
    const bArg = bIn as tf.Tensor;
    (save as tf.GradSaveFunc)([aArg, bArg]);
    const value = plain(transposeA ? swapLastTwo(aArg) : aArg, transposeB ? swapLastTwo(bArg) : bArg);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [aSaved, bSaved] = saved;
      let da: tf.Tensor;
      let db: tf.Tensor;
      if (!transposeA && !transposeB) {
        da = plain(dy, swapLastTwo(bSaved));
        db = plain(swapLastTwo(aSaved), dy);
      } else if (!transposeA && transposeB) {
        da = plain(dy, bSaved);
        db = plain(swapLastTwo(dy), aSaved);
      } else if (transposeA && !transposeB) {
        da = plain(bSaved, swapLastTwo(dy));
        db = plain(aSaved, dy);
      } else {
        da = plain(swapLastTwo(bSaved), swapLastTwo(dy));
        db = plain(swapLastTwo(dy), swapLastTwo(aSaved));
      }
      return [da, db];
    };
    return { value, gradFunc };
  });
  return forward(a, b);
}

/**
 * matMul(a, b, {transposeA, transposeB}) with the same values and gradients as tf.matMul,
 * but built from explicit transposes and plain matmuls (fast on wasm). Unlike tf.matMul in
 * tfjs 4.22, whose gradient throws when a 2-D b broadcasts over a's batch, [B, T, D] @ [D, E] works.
 * Supported shapes:
 *   a [M, K] or [..., M, K]  with  b [K, N]          -> [..., M, N]  (leading axes folded into M)
 *   a [...batch, M, K]       with  b [...batch, K, N] -> [...batch, M, N]  (same batch axes, e.g.
 *   attention's [B, H, T, Dh]); shapes are given before the optional transposes.
 */
export function matMul(a: tf.Tensor, b: tf.Tensor, options: MatMulOptions = {}): tf.Tensor {
  const transposeA = options.transposeA ?? false;
  const transposeB = options.transposeB ?? false;
  if (a.rank < 2 || b.rank < 2) throw new Error(`matMul: inputs need rank >= 2, got ${a.shape} and ${b.shape}`);
  const aShape: number[] = a.shape;
  const bShape: number[] = b.shape;
  return tf.tidy(() => {
    if (bShape.length === 2) {
      if (aShape.length === 2) return matMulCore(a, b, transposeA, transposeB);
      // Fold all leading axes of a into rows: one big 2-D matmul, and db sums over the batch for free.
      const [rows, inner] = transposeA ? aShape.slice(-2).reverse() : aShape.slice(-2);
      const aRows = transposeA ? swapLastTwo(a.reshape([-1, ...aShape.slice(-2)])) : a; // [..., M, K]
      const a2d = aRows.reshape([-1, inner]); // [prod(...) * M, K]
      const y2d = matMulCore(a2d, b, false, transposeB); // [prod(...) * M, N]
      const columns = transposeB ? bShape[0] : bShape[1];
      const outShape = [...aShape.slice(0, -2), rows, columns]; // [..., M, N]
      return y2d.reshape(outShape);
    }
    const batchA = aShape.slice(0, -2);
    const batchB = bShape.slice(0, -2);
    if (batchA.length !== batchB.length || batchA.some((size, axis) => size !== batchB[axis])) {
      throw new Error(`matMul: batch axes must match (or b must be 2-D), got ${aShape} and ${bShape}`);
    }
    const batch = tf.util.sizeFromShape(batchA);
    const a3d = a.reshape([batch, ...aShape.slice(-2)]); // [batch, ., .]
    const b3d = b.reshape([batch, ...bShape.slice(-2)]); // [batch, ., .]
    const y3d = matMulCore(a3d, b3d, transposeA, transposeB); // [batch, M, N]
    return y3d.reshape([...batchA, ...y3d.shape.slice(1)]); // [...batch, M, N]
  });
}

// Elementwise fast paths. On wasm, Sigmoid and Softmax run in XNNPACK while Tanh, Pow, Exp
// and Log are scalar loops (measured on [512, 512]: tanh 12 ms, pow 14 ms, sigmoid 1.4 ms,
// x*x*x 0.7 ms, softmax 1 ms, logSoftmax 5 ms), so these rewrite the slow ops exactly.

/** tanh(x) = 2 sigmoid(2x) - 1 (absolute error ~1e-7; relative error grows as x -> 0). */
export function tanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sigmoid(x.mul(2)).mul(2).sub(1));
}

/** GELU, tanh form: 0.5 x (1 + tanh(u)) = x sigmoid(2u), with u = sqrt(2/pi) (x + 0.044715 x^3). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const twoU = x
      .mul(x)
      .mul(0.044715)
      .add(1)
      .mul(x)
      .mul(2 * Math.sqrt(2 / Math.PI));
    return x.mul(tf.sigmoid(twoU));
  });
}

/**
 * log softmax over the last axis, with the gradient dx = dy - softmax(x) * sum(dy).
 * log-sum-exp comes from the softmax itself: at the row maximum, softmax = 1 / sum(exp(x - max)),
 * so lse = max - log(max(softmax)), and the only full-size transcendental is the XNNPACK softmax.
 */
export function logSoftmax(logits: tf.Tensor): tf.Tensor {
  const forward = tf.customGrad((xIn, save) => {
    const x = xIn as tf.Tensor;
    const probabilities = tf.softmax(x);
    const logSumExp = tf.max(x, -1, true).sub(tf.log(tf.max(probabilities, -1, true))); // [..., 1]
    (save as tf.GradSaveFunc)([probabilities]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => dy.sub(saved[0].mul(dy.sum(-1, true)));
    return { value: x.sub(logSumExp), gradFunc };
  });
  return forward(logits);
}

/**
 * conv2d with stride 1 and 'same' padding for odd square kernels [k, k, Cin, Cout], with a gradient built from
 * ops that are fast on wasm. tfjs-backend-wasm's Conv2DBackpropInput is a plain loop (~8x the forward conv) and
 * Conv2DBackpropFilter needs a JS im2col (kernels.ts); here
 *   dx = conv2d(dy, w flipped in space with in/out swapped)           (a forward conv, XNNPACK)
 *   dw[r, c] = (dy^T [Cout, M] @ pad(x)[:, r:r+H, c:c+W] [M, Cin])^T   (k*k plain matmuls, M = B*H*W)
 * Values and gradients equal tf.conv2d's (tested against the cpu backend).
 */
export function conv2dSame(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const [k, kw, cin, cout] = w.shape;
  if (k !== kw || k % 2 === 0) throw new Error(`conv2dSame: needs an odd square kernel, got ${k}x${kw}`);
  const forward = tf.customGrad((xIn, wIn, save) => {
    const [xArg, wArg] = [xIn as tf.Tensor4D, wIn as tf.Tensor4D];
    (save as tf.GradSaveFunc)([xArg, wArg]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, ws] = saved as tf.Tensor4D[];
      const [batch, height, width] = xs.shape;
      const flipped = tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [k, k, Cout, Cin]
      const dx = tf.conv2d(dy as tf.Tensor4D, flipped, 1, 'same');
      const half = (k - 1) / 2;
      const padded = tf.pad(xs, [
        [0, 0],
        [half, half],
        [half, half],
        [0, 0],
      ]);
      const dyT = tf.transpose(dy.reshape([batch * height * width, cout])); // [Cout, M]
      const taps: tf.Tensor[] = [];
      for (let r = 0; r < k; r++) {
        for (let c = 0; c < k; c++) {
          const shifted = tf.slice(padded, [0, r, c, 0], [batch, height, width, cin]).reshape([batch * height * width, cin]);
          taps.push(plainMatMul(dyT, shifted)); // [Cout, Cin]
        }
      }
      const dw = tf.transpose(tf.stack(taps), [0, 2, 1]).reshape([k, k, cin, cout]); // [k*k, Cin, Cout]
      return [dx, dw];
    };
    return { value: tf.conv2d(xArg, wArg, 1, 'same'), gradFunc };
  });
  return forward(x, w) as tf.Tensor4D;
}
