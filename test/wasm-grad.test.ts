// Every op a small transformer + conv patch embedding trains with: value and gradient on the
// wasm backend must match the pure-JS cpu backend (the reference) for the same seeded inputs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { FILLED_WASM_KERNELS } from '../lib/backend/kernels';
import { REPLACED_WASM_KERNELS } from '../lib/backend/slice-kernels';
import * as ops from '../lib/backend/ops';
import { matMul } from '../lib/backend/ops';
import { randomNormal, randomUniform } from '../lib/backend/random';
import { selectBackend } from '../lib/backend/select';
import { hashString, makeRng, type Rng } from '../lib/rng';

/** A differentiable float input: N(0, 1), or U[0.5, 2) where an op needs positive values. */
type InputSpec = { shape: number[]; positive?: boolean };
type OpCase = {
  name: string;
  inputs: InputSpec[];
  f: (xs: tf.Tensor[]) => tf.Tensor;
  /** tfjs has no gradient for this op on any backend: compare values only. */
  valueOnly?: boolean;
};

const RELATIVE_TOLERANCE = 1e-4;
const ids = (values: number[], shape?: number[]): tf.Tensor => tf.tensor(values, shape ?? [values.length], 'int32');
const n = (...shape: number[]): InputSpec => ({ shape });
const positive = (...shape: number[]): InputSpec => ({ shape, positive: true });

function layerNorm(x: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(1e-5)));
}
const geluTanh = (x: tf.Tensor): tf.Tensor => x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));

const CASES: OpCase[] = [
  { name: 'matMul 2-D', inputs: [n(5, 7), n(7, 3)], f: ([a, b]) => tf.matMul(a, b) },
  { name: 'matMul transposeB', inputs: [n(5, 7), n(3, 7)], f: ([a, b]) => tf.matMul(a, b, false, true) },
  { name: 'batched matMul 3-D', inputs: [n(2, 5, 4), n(2, 4, 3)], f: ([a, b]) => tf.matMul(a, b) },
  { name: 'batched matMul 4-D', inputs: [n(2, 2, 5, 4), n(2, 2, 5, 4)], f: ([a, b]) => tf.matMul(a, b, false, true) },
  { name: 'softmax', inputs: [n(3, 6)], f: ([x]) => tf.softmax(x) },
  { name: 'logSoftmax', inputs: [n(3, 6)], f: ([x]) => tf.logSoftmax(x) },
  { name: 'layer norm via moments', inputs: [n(4, 8)], f: ([x]) => layerNorm(x) },
  { name: 'gelu (tanh form)', inputs: [n(4, 6)], f: ([x]) => geluTanh(x) },
  { name: 'gelu (erf form)', inputs: [n(4, 6)], f: ([x]) => x.mul(0.5).mul(tf.erf(x.div(Math.SQRT2)).add(1)) },
  { name: 'tanh', inputs: [n(4, 6)], f: ([x]) => tf.tanh(x) },
  { name: 'gather rows (embedding)', inputs: [n(6, 4)], f: ([table]) => tf.gather(table, ids([0, 3, 3, 5, 1])) },
  { name: 'gather 2-D ids', inputs: [n(6, 4)], f: ([table]) => tf.gather(table, ids([1, 2, 2, 0], [2, 2])) },
  { name: 'gather axis 1', inputs: [n(2, 5, 3)], f: ([x]) => tf.gather(x, ids([4, 0, 4]), 1) },
  { name: 'unsortedSegmentSum', inputs: [n(5, 3)], f: ([x]) => tf.unsortedSegmentSum(x, ids([2, 0, 2, 3, 0]) as tf.Tensor1D, 4) },
  { name: 'concat', inputs: [n(2, 3, 4), n(2, 1, 4)], f: ([a, b]) => tf.concat([a, b], 1) },
  { name: 'slice', inputs: [n(3, 5, 4)], f: ([x]) => tf.slice(x, [1, 1, 0], [2, 3, 4]) },
  { name: 'slice contiguous', inputs: [n(4, 3, 2)], f: ([x]) => tf.slice(x, [1, 0, 0], [2, -1, -1]) },
  { name: 'slice 1-D', inputs: [n(9)], f: ([x]) => tf.slice(x as tf.Tensor1D, 2, 5) },
  { name: 'slice 5-D', inputs: [n(2, 3, 2, 3, 4)], f: ([x]) => tf.slice(x, [1, 0, 1, 1, 1], [1, 2, 1, 2, 2]) },
  { name: 'unstack axis 0', inputs: [n(3, 2, 4)], f: ([x]) => tf.unstack(x)[2] },
  { name: 'unstack axis 1', inputs: [n(3, 2, 4)], f: ([x]) => tf.unstack(x, 1)[1] },
  { name: 'split axis 0 (uneven sizes)', inputs: [n(6, 3)], f: ([x]) => tf.split(x, [1, 3, 2], 0)[1] },
  { name: 'transpose 3-D', inputs: [n(2, 3, 4)], f: ([x]) => tf.transpose(x, [0, 2, 1]) },
  { name: 'transpose 4-D (heads)', inputs: [n(2, 3, 4, 5)], f: ([x]) => tf.transpose(x, [0, 2, 1, 3]) },
  { name: 'reshape', inputs: [n(2, 3, 4)], f: ([x]) => x.reshape([6, 4]) },
  { name: 'mean', inputs: [n(3, 4, 5)], f: ([x]) => tf.mean(x, [0, 2]) },
  { name: 'sum', inputs: [n(3, 4, 5)], f: ([x]) => tf.sum(x, 1) },
  { name: 'square', inputs: [n(3, 4)], f: ([x]) => tf.square(x) },
  { name: 'sub (broadcast)', inputs: [n(3, 4), n(4)], f: ([a, b]) => tf.sub(a, b) },
  { name: 'mul (broadcast)', inputs: [n(2, 3, 4), n(3, 1)], f: ([a, b]) => tf.mul(a, b) },
  { name: 'add (bias)', inputs: [n(2, 3, 4), n(4)], f: ([a, b]) => tf.add(a, b) },
  { name: 'div', inputs: [n(3, 4), positive(3, 4)], f: ([a, b]) => tf.div(a, b) },
  { name: 'exp', inputs: [n(3, 4)], f: ([x]) => tf.exp(x) },
  { name: 'log', inputs: [positive(3, 4)], f: ([x]) => tf.log(x) },
  { name: 'sqrt', inputs: [positive(3, 4)], f: ([x]) => tf.sqrt(x) },
  { name: 'sigmoid', inputs: [n(3, 4)], f: ([x]) => tf.sigmoid(x) },
  { name: 'relu', inputs: [n(3, 4)], f: ([x]) => tf.relu(x) },
  { name: 'maximum', inputs: [n(3, 4), n(3, 4)], f: ([a, b]) => tf.maximum(a, b) },
  {
    name: 'cross-entropy through logSoftmax',
    inputs: [n(4, 5)],
    f: ([logits]) => tf.neg(tf.sum(tf.oneHot(ids([1, 4, 0, 2]), 5).mul(tf.logSoftmax(logits)), -1)),
  },
  {
    name: 'where (mask fixed)',
    inputs: [n(3, 4), n(3, 4)],
    f: ([a, b]) =>
      tf.where(
        tf
          .tensor2d([
            [1, 0, 1, 1],
            [0, 0, 1, 0],
            [1, 1, 1, 0],
          ])
          .cast('bool'),
        a,
        b,
      ),
  },
  { name: 'clipByValue', inputs: [n(4, 5)], f: ([x]) => tf.clipByValue(x, -0.5, 0.7) },
  {
    name: 'conv2d patch embed (stride = kernel)',
    inputs: [n(2, 8, 8, 3), n(4, 4, 3, 6)],
    f: ([x, w]) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 4, 'valid'),
  },
  {
    name: 'conv2d stride 2, same padding',
    inputs: [n(1, 7, 7, 2), n(3, 3, 2, 4)],
    f: ([x, w]) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
  },
  { name: 'ops.conv2dSame 3x3', inputs: [n(2, 6, 6, 3), n(3, 3, 3, 5)], f: ([x, w]) => ops.conv2dSame(x as tf.Tensor4D, w as tf.Tensor4D) },
  { name: 'ops.conv2dSame 5x5', inputs: [n(1, 5, 7, 2), n(5, 5, 2, 3)], f: ([x, w]) => ops.conv2dSame(x as tf.Tensor4D, w as tf.Tensor4D) },
  { name: 'stack', inputs: [n(3, 4), n(3, 4)], f: ([a, b]) => tf.stack([a, b], 1) },
  { name: 'split', inputs: [n(3, 6)], f: ([x]) => tf.split(x, 3, 1)[1] },
  {
    name: 'pad',
    inputs: [n(3, 4)],
    f: ([x]) =>
      tf.pad(x, [
        [1, 0],
        [0, 2],
      ]),
  },
  { name: 'tile', inputs: [n(2, 3)], f: ([x]) => tf.tile(x, [2, 1]) },
  { name: 'max', inputs: [n(3, 5)], f: ([x]) => tf.max(x, -1) },
  {
    name: 'einsum (cpu fallback kernel)',
    inputs: [n(2, 3), n(3, 4)],
    f: ([a, b]) => tf.einsum('ij,jk->ik', a, b),
    valueOnly: true,
  },
  {
    name: 'depthwiseConv2d (cpu fallback kernels)',
    inputs: [n(1, 5, 5, 2), n(3, 3, 2, 1)],
    f: ([x, w]) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'),
  },
  { name: 'ops.tanh', inputs: [n(4, 6)], f: ([x]) => ops.tanh(x) },
  { name: 'ops.gelu', inputs: [n(4, 6)], f: ([x]) => ops.gelu(x) },
  { name: 'ops.logSoftmax', inputs: [n(3, 2, 6)], f: ([x]) => ops.logSoftmax(x) },
  {
    name: 'AdamW update step',
    inputs: [n(4, 3), n(4, 3), n(4, 3), positive(4, 3)],
    f: ([param, grad, m, v]) => {
      // m' = b1 m + (1 - b1) g; v' = b2 v + (1 - b2) g^2; p' = p - lr (m'hat / (sqrt(v'hat) + eps) + wd p)
      const m1 = m.mul(0.9).add(grad.mul(0.1));
      const v1 = v.mul(0.999).add(grad.square().mul(0.001));
      const update = m1.div(0.1).div(tf.sqrt(v1.div(0.001)).add(1e-8));
      return param.sub(update.add(param.mul(0.01)).mul(1e-3));
    },
  },
];

type Evaluation = { value: number[]; grads: number[][]; tensorsLeaked: number; buffersLeaked: number };

function makeInput(spec: InputSpec, rng: Rng): tf.Tensor {
  return spec.positive ? randomUniform(spec.shape, rng, { min: 0.5, max: 2 }) : randomNormal(spec.shape, rng);
}

/** Value and gradient of sum(f(xs) * w) for a seeded projection w (tests the whole Jacobian). */
async function evaluate(backendName: string, opCase: OpCase): Promise<Evaluation> {
  await tf.setBackend(backendName);
  const before = tf.memory();
  const result = tf.tidy(() => {
    const rng = makeRng(hashString(opCase.name));
    const xs = opCase.inputs.map((spec) => makeInput(spec, rng));
    const value = opCase.f(xs);
    const projection = randomNormal(value.shape, rng);
    const loss = (...args: tf.Tensor[]): tf.Tensor => opCase.f(args).mul(projection).sum();
    const grads = opCase.valueOnly ? [] : tf.grads(loss)(xs);
    return { value: Array.from(value.dataSync()), grads: grads.map((g) => Array.from(g.dataSync())) };
  });
  const after = tf.memory();
  return {
    ...result,
    tensorsLeaked: after.numTensors - before.numTensors,
    buffersLeaked: after.numDataBuffers - before.numDataBuffers,
  };
}

function relativeError(actual: number[], expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    expect(Number.isFinite(actual[i])).toBe(true);
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
  }
  return maxDiff / Math.max(maxAbs, 1e-6);
}

beforeAll(async () => {
  await selectBackend({ environment: { SRUM_BACKEND: 'cpu' } });
  await selectBackend({ environment: { SRUM_BACKEND: 'wasm' } });
});
afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('wasm backend matches cpu in value and gradient', () => {
  it.each(CASES.map((opCase) => [opCase.name, opCase] as const))('%s', async (_name, opCase) => {
    const onWasm = await evaluate('wasm', opCase);
    const onCpu = await evaluate('cpu', opCase);
    expect(relativeError(onWasm.value, onCpu.value)).toBeLessThan(RELATIVE_TOLERANCE);
    expect(onWasm.grads.length).toBe(opCase.valueOnly ? 0 : opCase.inputs.length);
    onWasm.grads.forEach((grad, i) => expect(relativeError(grad, onCpu.grads[i])).toBeLessThan(RELATIVE_TOLERANCE));
    // The gradient must not be trivially zero (a silently dropped gradient would otherwise pass).
    expect(onCpu.grads.every((grad) => grad.some((g) => g !== 0))).toBe(true);
    expect([onWasm.tensorsLeaked, onWasm.buffersLeaked, onCpu.tensorsLeaked]).toEqual([0, 0, 0]);
  });

  it('replaced slicing kernels keep int32 and bool values', async () => {
    await tf.setBackend('wasm');
    tf.tidy(() => {
      const ints = tf.tensor2d(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [2, 3],
        'int32',
      );
      expect(tf.slice(ints, [0, 1], [2, 2]).arraySync()).toEqual([
        [2, 3],
        [5, 6],
      ]);
      expect(tf.unstack(ints, 1).map((t) => t.arraySync())).toEqual([
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      const flags = tf.tensor1d([true, false, true, true], 'bool');
      const [head, tail] = tf.split(flags, [1, 3]);
      expect([head.dtype, head.arraySync(), tail.arraySync()]).toEqual(['bool', [1], [0, 1, 1]]);
    });
  });

  it('covers every kernel filled for wasm', () => {
    const kernelOps: Record<(typeof FILLED_WASM_KERNELS)[number], string> = {
      UnsortedSegmentSum: 'unsortedSegmentSum',
      Conv2DBackpropFilter: 'conv2d patch embed (stride = kernel)',
      Einsum: 'einsum (cpu fallback kernel)',
      DepthwiseConv2dNativeBackpropFilter: 'depthwiseConv2d (cpu fallback kernels)',
      DepthwiseConv2dNativeBackpropInput: 'depthwiseConv2d (cpu fallback kernels)',
    };
    for (const kernel of FILLED_WASM_KERNELS) {
      expect(CASES.map((c) => c.name)).toContain(kernelOps[kernel]);
      expect(tf.getKernel(kernel, 'wasm')).toBeDefined();
    }
    expect(REPLACED_WASM_KERNELS).toEqual(['Slice', 'Unpack', 'SplitV']);
  });
});

describe('ops.matMul equals tf.matMul in value and gradient (wasm)', () => {
  // [name, a shape, b shape] before the transposes; every transpose combination is run.
  const SHAPES: Array<[string, number[], number[]]> = [
    ['2-D', [5, 7], [7, 3]],
    ['3-D batched', [2, 5, 4], [2, 4, 3]],
    ['4-D batched (attention)', [2, 3, 5, 4], [2, 3, 4, 6]],
    ['3-D a, 2-D b (folded)', [2, 5, 4], [4, 3]],
    ['4-D a, 2-D b (folded)', [2, 2, 5, 4], [4, 3]],
    ['3-D batched, bigger items', [3, 40, 24], [3, 24, 40]],
  ];
  const swap = (shape: number[]): number[] => [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
  const combos = SHAPES.flatMap(([name, aShape, bShape]) =>
    [false, true].flatMap((transposeA) => [false, true].map((transposeB) => ({ name, aShape, bShape, transposeA, transposeB }))),
  );

  it.each(combos)('$name transposeA=$transposeA transposeB=$transposeB', async (combo) => {
    await tf.setBackend('wasm');
    const before = tf.memory();
    tf.tidy(() => {
      const rng = makeRng(hashString(JSON.stringify(combo)));
      const a = randomNormal(combo.transposeA ? swap(combo.aShape) : combo.aShape, rng);
      const b = randomNormal(combo.transposeB ? swap(combo.bShape) : combo.bShape, rng);
      const options = { transposeA: combo.transposeA, transposeB: combo.transposeB };
      const expected = tf.matMul(a, b, combo.transposeA, combo.transposeB);
      const actual = matMul(a, b, options);
      expect(actual.shape).toEqual(expected.shape);
      expect(relativeError(Array.from(actual.dataSync()), Array.from(expected.dataSync()))).toBeLessThan(1e-5);
      const projection = randomNormal(expected.shape, rng);
      // tf.matMul's own gradient throws when a 2-D b broadcasts over a's batch (tfjs 4.22),
      // so the reference broadcasts b explicitly (broadcastTo's gradient sums over the batch).
      const broadcastB = (y: tf.Tensor): tf.Tensor => (y.rank === a.rank ? y : tf.broadcastTo(y, [...a.shape.slice(0, -2), ...y.shape]));
      const expectedGrads = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        tf.matMul(x, broadcastB(y), combo.transposeA, combo.transposeB).mul(projection).sum(),
      )([a, b]);
      const actualGrads = tf.grads((x: tf.Tensor, y: tf.Tensor) => matMul(x, y, options).mul(projection).sum())([a, b]);
      actualGrads.forEach((grad, i) => {
        expect(grad.shape).toEqual(expectedGrads[i].shape);
        expect(relativeError(Array.from(grad.dataSync()), Array.from(expectedGrads[i].dataSync()))).toBeLessThan(1e-5);
      });
    });
    const after = tf.memory();
    expect([after.numTensors - before.numTensors, after.numDataBuffers - before.numDataBuffers]).toEqual([0, 0]);
  });

  it('rejects mismatched batch axes clearly', () => {
    tf.tidy(() => {
      expect(() => matMul(tf.zeros([2, 3, 4]), tf.zeros([3, 4, 5]))).toThrow(/batch axes must match/);
    });
  });
});

describe('ops fast paths equal their tf definitions in value and gradient (wasm)', () => {
  const PAIRS: Array<[string, (x: tf.Tensor) => tf.Tensor, (x: tf.Tensor) => tf.Tensor]> = [
    ['tanh', ops.tanh, tf.tanh],
    ['gelu', ops.gelu, geluTanh],
    ['logSoftmax', ops.logSoftmax, (x) => tf.logSoftmax(x)],
  ];
  it.each(PAIRS)('%s', async (name, fast, reference) => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const rng = makeRng(hashString(name));
      const x = randomNormal([6, 40], rng, { std: 3 }); // wide range: saturation and large logits
      const projection = randomNormal([6, 40], rng);
      expect(relativeError(Array.from(fast(x).dataSync()), Array.from(reference(x).dataSync()))).toBeLessThan(1e-5);
      const fastGrad = tf.grad((t: tf.Tensor) => fast(t).mul(projection).sum())(x);
      const referenceGrad = tf.grad((t: tf.Tensor) => reference(t).mul(projection).sum())(x);
      expect(relativeError(Array.from(fastGrad.dataSync()), Array.from(referenceGrad.dataSync()))).toBeLessThan(1e-5);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('matMul leaks nothing outside tidy, forward and backward', async () => {
    await tf.setBackend('wasm');
    const rng = makeRng(11);
    const a = randomNormal([2, 6, 5], rng); // batched: the per-item XNNPACK path
    const b = randomNormal([2, 5, 4], rng);
    const before = tf.memory();
    const y = matMul(a, b, { transposeB: false });
    y.dispose();
    const grads = tf.grads((x: tf.Tensor, w: tf.Tensor) => matMul(x, w).sum())([a, b]);
    tf.dispose(grads);
    const after = tf.memory();
    expect([after.numTensors, after.numDataBuffers]).toEqual([before.numTensors, before.numDataBuffers]);
    tf.dispose([a, b]);
  });
});

describe('a tiny transformer training step agrees on wasm and cpu', () => {
  // tokens -> embedding, image -> conv patch embed, one attention + MLP block, CE + MSE loss.
  function trainingLossAndGrads(): { loss: number; grads: Record<string, number[]> } {
    const rng = makeRng(2024);
    const d = 8;
    const variable = (initial: tf.Tensor): tf.Variable => {
      const created = tf.variable(initial); // shares the data; the initial tensor handle is ours to drop
      initial.dispose();
      return created;
    };
    const weights: Record<string, tf.Variable> = {
      embedding: variable(randomNormal([10, d], rng)),
      patch: variable(randomNormal([4, 4, 3, d], rng, { std: 0.2 })),
      qkv: variable(randomNormal([d, 3 * d], rng, { std: 0.3 })),
      up: variable(randomNormal([d, 4 * d], rng, { std: 0.3 })),
      down: variable(randomNormal([4 * d, d], rng, { std: 0.3 })),
      head: variable(randomNormal([d, 10], rng, { std: 0.3 })),
    };
    const image = randomNormal([2, 8, 8, 3], rng); // [B, H, W, C]
    const tokens = tf.tensor2d(
      [
        [1, 4, 4, 9],
        [0, 2, 7, 3],
      ],
      [2, 4],
      'int32',
    ); // [B, Ttext]
    const { value, grads } = tf.variableGrads(() => {
      const text = tf.gather(weights.embedding, tokens); // [B, 4, D]
      const patches = tf.conv2d(image as tf.Tensor4D, weights.patch as tf.Tensor4D, 4, 'valid').reshape([2, 4, d]);
      const x = tf.concat([text, patches], 1); // [B, T=8, D]
      const [q, k, v] = tf.split(ops.matMul(layerNorm(x), weights.qkv), 3, 2); // 3 x [B, T, D]
      const heads = (t: tf.Tensor): tf.Tensor => tf.transpose(t.reshape([2, 8, 2, d / 2]), [0, 2, 1, 3]); // [B, H, T, Dh]
      const scores = ops.matMul(heads(q), heads(k), { transposeB: true }).mul(1 / Math.sqrt(d / 2)); // [B, H, T, T]
      const attended = ops.matMul(tf.softmax(scores), heads(v)); // [B, H, T, Dh]
      const h = x.add(tf.transpose(attended, [0, 2, 1, 3]).reshape([2, 8, d])); // [B, T, D]
      const y = h.add(ops.matMul(ops.gelu(ops.matMul(layerNorm(h), weights.up)), weights.down)); // [B, T, D]
      const logits = ops.matMul(tf.slice(y, [0, 0, 0], [2, 4, d]), weights.head); // [B, 4, vocab]
      const crossEntropy = tf.neg(tf.mean(tf.sum(tf.oneHot(tokens, 10).mul(ops.logSoftmax(logits)), -1)));
      const imageLoss = tf.mean(tf.square(tf.slice(y, [0, 4, 0], [2, 4, d]))); // a flow-matching-like MSE
      return crossEntropy.add(imageLoss) as tf.Scalar;
    }, Object.values(weights));
    const result = {
      loss: value.dataSync()[0],
      grads: Object.fromEntries(Object.entries(weights).map(([name, w]) => [name, Array.from(grads[w.name].dataSync())])),
    };
    tf.dispose([value, image, tokens, ...Object.values(grads), ...Object.values(weights)]);
    return result;
  }

  it('loss and every weight gradient match to 1e-4, with no leaks', async () => {
    const results: Record<string, { loss: number; grads: Record<string, number[]> }> = {};
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      results[backend] = trainingLossAndGrads();
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(Math.abs(results.wasm.loss - results.cpu.loss) / Math.abs(results.cpu.loss)).toBeLessThan(1e-4);
    for (const name of Object.keys(results.cpu.grads)) {
      expect(results.cpu.grads[name].some((g) => g !== 0)).toBe(true);
      expect(relativeError(results.wasm.grads[name], results.cpu.grads[name])).toBeLessThan(1e-4);
    }
  });
});
