// One rectified-flow training step: sample t and eps, drop text, predict, loss, gradients, AdamW.
// Every tensor made here is released before returning (tf.tidy), so a loop of steps leaks nothing.
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import type { Rng } from '../rng';
import { modelDims } from './config';
import { dropText, flowLoss, flowSquaredError, noisyInput, sampleTrainingTimesteps, type FlowConfig } from './flow';
import type { AdamW } from './optimizer';
import { planConditioning, thinkingWithText } from './plan';
import { predictVelocity } from './transformer';
import type { UnifiedModel } from './param-types';

export interface FlowBatch {
  batchSize: number;
  /** Clean image tokens x0, [B, Np, patchDim]: pixel patches in [-1, 1] (patchify()). */
  x0: Float32Array;
  /** Prompt token ids, [B, maxTextTokens], 0 = PAD. */
  textTokens: Int32Array;
  /** Optional per-token loss weight (reward map on the token grid), [B, Np]. */
  weight?: Float32Array;
  /** Layout plans [B, PLAN_SLOTS, fields] (lib/train/plan.ts); read on the rows `thinking` marks. */
  plan?: Int32Array;
  /**
   * Think-mode conditioning, [B]: 1 = condition on the row's plan, 0 = on the null plan (plan.ts). A row whose
   * prompt is dropped (or all PAD) always gets the null plan: that pair is CFG's unconditional branch.
   * Undefined: no plan tokens at all, the sequence is [text ; image].
   */
  thinking?: Uint8Array;
}

export interface FlowStepOptions {
  model: UnifiedModel;
  optimizer: AdamW;
  batch: FlowBatch;
  /** Source of t, eps and text dropout for this step. */
  rng: Rng;
  flow: FlowConfig;
  /** Overrides the optimizer's learning rate for this step (warm-up schedules). */
  learningRate?: number;
}

export interface FlowStepResult {
  loss: number;
  /** Flow time of each sample (for per-t-bin loss logs). */
  t: Float32Array;
  /** Mean squared velocity error of each sample (unweighted). */
  perSampleLoss: Float32Array;
  gradNorm: number;
}

export function flowTrainStep({ model, optimizer, batch, rng, flow, learningRate }: FlowStepOptions): FlowStepResult {
  const { imageTokens, patchDim } = modelDims(model.config);
  const shape: [number, number, number] = [batch.batchSize, imageTokens, patchDim];
  const t = sampleTrainingTimesteps(batch.batchSize, rng, flow.timestepShift);
  const textTokens = dropText(batch.textTokens, batch.batchSize, flow.textDropProb, rng);
  const thinking = batch.thinking === undefined ? undefined : thinkingWithText(batch.thinking, textTokens, model.config.maxTextTokens);
  const { loss, perSample, grads } = tf.tidy(() => {
    const x0 = tf.tensor3d(batch.x0, shape);
    const eps = randomNormal(shape, rng) as tf.Tensor3D;
    const tTensor = tf.tensor1d(t);
    const weight = batch.weight === undefined ? undefined : tf.tensor2d(batch.weight, [batch.batchSize, imageTokens]);
    // Eq. x_t = (1 - t) x0 + t eps; the network predicts v = eps - x0.
    const xt = noisyInput(x0, eps, tTensor);
    // vTheta is kept past variableGrads' own scope for the per-sample errors.
    let vTheta: tf.Tensor3D | undefined;
    const { value, grads: gradMap } = tf.variableGrads(() => {
      // The plan tokens are built inside, so the plan embeddings get gradients too.
      const plan = thinking === undefined ? {} : planConditioning(model, batch.batchSize, { plan: batch.plan, thinking });
      vTheta = tf.keep(predictVelocity(model, { xt, t: tTensor, textTokens, ...plan }));
      return flowLoss({ vTheta, x0, eps, weight });
    }, optimizer.variables as tf.Variable[]);
    const perSampleError = tf.mean(flowSquaredError({ vTheta: vTheta as tf.Tensor3D, x0, eps }), 1); // [B]
    (vTheta as tf.Tensor3D).dispose();
    return { loss: value, perSample: perSampleError, grads: optimizer.variables.map((v) => gradMap[v.name]) };
  });
  const { gradNorm } = optimizer.applyGradients(grads, learningRate);
  const result: FlowStepResult = { loss: loss.dataSync()[0], t, perSampleLoss: perSample.dataSync() as Float32Array, gradNorm };
  tf.dispose([loss, perSample, ...grads]);
  return result;
}
