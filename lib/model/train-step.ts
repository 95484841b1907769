// One rectified-flow training step: sample t and eps, drop text, predict, loss, gradients, AdamW.
// Every tensor made here is released before returning (tf.tidy), so a loop of steps leaks nothing.
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import type { Rng } from '../rng';
import { modelDims } from './config';
import { dropText, flowLoss, flowSquaredError, noisyInput, sampleTrainingTimesteps, type FlowConfig } from './flow';
import type { AdamW } from './optimizer';
import { planConditioning, thinkingWithText } from './plan';
import { alignProjection, cleanEstimate, cleanImageTokens, predictVelocity, predictVelocityWithHidden } from './transformer';
import type { UnifiedModel } from './params';

export interface FlowBatch {
  batchSize: number;
  /** Clean generation tokens x0, [B, Np, generationDim]: pixel patches in [-1, 1] (patchify()) or latents (image-tokens.ts). */
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
  /** Representation-alignment weight (ModelConfig.alignLayer must be > 0); 0 or undefined = off. */
  alignWeight?: number;
}

export interface FlowStepResult {
  loss: number;
  /** Flow time of each sample (for per-t-bin loss logs). */
  t: Float32Array;
  /** Mean squared velocity error of each sample (unweighted). */
  perSampleLoss: Float32Array;
  gradNorm: number;
  /** Alignment loss 1 - mean cosine similarity (when alignWeight > 0). */
  alignLoss?: number;
}

/** 1 - mean cosine similarity over tokens between projected generation states and the clean-image target (REPA). */
function alignmentLoss(projected: tf.Tensor3D, target: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const unit = (x: tf.Tensor3D): tf.Tensor => tf.div(x, tf.add(tf.norm(x, 'euclidean', -1, true), 1e-6));
    return tf.sub(1, tf.mean(tf.sum(tf.mul(unit(projected), unit(target)), -1))) as tf.Scalar;
  });
}

export function flowTrainStep({ model, optimizer, batch, rng, flow, learningRate, alignWeight = 0 }: FlowStepOptions): FlowStepResult {
  const aligning = alignWeight > 0;
  if (aligning && model.config.alignLayer === 0) throw new Error('flowTrainStep: alignWeight > 0 needs a model with alignLayer > 0 (the projector)');
  const { imageTokens, generationDim } = modelDims(model.config);
  const shape: [number, number, number] = [batch.batchSize, imageTokens, generationDim];
  const t = sampleTrainingTimesteps(batch.batchSize, rng, flow.timestepShift);
  const textTokens = dropText(batch.textTokens, batch.batchSize, flow.textDropProb, rng);
  const useSelfCond = model.config.selfCondition && rng.next() < 0.5; // drawn only with the option: other streams stay as they were
  const thinking = batch.thinking === undefined ? undefined : thinkingWithText(batch.thinking, textTokens, model.config.maxTextTokens);
  const { flowTerm, perSample, grads, align } = tf.tidy(() => {
    const x0 = tf.tensor3d(batch.x0, shape);
    const eps = randomNormal(shape, rng) as tf.Tensor3D;
    const tTensor = tf.tensor1d(t);
    const weight = batch.weight === undefined ? undefined : tf.tensor2d(batch.weight, [batch.batchSize, imageTokens]);
    // Eq. x_t = (1 - t) x0 + t eps; the network predicts v = eps - x0.
    const xt = noisyInput(x0, eps, tTensor);
    const planFor = (): Partial<ReturnType<typeof planConditioning>> => (thinking === undefined ? {} : planConditioning(model, batch.batchSize, { plan: batch.plan, thinking }));
    // Self-conditioning: on half the batches, a first prediction without it becomes the input x0_hat (a constant).
    const selfCond = useSelfCond ? cleanEstimate(xt, tTensor, predictVelocity(model, { xt, t: tTensor, textTokens, ...planFor() })) : undefined;
    // REPA target: the clean image read the understanding way, with the undropped prompt (a constant here), minus
    // its batch mean per token: both passes add the same position embeddings, which would otherwise align for free.
    const target = aligning ? tf.tidy(() => { const clean = cleanImageTokens(model, x0, batch.textTokens); return tf.sub(clean, tf.mean(clean, 0, true)) as tf.Tensor3D; }) : undefined;
    // vTheta and the loss terms are kept past variableGrads' own scope; the reported loss is the flow term alone.
    let vTheta: tf.Tensor3D | undefined;
    let flowTerm: tf.Scalar | undefined;
    let alignTerm: tf.Scalar | undefined;
    const { grads: gradMap } = tf.variableGrads(() => {
      const inputs = { xt, t: tTensor, textTokens, ...planFor(), selfCond };
      const { v, hidden } = target === undefined ? { v: predictVelocity(model, inputs), hidden: undefined } : predictVelocityWithHidden(model, inputs, model.config.alignLayer);
      vTheta = tf.keep(v);
      flowTerm = tf.keep(flowLoss({ vTheta, x0, eps, weight }));
      if (target === undefined || hidden === undefined) return flowTerm;
      alignTerm = tf.keep(alignmentLoss(alignProjection(model, hidden), target));
      return tf.add(flowTerm, tf.mul(alignWeight, alignTerm)) as tf.Scalar;
    }, optimizer.variables as tf.Variable[]);
    const perSampleError = tf.mean(flowSquaredError({ vTheta: vTheta as tf.Tensor3D, x0, eps }), 1); // [B]
    (vTheta as tf.Tensor3D).dispose();
    return { flowTerm: flowTerm as tf.Scalar, perSample: perSampleError, grads: optimizer.variables.map((v) => gradMap[v.name]), align: alignTerm };
  });
  const { gradNorm } = optimizer.applyGradients(grads, learningRate);
  const result: FlowStepResult = {
    loss: flowTerm.dataSync()[0],
    t,
    perSampleLoss: perSample.dataSync() as Float32Array,
    gradNorm,
    ...(align === undefined ? {} : { alignLoss: align.dataSync()[0] }),
  };
  tf.dispose([flowTerm, perSample, ...grads, ...(align === undefined ? [] : [align])]);
  return result;
}
