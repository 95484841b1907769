// Sampler of the rectified flow with classifier-free guidance (Bagel as released): timesteps linspace(1, 0, N + 1)
// shifted, t = 1 is noise, x_{t'} = x_t - (t - t') v (Euler; Heun averages v at both ends), guidance only inside an
// interval of t. Works on generation tokens [B, Np, generationDim] (pixel patches in [-1, 1]); image-tokens.ts turns
// them into images.
// Plans (think mode, model/plan.ts): the image is always conditioned on 4 plan tokens, as in pretraining: the model's
// own plan for the prompt with `think: true` (or a given `plan`), else the null plan. CFG's unconditional branch reads
// PAD text and the null plan. PAD keys are masked for every query and only the image tokens' states are read, so the
// forward passes leave out what does no work (the same images up to float rounding: test/sampler-fast.test.ts): the
// conditional rows read their text up to the longest prompt of the batch, the unconditional rows no text at all, each
// branch a forward pass of its own (84 -> 68 tokens a row for the shipped base).
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import type { Rng } from '../rng';
import { modelDims } from '../model/config';
import { guidedVelocity, samplingTimesteps } from '../model/flow';
import type { UnifiedModel } from '../model/params';
import { planConditioning, predictPlan, type PlanSampling } from '../model/plan';
import type { CanvasTerms } from '../model/conv';
import { cleanEstimate, predictVelocity, velocityCanvasTerms } from '../model/transformer';
import { PAD_ID } from '../world/tokenizer';

/** ODE solver of one step t -> t': Euler (one velocity) or Heun (two: at t and at the Euler guess at t'). */
export type Solver = 'euler' | 'heun';

export interface SampleOptions {
  model: UnifiedModel;
  /** Prompt ids [B, maxTextTokens]; B images are drawn, one per prompt row. */
  textTokens: Int32Array;
  /** Solver steps (the paper's pipeline uses 50 Euler steps). */
  steps: number;
  /** 'euler' (default, the released sampler) or 'heun' (2 velocities per step, the last step Euler). */
  solver?: Solver;
  /** CFG scale w: v = vUncond + w * (vCond - vUncond); 1 disables guidance (and the unconditional pass). */
  guidanceScale: number;
  /** Guidance applies only while t lies in [lo, hi] (Bagel: [0.4, 1.0]); outside it the unconditional pass is skipped. */
  guidanceInterval?: [number, number];
  /** Timestep shift s of samplingTimesteps. */
  timestepShift: number;
  /** Source of the initial noise x_1 (unless `noise` is given) and of the noise each step adds with stochasticity > 0. */
  rng: Rng;
  /** The initial noise x_1 [B, Np, generationDim], drawn by the caller (e.g. one stream per image: generate.ts). */
  noise?: Float32Array;
  /**
   * eta in [0, 1]: share of fresh noise in each step (DDIM's eta, written for the rectified flow). The step goes to
   * x_t' = (1 - t') x0_hat + t' (sqrt(1 - eta^2) eps_hat + eta z), with eps_hat = (x_t - (1 - t) x0_hat) / t the
   * noise the model sees in x_t; eta = 0 is exactly Euler (x_t - (t - t') v), eta = 1 re-noises x0_hat afresh.
   */
  stochasticity?: number;
  /** Think mode: first predict a layout plan from the prompt (argmax per field), then generate conditioned on it. */
  think?: boolean;
  /** Think mode with the plan's fields drawn at a temperature instead of the argmax (plan diversity). */
  planSampling?: PlanSampling;
  /** Condition on this plan [B, PLAN_SLOTS, fields] (e.g. a ground-truth one) instead; implies thinking. */
  plan?: Int32Array;
  /** Receives the plan the images were conditioned on (when thinking). */
  onPlan?: (plan: Int32Array) => void;
  /**
   * SDEdit (Meng et al. 2022): start from clean tokens x0 [B, Np, generationDim] noised to t0, x_t0 = (1 - t0) x0 + t0 eps,
   * instead of pure noise; only the schedule's steps below t0 run. Shows which noise levels the model can finish from.
   */
  start?: { x0: Float32Array; t0: number };
  /** Called after every step with the current t and the predicted clean tokens x0 = x_t - t * v. */
  onStep?: (info: { step: number; t: number; x0Predicted: Float32Array }) => void;
}

/** One branch of the velocity's conditioning: its rows' text (textLength ids a row) and plan (the canvas through the convolutions). */
interface Branch {
  textTokens: Int32Array;
  textLength: number;
  extra: tf.Tensor3D;
  planMap?: tf.Tensor3D;
  canvasTerms?: CanvasTerms;
}

/** What the velocity is conditioned on, computed once per batch: the prompt rows and the unconditional rows. */
interface Conditioning {
  batch: number;
  cond: Branch;
  /** No text (an all-PAD prompt is masked out whole) and the null plan: no map, an empty canvas. */
  uncond: Branch;
}

function conditioning(model: UnifiedModel, textTokens: Int32Array, batch: number, plan: Int32Array | undefined): Conditioning {
  const thinking = new Uint8Array(batch).fill(plan === undefined ? 0 : 1);
  const branch = (text: { textTokens: Int32Array; textLength: number }, planned: Partial<{ plan: Int32Array; thinking: Uint8Array }>) => {
    const { extra, planMap, planCanvas } = planConditioning(model, batch, planned);
    const canvasTerms = velocityCanvasTerms(model, planCanvas);
    planCanvas?.dispose();
    return { ...text, extra, planMap, canvasTerms };
  };
  const cond = branch(withoutTrailingPad(textTokens, batch), { plan, thinking });
  const uncond = branch({ textTokens: new Int32Array(0), textLength: 0 }, {});
  return { batch, cond, uncond };
}

/** The prompt ids [B * L] up to the last column L that holds a word in some row (PAD keys do no work: transformer.ts). */
function withoutTrailingPad(textTokens: Int32Array, batch: number): { textTokens: Int32Array; textLength: number } {
  const width = textTokens.length / batch;
  let textLength = 0;
  for (let b = 0; b < batch; b++)
    for (let j = width - 1; j >= textLength; j--)
      if (textTokens[b * width + j] !== PAD_ID) {
        textLength = j + 1;
        break;
      }
  const trimmed = new Int32Array(batch * textLength);
  for (let b = 0; b < batch; b++) trimmed.set(textTokens.subarray(b * width, b * width + textLength), b * textLength);
  return { textTokens: trimmed, textLength };
}

function disposeConditioning(c: Conditioning): void {
  for (const { extra, planMap, canvasTerms } of [c.cond, c.uncond])
    tf.dispose([
      extra,
      ...(planMap === undefined ? [] : [planMap]),
      ...(canvasTerms === undefined ? [] : [canvasTerms.stem, canvasTerms.refine]),
    ]);
}

/** v(x_t, t): the guided velocity inside the guidance interval (a pass per branch), the conditional one outside. */
function velocityAt(
  model: UnifiedModel,
  c: Conditioning,
  x: tf.Tensor3D,
  t: number,
  guidance: { scale: number; lo: number; hi: number },
): tf.Tensor3D {
  return tf.tidy(() => {
    const guided = guidance.scale !== 1 && t >= guidance.lo && t <= guidance.hi;
    const time = tf.fill([c.batch], t) as tf.Tensor1D;
    const vCond = predictVelocity(model, { xt: x, t: time, ...c.cond });
    if (!guided) return vCond;
    return guidedVelocity(vCond, predictVelocity(model, { xt: x, t: time, ...c.uncond }), guidance.scale);
  });
}

/** Draws images as tokens [B, Np, generationDim]. */
export function sampleTokens(options: SampleOptions): Float32Array {
  const { model, textTokens, steps, rng } = options;
  const textLen = model.config.maxTextTokens;
  const batch = textTokens.length / textLen;
  if (!Number.isInteger(batch)) throw new Error(`sampleTokens: ${textTokens.length} ids is not a whole number of ${textLen}-token prompts`);
  const { imageTokens, generationDim } = modelDims(model.config);
  const size = batch * imageTokens * generationDim;
  const { start, noise } = options;
  if (start !== undefined && !(start.t0 > 0 && start.t0 <= 1))
    throw new Error(`sampleTokens: start.t0 must lie in (0, 1], got ${start.t0}`);
  if (start !== undefined && start.x0.length !== size)
    throw new Error(`sampleTokens: start.x0 holds ${start.x0.length} values, expected ${size}`);
  if (noise !== undefined && noise.length !== size) throw new Error(`sampleTokens: noise holds ${noise.length} values, expected ${size}`);
  const eta = options.stochasticity ?? 0;
  if (!(eta >= 0 && eta <= 1)) throw new Error(`sampleTokens: stochasticity must lie in [0, 1], got ${eta}`);
  const solver = options.solver ?? 'euler';
  if (solver !== 'euler' && solver !== 'heun') throw new Error(`sampleTokens: solver must be euler or heun, got ${String(solver)}`);
  if (solver === 'heun' && eta > 0) throw new Error('sampleTokens: the heun solver is deterministic; use stochasticity 0');
  const [lo, hi] = options.guidanceInterval ?? [0, 1];
  const guidance = { scale: options.guidanceScale, lo, hi };
  const schedule = samplingTimesteps(steps, options.timestepShift);
  const times = start === undefined ? schedule : Float32Array.from([start.t0, ...schedule.filter((t) => t < start.t0)]);

  const thinks = options.think === true || options.planSampling !== undefined;
  const plan = options.plan ?? (thinks ? predictPlan(model, textTokens, options.planSampling) : undefined);
  if (plan !== undefined) options.onPlan?.(plan);
  const c = conditioning(model, textTokens, batch, plan);
  const shape: [number, number, number] = [batch, imageTokens, generationDim];
  let x = (noise === undefined ? randomNormal(shape, rng) : tf.tensor3d(noise, shape)) as tf.Tensor3D; // x_1 = eps
  if (start !== undefined) {
    const noised = tf.tidy(() => tf.add(tf.mul(1 - start.t0, tf.tensor3d(start.x0, shape)), tf.mul(start.t0, x)) as tf.Tensor3D);
    x.dispose();
    x = noised;
  }
  for (let step = 0; step < times.length - 1; step++) {
    const [t, tNext] = [times[step], times[step + 1]];
    const next = tf.tidy(() => {
      const v = velocityAt(model, c, x, t, guidance);
      const x0Predicted = cleanEstimate(x, t, v);
      if (options.onStep) options.onStep({ step, t, x0Predicted: x0Predicted.dataSync() as Float32Array });
      const euler = tf.sub(x, tf.mul(t - tNext, v)) as tf.Tensor3D; // x_{t'} = x_t - (t - t') v
      if (solver === 'heun' && tNext > 0) {
        const vNext = velocityAt(model, c, euler, tNext, guidance);
        return tf.sub(x, tf.mul(t - tNext, tf.mul(0.5, tf.add(v, vNext)))) as tf.Tensor3D; // trapezoid rule
      }
      if (eta === 0 || tNext === 0) return euler;
      const epsSeen = tf.div(tf.sub(x, tf.mul(1 - t, x0Predicted)), t);
      const eps = tf.add(tf.mul(Math.sqrt(1 - eta * eta), epsSeen), tf.mul(eta, randomNormal(x.shape, rng)));
      return tf.add(tf.mul(1 - tNext, x0Predicted), tf.mul(tNext, eps)) as tf.Tensor3D;
    });
    x.dispose();
    x = next;
  }
  const out = x.dataSync() as Float32Array;
  x.dispose();
  disposeConditioning(c);
  return out;
}
