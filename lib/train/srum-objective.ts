// The SRUM objective (paper Sec. 3.3, eqs. 1-3) and the SFT baseline, as in the released model code
// (reference/official-srum.md, "Loss"). Flow conventions are those of lib/model/flow.ts: t = 1 is pure noise,
// x_t = (1 - t) * x0 + t * eps, velocity target v = eps - x0; generation tokens [B, Np, generationDim] (image-tokens.ts).
//
// Paper vs released code, and what selects which:
//   - The paper weights the error by alpha * R with R in [-1, 1] and alpha the global score. The released loader
//     builds R in [0, 1] (0.5 baseline, max with (score + 1) / 2, times (g + 1) / 2). SrumConfig.rewardMode picks
//     the map (lib/reward/rewardMap.ts): 'official' = released, 'signed' = the paper's alpha * R in [-1, 1],
//     'sparse' / 'global-only' / 'local-only' = the ablations. The loss itself never rescales R.
//   - The paper's target uses an artifact-free x0_gt; the released data recipe sets x_good = x_bad = the model's own
//     candidate, so both terms regress onto the candidate x0 (what this file does; there is no other x0 here).
//   - One eps and one t per sample are shared by L_r and L_ref (one forward pass), as released.
//   - Optional, in neither: `guidanceScale` w > 1 puts the loss on the guided velocity v_u + w (v_c - v_u) the
//     candidates were sampled with, instead of the conditional one (SrumConfig.lossGuidance). A ground-truth x0_gt
//     is data, not a guided sample, so L_ref on it always reads the conditional velocity.
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import type { Rng } from '../rng';
import { flowLoss, flowSquaredError, guidedVelocity, noisyInput, sampleTrainingTimesteps } from '../model/flow';
import { planConditioning } from '../model/plan';
import { predictVelocity } from '../model/transformer';
import type { UnifiedModel } from '../model/params';

export interface SrumObjectiveInputs {
  /** Predicted velocity v_theta, [B, Np, generationDim]. */
  vTheta: tf.Tensor3D;
  /** Candidate image tokens x0 (= x_bad = x_good), [B, Np, generationDim]. */
  x0: tf.Tensor3D;
  /** The noise eps that built x_t, [B, Np, generationDim]. */
  eps: tf.Tensor3D;
  /** Reward map R on the patch grid, [B, Hp, Wp], broadcast over a patch's values; undefined = R = 1 (SFT). */
  rewardMap?: tf.Tensor;
  /** Weight of the reference term (0 = no reference term, and the SFT baseline). */
  lambdaC: number;
  /** L_ref on its own x_0^gt (SrumConfig.reference 'ground-truth'): the velocity predicted from its x_t and that x0; absent = the candidate. */
  reference?: { vTheta: tf.Tensor3D; x0: tf.Tensor3D };
}

export interface SrumTerms {
  /** L = L_r + lambdaC * L_ref. */
  loss: tf.Scalar;
  /** L_r (Eq. 1). */
  rewardLoss: tf.Scalar;
  /** L_ref (Eq. 2). */
  referenceLoss: tf.Scalar;
}

/** Eqs. 1-3 on given tensors (no sampling): the part the tests check by hand. */
export function srumObjective({ vTheta, x0, eps, rewardMap, lambdaC, reference }: SrumObjectiveInputs): SrumTerms {
  return tf.tidy(() => {
    // Eq. 1: L_r = E[ R ⊙ (vTheta - (eps - x0))^2 ]   (R from the selected reward mode; alpha folded into R)
    const rewardLoss = flowLoss({ vTheta, x0, eps, weight: rewardMap });
    // Eq. 2: L_ref = E[ (vTheta - (eps - x0_gt))^2 ]   (x0_gt = the candidate as released, or the paper's artifact-free x0_gt)
    const referenceLoss = reference === undefined ? flowLoss({ vTheta, x0, eps }) : flowLoss({ vTheta: reference.vTheta, x0: reference.x0, eps });
    // Eq. 3: L = L_r + lambdaC * L_ref
    const loss = lambdaC === 0 ? rewardLoss.clone() : tf.add(rewardLoss, tf.mul(lambdaC, referenceLoss));
    return { loss: loss as tf.Scalar, rewardLoss, referenceLoss };
  });
}

export interface SrumLossOptions {
  model: UnifiedModel;
  /** Candidate image tokens, [B, Np, generationDim]. */
  x0: tf.Tensor3D;
  /** Prompt token ids, [B * maxTextTokens] row-major (text dropout already applied by the caller). */
  textTokens: Int32Array;
  /** R on the patch grid, [B, Hp, Wp]; undefined = SFT (R = 1). */
  rewardMap?: tf.Tensor;
  lambdaC: number;
  /** Source of t (first, B draws) and eps (then, B * Np * generationDim draws). */
  rng: Rng;
  /** Timestep shift s of the training t (lib/model/flow.ts). */
  timestepShift: number;
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
  /** x_0^gt for L_ref (SrumConfig.reference 'ground-truth'): tokens [B, Np, generationDim] and, for think rows, its plan. */
  reference?: { x0: tf.Tensor3D; plan?: Int32Array };
}

export interface SrumLossResult extends SrumTerms {
  /** Flow time of each sample, shared by both terms. */
  t: Float32Array;
  /** Unweighted mean squared velocity error of each sample, [B] (per-t-bin logs). */
  perSampleError: tf.Tensor1D;
}

/** One sampled SRUM loss (or SFT with rewardMap undefined and lambdaC 0); call inside tf.variableGrads / tf.tidy. */
export function srumLoss({ model, x0, textTokens, rewardMap, lambdaC, rng, timestepShift, plan, thinking, guidanceScale = 1, reference }: SrumLossOptions): SrumLossResult {
  const [batch] = x0.shape;
  const t = sampleTrainingTimesteps(batch, rng, timestepShift);
  const eps = randomNormal(x0.shape, rng) as tf.Tensor3D; // one eps for both terms
  const tTensor = tf.tensor1d(t);
  const xt = noisyInput(x0, eps, tTensor); // x_t = (1 - t) x0 + t eps, from the candidate (x_bad)
  // Sampling always reads 4 plan tokens (the null plan unless thinking, lib/generate/sampler.ts): train the same way,
  // a think-mode candidate conditioned on the plan it was drawn from.
  const vCond = predictVelocity(model, { xt, t: tTensor, textTokens, ...planConditioning(model, batch, { plan, thinking }) });
  // With guidance, the unconditional branch as the sampler reads it (PAD text, null plan), same x_t and t.
  const vTheta = guidanceScale === 1 ? vCond : guidedVelocity(vCond, predictVelocity(model, { xt, t: tTensor, textTokens: new Int32Array(textTokens.length), ...planConditioning(model, batch) }), guidanceScale);
  // The paper's x0_gt gets its own x_t (same t and eps) and its own plan, and the conditional velocity whatever the
  // guidance (file comment); with lambdaC = 0 it is not read.
  const gt = reference === undefined || lambdaC === 0 ? undefined : {
    x0: reference.x0,
    vTheta: predictVelocity(model, { xt: noisyInput(reference.x0, eps, tTensor), t: tTensor, textTokens, ...planConditioning(model, batch, { plan: reference.plan, thinking }) }),
  };
  const terms = srumObjective({ vTheta, x0, eps, rewardMap, lambdaC, reference: gt });
  const perSampleError = tf.mean(flowSquaredError({ vTheta, x0, eps }), 1) as tf.Tensor1D; // [B]
  return { ...terms, t, perSampleError };
}
