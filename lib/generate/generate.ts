// Text-to-image with the unified model: prompts in, RgbImages out, with the toolkit's default sampler settings.
// The defaults are the "default sampler settings" every benchmark number uses (gap, candidates, SRUM runs).
import { makeRng } from '../rng';
import { PLAN_FIELDS, PLAN_VALUES } from '../model/classes';
import { predictPlan } from '../model/plan';
import type { UnifiedModel } from '../model/params';
import { generationTokens, imagesFromGenerationTokens } from '../model/image-tokens';
import { encodeBatch } from '../world/tokenizer';
import type { RgbImage } from '../world/types';
import { modelDims } from '../model/config';
import { sampleTokens, type Solver } from './sampler';

export interface SamplingSettings {
  /**
   * Solver steps (the released pipeline uses 50 Euler steps). The shipped model predicts x0 (cleanPrediction), so its
   * 32 px images are done early: 10 Euler steps pass 0.7 ± 0.5 points fewer val protocol images than 25 (2,132 paired
   * images, figures/results/sampler-val.json), 6 steps 2.3 fewer (docs/protocol-notes.md).
   */
  steps: number;
  /** ODE solver: 'euler' (as released) or 'heun' (two velocities per step). */
  solver: Solver;
  /** Classifier-free guidance scale (Bagel: 4-8). */
  guidanceScale: number;
  /**
   * Guidance only while t lies in this interval (outside it the unconditional pass is skipped). Bagel's [0.4, 1] cost
   * this model 5.9 points on the val protocol (docs/protocol-notes.md): guidance matters here at low noise too.
   */
  guidanceInterval: [number, number];
  /** Timestep shift s (1 = none; the paper's 4.0 is for 512-1024 px). */
  timestepShift: number;
  /**
   * Plan the layout from the prompt first, then generate conditioned on the plan. On by default: the shipped model
   * draws objects from its plan's boxes (planCanvas) and passes far more prompts that way than straight from the
   * prompt (README, "The unified model"); `think: false` (`--think off`) is normal mode.
   */
  think: boolean;
  /**
   * Think mode: draw every field of the plan from softmax(logits / T) instead of its argmax (0, the default: argmax).
   * The argmax plan is the same for every draw of a prompt, so a wrong plan fails them all; sampled plans vary.
   */
  planTemperature: number;
  /**
   * Fresh noise per step, eta in [0, 1] (sampler.ts `stochasticity`); 0, the default, is the released deterministic
   * Euler sampler. eta = 1 looked better on validation and was not on the test split (docs/model-notes.md, "A stochastic sampler").
   */
  stochasticity: number;
}

export const DEFAULT_SAMPLING: SamplingSettings = {
  steps: 10, // 25 until 2026-12-06: 0.7 ± 0.5 points below it on the paired val protocol, 2.5x fewer passes
  solver: 'euler',
  guidanceScale: 4,
  guidanceInterval: [0, 1],
  timestepShift: 1,
  think: true,
  planTemperature: 0,
  stochasticity: 0,
};

export interface GenerateOptions extends Partial<SamplingSettings> {
  /** The noise of the batch starting at image i is makeRng(seed).fork(`images:${i}`): the same seed and batchSize give the same images. */
  seed: number;
  /**
   * One noise stream per image instead: image i starts from x_1 drawn from makeRng(seed).fork(`noise:${noiseKeys[i]}`), the
   * same whichever batch or worker draws it (the evaluation protocol keys it by prompt text and draw: lib/eval/protocol.ts).
   */
  noiseKeys?: readonly string[];
  /** Images per forward pass (memory vs speed; default 16). */
  batchSize?: number;
  /** Condition image i on plans[i] ([N, PLAN_SLOTS, fields], e.g. ground-truth plans) instead of the model's own or the null plan. */
  plans?: Int32Array;
  /** SDEdit: start image i from from.images[i] noised to from.t0 instead of pure noise (sampler.ts `start`). */
  from?: { images: readonly RgbImage[]; t0: number };
  /** Called after each batch with the number of images done. */
  onProgress?: (done: number) => void;
  /** Think mode: called once per batch with the plans it generates from, [chunk, PLAN_SLOTS, fields], from image `first` on. */
  onPlan?: (info: { first: number; plan: Int32Array }) => void;
  /** Called at every sampling step of every batch with the predicted clean tokens of its images, from image `first` on (sampler.ts). */
  onStep?: (info: { first: number; step: number; t: number; x0Predicted: Float32Array }) => void;
}

/** One image per prompt text. Unknown prompt words raise the tokenizer's error naming the word. */
export function generateImages(model: UnifiedModel, prompts: readonly string[], options: GenerateOptions): RgbImage[] {
  checkGenerateOptions(prompts, options);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const images: RgbImage[] = [];
  for (let first = 0; first < prompts.length; first += batchSize) {
    images.push(...generateBatch(model, prompts, first, options));
    options.onProgress?.(images.length);
  }
  return images;
}

/** Images per forward pass unless GenerateOptions.batchSize says otherwise. */
export const DEFAULT_BATCH_SIZE = 16;

function checkGenerateOptions(prompts: readonly string[], options: GenerateOptions): void {
  const n = prompts.length;
  if (options.plans !== undefined && options.plans.length !== n * PLAN_VALUES)
    throw new Error(`generateImages: ${options.plans.length} plan values for ${n} prompts (expected ${n * PLAN_VALUES})`);
  if (options.from !== undefined && options.from.images.length !== n)
    throw new Error(`generateImages: ${options.from.images.length} start images for ${n} prompts`);
  if (options.noiseKeys !== undefined && options.noiseKeys.length !== n)
    throw new Error(`generateImages: ${options.noiseKeys.length} noise keys for ${n} prompts`);
}

/** The initial noise x_1 of images [first, first + count), one stream per noise key, [count, Np, generationDim]. */
function keyedNoise(model: UnifiedModel, keys: readonly string[], seed: number): Float32Array {
  const { imageTokens, generationDim } = modelDims(model.config);
  const per = imageTokens * generationDim;
  const out = new Float32Array(keys.length * per);
  keys.forEach((key, k) => {
    const rng = makeRng(seed).fork(`noise:${key}`); // the values backend/random.ts randomNormal draws, without a tensor
    for (let i = 0; i < per; i++) out[k * per + i] = rng.normal();
  });
  return out;
}

/**
 * The batch of images [first, first + batchSize) of generateImages(model, prompts, options), on its own: the same
 * images whichever thread draws them (generate/pool.ts spreads batches over worker threads this way).
 */
export function generateBatch(model: UnifiedModel, prompts: readonly string[], first: number, options: GenerateOptions): RgbImage[] {
  const settings: SamplingSettings = { ...DEFAULT_SAMPLING, ...definedOnly(options) };
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const end = Math.min(prompts.length, first + batchSize);
  const chunk = prompts.slice(first, end);
  const textTokens = encodeBatch(chunk, model.config.maxTextTokens);
  const tokens = sampleTokens({
    model,
    textTokens,
    steps: settings.steps,
    solver: settings.solver,
    guidanceScale: settings.guidanceScale,
    guidanceInterval: settings.guidanceInterval,
    timestepShift: settings.timestepShift,
    think: settings.think,
    stochasticity: settings.stochasticity,
    plan: options.plans?.subarray(first * PLAN_VALUES, end * PLAN_VALUES) ?? sampledPlans(model, textTokens, settings, options, first),
    rng: makeRng(options.seed).fork(`images:${first}`),
    noise: options.noiseKeys === undefined ? undefined : keyedNoise(model, options.noiseKeys.slice(first, end), options.seed),
    start:
      options.from === undefined ? undefined : { x0: generationTokens(model, options.from.images.slice(first, end)), t0: options.from.t0 },
    onPlan: options.onPlan === undefined ? undefined : (plan) => options.onPlan?.({ first, plan }),
    onStep: options.onStep === undefined ? undefined : (info) => options.onStep?.({ first, ...info }),
  });
  return imagesFromGenerationTokens(model, tokens);
}

/**
 * Think mode at a plan temperature: one plan per image, drawn from its own stream (its noise key's, or the batch's), so
 * with noise keys an image's plan, like its noise, does not depend on its batch. Undefined at temperature 0 (argmax).
 */
function sampledPlans(
  model: UnifiedModel,
  textTokens: Int32Array,
  settings: SamplingSettings,
  options: GenerateOptions,
  first: number,
): Int32Array | undefined {
  const temperature = settings.planTemperature;
  if (!(temperature >= 0)) throw new Error(`planTemperature must be >= 0, got ${temperature}`);
  if (temperature === 0 || !settings.think) return undefined;
  const rng = makeRng(options.seed);
  if (options.noiseKeys === undefined)
    return predictPlan(model, textTokens, { temperature, rng: rng.fork(`plans:${first}`), fields: PLAN_FIELDS });
  const textLen = model.config.maxTextTokens;
  const plans = new Int32Array((textTokens.length / textLen) * PLAN_VALUES);
  for (let k = 0; k * textLen < textTokens.length; k++) {
    const one = textTokens.subarray(k * textLen, (k + 1) * textLen);
    plans.set(
      predictPlan(model, one, { temperature, rng: rng.fork(`plan:${options.noiseKeys[first + k]}`), fields: PLAN_FIELDS }),
      k * PLAN_VALUES,
    );
  }
  return plans;
}

function definedOnly(options: GenerateOptions): Partial<SamplingSettings> {
  const out: Partial<SamplingSettings> = {};
  for (const key of Object.keys(DEFAULT_SAMPLING) as (keyof SamplingSettings)[]) {
    if (options[key] !== undefined) (out as Record<string, unknown>)[key] = options[key];
  }
  return out;
}
