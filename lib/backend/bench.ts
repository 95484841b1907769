// Forward + backward timing of a d=128 MLP block and attention blocks: plain tfjs ops
// (tf.matMul, tanh-form GELU with pow/tanh) vs lib/backend/ops (explicit-transpose matMul,
// sigmoid-form GELU). Run: npx ts-node lib/backend/bench.ts [iterations]
import { makeRng } from '../rng';
import { gelu, matMul } from './ops';
import { randomNormal } from './random';
import { initBackend } from './select';
import * as tf from './tf';

type MatMulFn = (a: tf.Tensor, b: tf.Tensor, transposeB: boolean) => tf.Tensor;
type Variant = { mm: MatMulFn; activation: (x: tf.Tensor) => tf.Tensor };

const geluAsWritten = (x: tf.Tensor): tf.Tensor =>
  x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
const viaTf: Variant = { mm: (a, b, transposeB) => tf.matMul(a, b, false, transposeB), activation: geluAsWritten };
const viaOps: Variant = { mm: (a, b, transposeB) => matMul(a, b, { transposeB }), activation: gelu };

export interface BenchResult {
  block: string;
  /** Median ms with tf.matMul (transpose flags) and the tanh-form GELU as usually written. */
  tfMatMulMs: number;
  /** Median ms with ops.matMul and ops.gelu. */
  opsMatMulMs: number;
  speedUp: number;
}

/** Median wall time in ms of `step` (each call fully synchronous through dataSync). */
function medianMs(step: () => void, iterations: number): number {
  step(); // warm-up: kernel setup and allocation
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    step();
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

/** Loss and all gradients of an MLP block: x [B*T, D] -> 4D (activation) -> D. */
function mlpStep(variant: Variant, x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor): void {
  const { mm, activation } = variant;
  tf.tidy(() => {
    const grads = tf.grads((input: tf.Tensor, first: tf.Tensor, second: tf.Tensor) => {
      const hidden = activation(mm(input, first, false)); // [B*T, 4D]
      return mm(hidden, second, false).square().mean(); // [B*T, D] -> scalar
    })([x, w1, w2]);
    grads.forEach((g) => g.dataSync());
  });
}

/** Loss and gradients of softmax(q kT / sqrt(Dh)) v with q, k, v [B, H, T, Dh]. */
function attentionStep(variant: Variant, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): void {
  const { mm } = variant;
  tf.tidy(() => {
    const scale = 1 / Math.sqrt(q.shape[3] ?? 1);
    const grads = tf.grads((query: tf.Tensor, key: tf.Tensor, value: tf.Tensor) => {
      const weights = tf.softmax(mm(query, key, true).mul(scale)); // [B, H, T, T]
      return mm(weights, value, false).square().mean(); // [B, H, T, Dh] -> scalar
    })([q, k, v]);
    grads.forEach((g) => g.dataSync());
  });
}

export async function benchmarkMatMul(iterations = 10): Promise<BenchResult[]> {
  const rng = makeRng(0);
  const d = 128;
  const rows = 8 * 64; // B = 8 sequences of T = 64 tokens, folded into rows
  const x = randomNormal([rows, d], rng);
  const w1 = randomNormal([d, 4 * d], rng, { std: 0.05 });
  const w2 = randomNormal([4 * d, d], rng, { std: 0.05 });
  const attentionInputs = [64, 256].map((tokens) => [0, 1, 2].map(() => randomNormal([8, 4, tokens, d / 4], rng)));
  const results: BenchResult[] = [];
  const record = (block: string, run: (variant: Variant) => void): void => {
    const tfMatMulMs = medianMs(() => run(viaTf), iterations);
    const opsMatMulMs = medianMs(() => run(viaOps), iterations);
    results.push({ block, tfMatMulMs, opsMatMulMs, speedUp: tfMatMulMs / opsMatMulMs });
  };
  const identity = (t: tf.Tensor): tf.Tensor => t;
  record(`MLP d=${d} matmuls only (x [${rows}, ${d}])`, (variant) => mlpStep({ ...variant, activation: identity }, x, w1, w2));
  record(`MLP d=${d} with GELU (x [${rows}, ${d}])`, (variant) => mlpStep(variant, x, w1, w2));
  for (const [q, k, v] of attentionInputs) {
    record(`attention B=8 H=4 T=${q.shape[2]} Dh=${d / 4}`, (variant) => attentionStep(variant, q, k, v));
  }
  tf.dispose([x, w1, w2, ...attentionInputs.flat()]);
  return results;
}

if (require.main === module) {
  const iterations = Number(process.argv[2] ?? 10);
  initBackend()
    .then(() => benchmarkMatMul(iterations))
    .then((results) => {
      for (const r of results) {
        const line = `${r.block}: tfjs ops ${r.tfMatMulMs.toFixed(1)} ms, lib/backend/ops ${r.opsMatMulMs.toFixed(1)} ms`;
        console.log(`${line}, speed-up x${r.speedUp.toFixed(2)} (forward + backward, median of ${iterations})`);
      }
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
