// Where a training step's time goes: tf.profile's per-kernel wall times, summed by kernel name.
import * as tf from '../lib/backend/tf';
import { modelDims } from '../lib/model/config';
import type { UnifiedModel } from '../lib/model/params';
import { planTokens } from '../lib/model/plan';
import type { FlowBatch } from '../lib/model/train-step';
import { predictVelocity } from '../lib/model/transformer';

export interface StepProfile {
  /** Human-readable lines, largest first. */
  lines: string[];
  /** Kernel name -> total ms in one step (top 12). */
  topKernels: Record<string, number>;
}

export async function profileTrainStep(step: () => void): Promise<StepProfile> {
  const started = performance.now();
  const info = await tf.profile(() => {
    step();
    return [];
  });
  const wallMs = performance.now() - started;
  return summarise(info, wallMs);
}

function summarise(info: Awaited<ReturnType<typeof tf.profile>>, wallMs: number): StepProfile {
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const kernel of info.kernels) {
    // Op wrappers and customGrad scopes contain kernels listed separately: skip them to avoid double counting.
    if (kernel.name.endsWith('__op') || kernel.name === 'unnamed scope') continue;
    // Matmuls are split by input shapes: attention's batched ones and the dense layers differ 10x in speed.
    const key = kernel.name.includes('MatMul') ? `${kernel.name} ${kernel.inputShapes.map((s) => `[${s}]`).join('x')}` : kernel.name;
    const entry = byName.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += Number(kernel.kernelTimeMs) || 0;
    entry.calls += 1;
    byName.set(key, entry);
  }
  const sorted = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = sorted.reduce((sum, [, e]) => sum + e.ms, 0);
  const lines = [`profile: wall ${wallMs.toFixed(0)} ms (profiled), kernels ${kernelMs.toFixed(0)} ms (own time, wrappers excluded)`];
  for (const [name, e] of sorted.slice(0, 30))
    lines.push(`  ${name.padEnd(48)} ${e.ms.toFixed(1).padStart(8)} ms ${String(e.calls).padStart(6)} calls`);
  const topKernels: Record<string, number> = {};
  for (const [name, e] of sorted.slice(0, 12)) topKernels[name] = Math.round(e.ms * 10) / 10;
  return { lines, topKernels };
}

/** Wall time of a forward pass alone (plan tokens included) and of a whole training step (best of 3 each). */
export function forwardBackwardSplit(model: UnifiedModel, batch: FlowBatch, step: () => void): { forwardMs: number; stepMs: number } {
  const { imageTokens, generationDim } = modelDims(model.config);
  const forward = (): void => {
    tf.tidy(() => {
      const xt = tf.tensor3d(batch.x0, [batch.batchSize, imageTokens, generationDim]);
      const extra =
        batch.thinking === undefined ? undefined : planTokens(model, batch.batchSize, { plan: batch.plan, thinking: batch.thinking }); // [B, S, D], as flowTrainStep
      predictVelocity(model, { xt, t: tf.fill([batch.batchSize], 0.5) as tf.Tensor1D, textTokens: batch.textTokens, extra }).dataSync();
    });
  };
  const best = (run: () => void): number => {
    let ms = Infinity;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      run();
      ms = Math.min(ms, performance.now() - started);
    }
    return ms;
  };
  return { forwardMs: best(forward), stepMs: best(step) };
}
