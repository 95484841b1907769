// Eq. 1 in one file: the judge's reward map in, the weighted loss out (paper Sec. 3.3; released code:
// reference/official-srum.md, "Loss"). Read it next to the paper:
//
//   Eq. 1   L_r   = E[ alpha * R ⊙ (vTheta - (eps - x0))^2 ]        the reward-weighted flow loss
//   Eq. 2   L_ref = E[ || vTheta - (eps - x0_gt) ||^2 ]             the reference constraint
//   Eq. 3   L     = L_r + lambda_c * L_ref                          (+ planWeight * L_think, below)
//
// Flow conventions are lib/model/flow.ts's: t = 1 is pure noise, x_t = (1 - t) * x0 + t * eps, velocity target
// v = eps - x0; generation tokens [B, Np, generationDim] (image-tokens.ts). In order, this file holds:
//   1. alpha * R on the loss grid (candidateReward): lib/reward/rewardMap.ts builds the map at image resolution in
//      the chosen mode with alpha already applied ('official': 0.5 baseline, max with (score + 1) / 2, times
//      alpha = (g + 1) / 2, in [0, 1] as released; 'signed': the paper's alpha * R with R in [-1, 1]; ablations);
//      here it is resized bilinearly (align_corners = false) to the patch grid, and SrumConfig.positiveOnly drops a
//      candidate whose global score g is <= 0. The loss itself never rescales R.
//   2. R - mean R (centreRewards), SrumConfig.advantage: a baseline over all kept candidates.
//   3. The SFT special case and lambda_c (lossSettings): SFT is R = 1 and lambda_c = 0, on the same candidates.
//   4. Eqs. 1-3 on given tensors (srumObjective): the part the tests check by hand.
//   5. The think term (thinkTerm): plan cross-entropy on each think-mode candidate's own plan.
//   6. One sampled loss (srumLoss): t and eps, the velocity the loss reads (lossVelocity), Eqs. 1-3.
//   7. What Eq. 1 weights, patch by patch (patchErrorMaps): the error map and R times it, for figures.
// Paper vs released code: the paper's target uses an artifact-free x0_gt; the released data recipe sets
// x_good = x_bad = the model's own candidate, so both terms regress onto the candidate x0 unless
// SrumConfig.reference is 'ground-truth' (x0_gt = a world render of the prompt, lib/train/srum-data.ts). One eps
// and one t per sample are shared by L_r and L_ref, as released.
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import type { Rng } from '../rng';
import { flowLoss, flowSquaredError, guidedVelocity, noisyInput, sampleTrainingTimesteps } from '../model/flow';
import { planConditioning } from '../model/plan';
import { predictVelocity } from '../model/transformer';
import type { UnifiedModel } from '../model/params';
import { DroppedRecordError } from '../reward/loaderRules';
import { resizeBilinear } from '../reward/resize';
import { layoutScore, rewardMap, type RewardMode, type RewardSource } from '../reward/rewardMap';
import { planLoss } from './head-losses';
import type { PlanReward, SrumConfig } from './srum-config';

// ---- 1. alpha * R on the loss grid ----

export interface CandidateRewardOptions {
  mode: RewardMode;
  /** The candidate image's size in pixels (the map's resolution). */
  width: number;
  height: number;
  /** The loss grid, gridSize x gridSize patches. */
  gridSize: number;
  /** Drop a candidate whose global layout score g is <= 0 (SrumConfig.positiveOnly). */
  positiveOnly?: boolean;
  /** What planWeight holds (SrumConfig.planReward; default 'alpha'). */
  planReward?: PlanReward;
}

export type CandidateReward =
  /** reward: alpha * R on the patch grid, [Hp * Wp]; planWeight: the think term's weight of this candidate's plan. */
  | { reward: Float32Array; planWeight: number }
  /** Why the candidate does not train: the released loader drops its record, or positiveOnly. */
  | { dropped: string };

/** alpha * R of one judge record on the loss grid, or why the candidate is dropped. */
export function candidateReward(record: RewardSource, options: CandidateRewardOptions): CandidateReward {
  const { width, height, gridSize } = options;
  let pixelMap: Float32Array;
  let g: number; // the global layout score in [-1, 1]
  try {
    pixelMap = rewardMap(record, { mode: options.mode, width, height }); // [H * W], alpha applied per mode
    g = layoutScore(record);
  } catch (error) {
    if (!(error instanceof DroppedRecordError)) throw error;
    return { dropped: error.message };
  }
  if (options.positiveOnly === true && g <= 0) return { dropped: 'global layout score <= 0 (positiveOnly)' };
  const reward = resizeBilinear(pixelMap, { fromW: width, fromH: height, toW: gridSize, toH: gridSize }); // [Hp * Wp]
  return { reward, planWeight: options.planReward === 'positive' ? Math.max(0, g) : (g + 1) / 2 }; // max(0, g) or alpha
}

// ---- 2. R - mean R ----

/** R - mean R in place, the mean over every value of every kept candidate's map (SrumConfig.advantage); returns the mean. */
export function centreRewards(data: { reward: Float32Array[] }): number {
  const count = data.reward.reduce((n, r) => n + r.length, 0);
  const mean = data.reward.reduce((sum, r) => sum + r.reduce((a, b) => a + b, 0), 0) / count;
  for (const r of data.reward) for (let i = 0; i < r.length; i++) r[i] -= mean;
  return mean;
}

// ---- 3. The SFT special case and lambda_c ----

export interface LossSettings {
  /** Weight the error by R (SRUM) or not (SFT: R = 1). */
  rewardWeighted: boolean;
  /** lambda_c of Eq. 3: SrumConfig.lambdaC for SRUM, 0 for SFT; 0 also means x0_gt is never built nor read. */
  lambdaC: number;
  /** Centre R on its mean (SRUM with SrumConfig.advantage). */
  centred: boolean;
  /** Keep only candidates with g > 0 (SRUM with SrumConfig.positiveOnly). */
  positiveOnly: boolean;
  /** Build each candidate's ground-truth x0_gt (reference 'ground-truth' with lambda_c > 0). */
  groundTruthReference: boolean;
}

/** What the loss reads for a config: the one place SFT and lambda_c = 0 are resolved. */
export function lossSettings(config: SrumConfig): LossSettings {
  const srum = config.method === 'srum';
  const lambdaC = srum ? config.lambdaC : 0;
  return {
    rewardWeighted: srum,
    lambdaC,
    centred: srum && config.advantage,
    positiveOnly: srum && config.positiveOnly,
    groundTruthReference: config.reference === 'ground-truth' && lambdaC > 0,
  };
}

// ---- 4. Eqs. 1-3 on given tensors ----

export interface SrumObjectiveInputs {
  /** Predicted velocity v_theta, [B, Np, generationDim]. */
  vTheta: tf.Tensor3D;
  /** Candidate image tokens x0 (= x_bad = x_good), [B, Np, generationDim]. */
  x0: tf.Tensor3D;
  /** The noise eps that built x_t, [B, Np, generationDim]. */
  eps: tf.Tensor3D;
  /** alpha * R on the patch grid, [B, Hp, Wp], broadcast over a patch's values; undefined = R = 1 (SFT). */
  rewardMap?: tf.Tensor;
  /** Weight of the reference term (0 = no reference term, and the SFT baseline). */
  lambdaC: number;
  /** L_ref on its own x_0^gt (reference 'ground-truth'): the velocity predicted from its x_t and that x0; absent = the candidate. */
  reference?: { vTheta: tf.Tensor3D; x0: tf.Tensor3D };
}

export interface SrumTerms {
  /** L = L_r + lambdaC * L_ref (Eq. 3). */
  loss: tf.Scalar;
  /** L_r (Eq. 1). */
  rewardLoss: tf.Scalar;
  /** L_ref (Eq. 2), computed (and logged) whatever lambdaC. */
  referenceLoss: tf.Scalar;
}

export function srumObjective({ vTheta, x0, eps, rewardMap, lambdaC, reference }: SrumObjectiveInputs): SrumTerms {
  return tf.tidy(() => {
    // Eq. 1: L_r = E[ alpha * R ⊙ (vTheta - (eps - x0))^2 ]   (alpha * R as the reward mode built it)
    const rewardLoss = flowLoss({ vTheta, x0, eps, weight: rewardMap });
    // Eq. 2: L_ref = E[ (vTheta - (eps - x0_gt))^2 ]   (x0_gt = the candidate as released, or the artifact-free render)
    const gt = reference ?? { vTheta, x0 };
    const referenceLoss = flowLoss({ vTheta: gt.vTheta, x0: gt.x0, eps });
    // Eq. 3: L = L_r + lambdaC * L_ref
    const loss = lambdaC === 0 ? rewardLoss.clone() : tf.add(rewardLoss, tf.mul(lambdaC, referenceLoss));
    return { loss: loss as tf.Scalar, rewardLoss, referenceLoss };
  });
}

// ---- 5. The think term ----

export interface ThinkBatch {
  /** Undropped prompt ids, [B * maxTextTokens]. */
  textTokens: Int32Array;
  /** [B, PLAN_SLOTS, fields], PLAN_IGNORE on rows without a plan. */
  plan?: Int32Array;
  /** [B] each candidate's planWeight from candidateReward. */
  layoutReward?: Float32Array;
}

/**
 * L_think (SrumConfig.planWeight): plan cross-entropy on each think-mode candidate's own plan, from its undropped
 * prompt, weighted by its layout reward for SRUM ('local-only', the no-global-reward ablation: 1) and by 1 for SFT.
 * Not in the paper or the released code. Undefined when the term is off or no candidate of the batch has a plan.
 */
export function thinkTerm(
  model: UnifiedModel,
  batch: ThinkBatch,
  config: SrumConfig,
  options: { detach?: boolean } = {},
): tf.Scalar | undefined {
  if (config.planWeight === 0 || batch.plan === undefined || batch.layoutReward === undefined) return undefined;
  const rewarded = lossSettings(config).rewardWeighted && config.rewardMode !== 'local-only';
  return planLoss(model, batch.textTokens, batch.plan, rewarded ? batch.layoutReward : undefined, options).total;
}

// ---- 6. One sampled loss ----

export interface SrumLossOptions {
  model: UnifiedModel;
  /** Candidate image tokens, [B, Np, generationDim]. */
  x0: tf.Tensor3D;
  /** Prompt token ids, [B * maxTextTokens] row-major (text dropout already applied by the caller). */
  textTokens: Int32Array;
  /** alpha * R on the patch grid, [B, Hp, Wp]; undefined = SFT (R = 1). */
  rewardMap?: tf.Tensor;
  lambdaC: number;
  /** Source of t (first, B draws) and eps (then, B * Np * generationDim draws). */
  rng: Rng;
  /** Timestep shift s of the training t (lib/model/flow.ts). */
  timestepShift: number;
  /** Lowest flow time of the loss (SrumConfig.minTimestep): t is mapped from [0, 1] to [minTimestep, 1]; default 0. */
  minTimestep?: number;
  /**
   * Think-mode candidates: the plan each was generated from, [B, PLAN_SLOTS, fields] (lib/model/plan.ts), and the
   * rows that condition on it (after text dropout: thinkingWithText); absent = every row reads the null plan.
   */
  plan?: Int32Array;
  thinking?: Uint8Array;
  /**
   * CFG scale w of the velocity the loss reads (default 1: the conditional velocity, as released). With w > 1 a
   * second pass reads PAD text and the null plan, and the loss is on v_u + w (v_c - v_u): the sampler's velocity.
   */
  guidanceScale?: number;
  /** x_0^gt for L_ref (reference 'ground-truth'): tokens [B, Np, generationDim] and, for think rows, its plan. */
  reference?: { x0: tf.Tensor3D; plan?: Int32Array };
}

export interface SrumLossResult extends SrumTerms {
  /** Flow time of each sample, shared by both terms. */
  t: Float32Array;
  /** Unweighted mean squared velocity error of each sample, [B] (per-t-bin logs). */
  perSampleError: tf.Tensor1D;
}

export interface LossVelocityOptions {
  model: UnifiedModel;
  /** Candidate image tokens x0, [B, Np, generationDim]. */
  x0: tf.Tensor3D;
  /** Prompt token ids, [B * maxTextTokens]. */
  textTokens: Int32Array;
  /** Flow time of each sample, [B]. */
  t: Float32Array;
  /** The noise that builds x_t, [B, Np, generationDim]. */
  eps: tf.Tensor3D;
  plan?: Int32Array;
  thinking?: Uint8Array;
  guidanceScale?: number;
}

/** v_theta as the loss reads it at times t and noise eps (SrumLossOptions says what each option means), [B, Np, generationDim]. */
export function lossVelocity(options: LossVelocityOptions): tf.Tensor3D {
  const { model, x0, textTokens, eps, plan, thinking, guidanceScale = 1 } = options;
  const [batch] = x0.shape;
  const t = tf.tensor1d(options.t);
  const xt = noisyInput(x0, eps, t); // x_t = (1 - t) x0 + t eps, from the candidate (x_bad)
  // Sampling always reads 4 plan tokens (the null plan unless thinking, lib/generate/sampler.ts): train the same way,
  // a think-mode candidate conditioned on the plan it was drawn from.
  const vCond = predictVelocity(model, { xt, t, textTokens, ...planConditioning(model, batch, { plan, thinking }) });
  if (guidanceScale === 1) return vCond;
  // With guidance, the unconditional branch as the sampler reads it (PAD text, null plan), same x_t and t.
  const padText = new Int32Array(textTokens.length);
  const vUncond = predictVelocity(model, { xt, t, textTokens: padText, ...planConditioning(model, batch) });
  return guidedVelocity(vCond, vUncond, guidanceScale);
}

/** One sampled SRUM loss (or SFT with rewardMap undefined and lambdaC 0); call inside tf.variableGrads / tf.tidy. */
export function srumLoss(options: SrumLossOptions): SrumLossResult {
  const { model, x0, textTokens, rewardMap, lambdaC, rng, plan, thinking, guidanceScale, reference } = options;
  const [batch] = x0.shape;
  const t = sampleTrainingTimesteps(batch, rng, options.timestepShift);
  const floor = options.minTimestep ?? 0;
  for (let b = 0; b < batch; b++) t[b] = floor + (1 - floor) * t[b]; // t = 1 is pure noise
  const eps = randomNormal(x0.shape, rng) as tf.Tensor3D; // one eps for both terms
  const vTheta = lossVelocity({ model, x0, textTokens, t, eps, plan, thinking, guidanceScale });
  // The paper's x0_gt gets its own x_t (same t and eps) and its own plan, and the conditional velocity whatever the
  // guidance: a render is data, and the conditional branch is what pretraining fits to data.
  const gt = reference && {
    x0: reference.x0,
    vTheta: lossVelocity({ model, x0: reference.x0, textTokens, t, eps, plan: reference.plan, thinking }),
  };
  const terms = srumObjective({ vTheta, x0, eps, rewardMap, lambdaC, reference: gt });
  const perSampleError = tf.mean(flowSquaredError({ vTheta, x0, eps }), 1) as tf.Tensor1D; // [B]
  return { ...terms, t, perSampleError };
}

// ---- 7. What Eq. 1 weights, patch by patch ----

export interface PatchErrorMaps {
  /** (vTheta - (eps - x0))^2 averaged over each patch's values, [B, Hp, Wp]. */
  error: tf.Tensor3D;
  /** alpha * R times that error, [B, Hp, Wp]: its mean over every patch is L_r (Eq. 1); = error when rewardMap is undefined. */
  weighted: tf.Tensor3D;
}

/** Eq. 1 before its mean, on the patch grid: where the loss pulls, and how hard once the reward map weights it. */
export function patchErrorMaps({ vTheta, x0, eps, rewardMap }: Omit<SrumObjectiveInputs, 'lambdaC' | 'reference'>): PatchErrorMaps {
  return tf.tidy(() => {
    const [batch, tokens] = vTheta.shape;
    const side = Math.round(Math.sqrt(tokens));
    if (side * side !== tokens) throw new Error(`patchErrorMaps: ${tokens} image tokens are not a square patch grid`);
    const error = flowSquaredError({ vTheta, x0, eps }).reshape([batch, side, side]) as tf.Tensor3D; // [B, Hp, Wp]
    const weighted = rewardMap === undefined ? error.clone() : (tf.mul(error, rewardMap.reshape([batch, side, side])) as tf.Tensor3D);
    return { error, weighted };
  });
}
