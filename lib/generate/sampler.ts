// Euler sampler of the rectified flow with classifier-free guidance (Bagel as released):
// timesteps linspace(1, 0, N + 1) shifted, x <- x - v * dt, guidance only inside an interval of t.
// Works on generation tokens [B, Np, generationDim] (pixel patches in [-1, 1] or latents); image-tokens.ts turns them into images.
// Plans (think mode, model/plan.ts): the image is always conditioned on 4 plan tokens, as in pretraining: the
// model's own plan for the prompt with `think: true` (or a given `plan`), else the null plan. CFG's unconditional
// branch reads PAD text and the null plan.
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import type { Rng } from '../rng';
import { modelDims } from '../model/config';
import { guidedVelocity, samplingTimesteps } from '../model/flow';
import type { UnifiedModel } from '../model/params';
import { planCanvas, planMap, planTokens, predictPlan } from '../model/plan';
import { cleanEstimate, predictVelocity } from '../model/transformer';

export interface SampleOptions {
  model: UnifiedModel;
  /** Prompt ids [B, maxTextTokens]; B images are drawn, one per prompt row. */
  textTokens: Int32Array;
  /** Euler steps (the paper's pipeline uses 50). */
  steps: number;
  /** CFG scale w: v = vUncond + w * (vCond - vUncond); 1 disables guidance (and the unconditional pass). */
  guidanceScale: number;
  /** Guidance applies only while t lies in [lo, hi] (Bagel: [0.4, 1.0]). */
  guidanceInterval?: [number, number];
  /** Timestep shift s of samplingTimesteps. */
  timestepShift: number;
  /** Source of the initial noise (and, with stochasticity > 0, of the noise each step adds). */
  rng: Rng;
  /**
   * eta in [0, 1]: share of fresh noise in each step (DDIM's eta, written for the rectified flow). The step goes to
   * x_t' = (1 - t') x0_hat + t' (sqrt(1 - eta^2) eps_hat + eta z), with eps_hat = (x_t - (1 - t) x0_hat) / t the
   * noise the model sees in x_t; eta = 0 is exactly Euler (x_t - (t - t') v), eta = 1 re-noises x0_hat afresh.
   */
  stochasticity?: number;
  /** Think mode: first predict a layout plan from the prompt (argmax per field), then generate conditioned on it. */
  think?: boolean;
  /** Condition on this plan [B, PLAN_SLOTS, fields] (e.g. a ground-truth one) instead; implies thinking. */
  plan?: Int32Array;
  /** Receives the plan the images were conditioned on (when thinking). */
  onPlan?: (plan: Int32Array) => void;
  /**
   * SDEdit (Meng et al. 2022): start from clean tokens x0 [B, Np, generationDim] noised to t0, x_t0 = (1 - t0) x0 + t0 eps,
   * instead of pure noise; only the schedule's steps below t0 run. Shows which noise levels the model can finish from.
   */
  start?: { x0: Float32Array; t0: number };
  /**
   * Autoguidance (Karras et al. 2024, "Guiding a diffusion model with a bad version of itself"): the guidance branch
   * is this weaker model of the same architecture, conditioned on the same prompt, instead of the unconditional one:
   * v = vBad + w * (vCond - vBad); published to sharpen under-fitted models (measured here: no gain, docs/model-notes.md).
   */
  guideModel?: UnifiedModel;
  /** Called after every step with the current t and the predicted clean tokens x0 = x_t - t * v. */
  onStep?: (info: { step: number; t: number; x0Predicted: Float32Array }) => void;
}

/** Draws images as tokens [B, Np, generationDim]. */
export function sampleTokens(options: SampleOptions): Float32Array {
  const { model, textTokens, steps, guidanceScale, rng } = options;
  const [guideLo, guideHi] = options.guidanceInterval ?? [0, 1];
  const textLen = model.config.maxTextTokens;
  const batch = textTokens.length / textLen;
  if (!Number.isInteger(batch)) throw new Error(`sampleTokens: ${textTokens.length} ids is not a whole number of ${textLen}-token prompts`);
  const { imageTokens, generationDim } = modelDims(model.config);
  const schedule = samplingTimesteps(steps, options.timestepShift);
  const start = options.start;
  if (start !== undefined && !(start.t0 > 0 && start.t0 <= 1)) throw new Error(`sampleTokens: start.t0 must lie in (0, 1], got ${start.t0}`);
  if (start !== undefined && start.x0.length !== batch * imageTokens * generationDim) throw new Error(`sampleTokens: start.x0 holds ${start.x0.length} values, expected ${batch * imageTokens * generationDim}`);
  const eta = options.stochasticity ?? 0;
  if (!(eta >= 0 && eta <= 1)) throw new Error(`sampleTokens: stochasticity must lie in [0, 1], got ${eta}`);
  const guide = options.guideModel;
  if (guide !== undefined && (guide.config.selfCondition || model.config.selfCondition)) throw new Error('sampleTokens: autoguidance does not support self-conditioning');
  const guideDims = guide === undefined ? undefined : modelDims(guide.config);
  if (guide !== undefined && (guide.config.maxTextTokens !== textLen || guideDims?.generationDim !== generationDim || guideDims?.imageTokens !== imageTokens)) throw new Error('sampleTokens: the guide model must read the same text length and image tokens as the model');
  const times = start === undefined ? schedule : Float32Array.from([start.t0, ...schedule.filter((t) => t < start.t0)]);
  // Conditional rows then unconditional (all-PAD) rows, so one forward pass serves both.
  const pairedTokens = new Int32Array(2 * textTokens.length);
  pairedTokens.set(textTokens);
  const plan = options.plan ?? (options.think === true ? predictPlan(model, textTokens) : undefined);
  if (plan !== undefined) options.onPlan?.(plan);
  const thinking = new Uint8Array(batch).fill(plan === undefined ? 0 : 1);
  const condPlan = planTokens(model, batch, { plan, thinking }); // [B, S, D]
  const pairedPlan = tf.tidy(() => tf.concat([condPlan, planTokens(model, batch)], 0) as tf.Tensor3D); // [2B, S, D]: + null plan
  const condMap = planMap(model, condPlan, { plan, thinking }); // [B, Np, D] or none
  const pairedMap = condMap === undefined ? undefined : tf.tidy(() => tf.concat([condMap, tf.zerosLike(condMap)], 0) as tf.Tensor3D); // null plan: no map
  const condCanvas = planCanvas(model, batch, { plan, thinking }); // [B, Np, p*p*K] or none
  const pairedCanvas = condCanvas === undefined ? undefined : tf.tidy(() => tf.concat([condCanvas, tf.zerosLike(condCanvas)], 0) as tf.Tensor3D); // null plan: empty canvas
  const guidePlan = guide === undefined ? undefined : planTokens(guide, batch, { plan, thinking }); // [B, S, D]
  const guideMap = guidePlan === undefined ? undefined : planMap(guide!, guidePlan, { plan, thinking });
  const guideCanvas = guide === undefined ? undefined : planCanvas(guide, batch, { plan, thinking });
  let x = randomNormal([batch, imageTokens, generationDim], rng) as tf.Tensor3D; // x_1 = eps
  if (start !== undefined) {
    const noised = tf.tidy(() => tf.add(tf.mul(1 - start.t0, tf.tensor3d(start.x0, x.shape)), tf.mul(start.t0, x)) as tf.Tensor3D);
    x.dispose();
    x = noised;
  }
  // Self-conditioning: the previous step's x0_hat (guided), fed to both CFG branches; none before the first step.
  let x0Previous: tf.Tensor3D | undefined;
  const selfConditioned = model.config.selfCondition;
  for (let step = 0; step < times.length - 1; step++) {
    const t = times[step];
    const dt = t - times[step + 1];
    const guided = guidanceScale !== 1 && t >= guideLo && t <= guideHi;
    const next = tf.tidy(() => {
      // One model's velocity for the prompt rows (x0Previous is undefined under autoguidance: no self-conditioning).
      const conditional = (m: UnifiedModel, extra: tf.Tensor3D, map: tf.Tensor3D | undefined, canvas: tf.Tensor3D | undefined): tf.Tensor3D =>
        predictVelocity(m, { xt: x, t: tf.fill([batch], t) as tf.Tensor1D, textTokens, extra, planMap: map, planCanvas: canvas, selfCond: x0Previous });
      let v: tf.Tensor3D;
      if (guided && guide !== undefined) {
        const vCond = conditional(model, condPlan, condMap, condCanvas);
        const vBad = conditional(guide, guidePlan!, guideMap, guideCanvas);
        v = guidedVelocity(vCond, vBad, guidanceScale);
      } else if (guided) {
        const pairedSelfCond = x0Previous === undefined ? undefined : (tf.concat([x0Previous, x0Previous], 0) as tf.Tensor3D);
        const both = predictVelocity(model, { xt: tf.concat([x, x], 0) as tf.Tensor3D, t: tf.fill([2 * batch], t) as tf.Tensor1D, textTokens: pairedTokens, extra: pairedPlan, planMap: pairedMap, planCanvas: pairedCanvas, selfCond: pairedSelfCond });
        const [vCond, vUncond] = tf.split(both, 2, 0) as tf.Tensor3D[];
        v = guidedVelocity(vCond, vUncond, guidanceScale);
      } else {
        v = conditional(model, condPlan, condMap, condCanvas);
      }
      const x0Predicted = cleanEstimate(x, t, v);
      if (options.onStep) options.onStep({ step, t, x0Predicted: x0Predicted.dataSync() as Float32Array });
      if (selfConditioned) {
        x0Previous?.dispose();
        x0Previous = tf.keep(x0Predicted);
      }
      if (eta === 0 || times[step + 1] === 0) return tf.sub(x, tf.mul(dt, v)) as tf.Tensor3D; // Euler: x_{t - dt} = x_t - v * dt
      const tNext = times[step + 1];
      const epsSeen = tf.div(tf.sub(x, tf.mul(1 - t, x0Predicted)), t);
      const eps = tf.add(tf.mul(Math.sqrt(1 - eta * eta), epsSeen), tf.mul(eta, randomNormal(x.shape, rng)));
      return tf.add(tf.mul(1 - tNext, x0Predicted), tf.mul(tNext, eps)) as tf.Tensor3D;
    });
    x.dispose();
    x = next;
  }
  x0Previous?.dispose();
  const out = x.dataSync() as Float32Array;
  tf.dispose([x, condPlan, pairedPlan, ...[condMap, pairedMap, condCanvas, pairedCanvas].filter((m) => m !== undefined)]);
  if (guidePlan !== undefined) tf.dispose([guidePlan, ...[guideMap, guideCanvas].filter((m) => m !== undefined)]);
  return out;
}
