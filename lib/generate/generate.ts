// Text-to-image with the unified model: prompts in, RgbImages out, with the toolkit's default sampler settings.
// The defaults are the "default sampler settings" every benchmark number uses (gap, candidates, SRUM runs).
import { makeRng } from '../rng';
import { PLAN_VALUES } from '../model/classes';
import type { UnifiedModel } from '../model/params';
import { generationTokens, imagesFromGenerationTokens } from '../model/image-tokens';
import { encodeBatch } from '../world/tokenizer';
import type { RgbImage } from '../world/types';
import { sampleTokens } from './sampler';

export interface SamplingSettings {
  /** Euler steps (the released pipeline uses 50; 32 px images converge sooner). */
  steps: number;
  /** Classifier-free guidance scale (Bagel: 4-8). */
  guidanceScale: number;
  /** Guidance only while t lies in this interval. */
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
   * Fresh noise per step, eta in [0, 1] (sampler.ts `stochasticity`); 0, the default, is the released deterministic
   * Euler sampler. eta = 1 looked better on validation and was not on the test split (docs/model-notes.md, "A stochastic sampler").
   */
  stochasticity: number;
}

export const DEFAULT_SAMPLING: SamplingSettings = {
  steps: 25,
  guidanceScale: 4,
  guidanceInterval: [0, 1],
  timestepShift: 1,
  think: true,
  stochasticity: 0,
};

export interface GenerateOptions extends Partial<SamplingSettings> {
  /** The noise of the batch starting at image i is makeRng(seed).fork(`images:${i}`): the same seed and batchSize give the same images. */
  seed: number;
  /** Images per forward pass (memory vs speed; default 16). */
  batchSize?: number;
  /** Condition image i on plans[i] ([N, PLAN_SLOTS, fields], e.g. ground-truth plans) instead of the model's own or the null plan. */
  plans?: Int32Array;
  /** SDEdit: start image i from from.images[i] noised to from.t0 instead of pure noise (sampler.ts `start`). */
  from?: { images: readonly RgbImage[]; t0: number };
  /** Autoguidance: guide with this weaker model instead of the unconditional branch (sampler.ts `guideModel`). */
  guideModel?: UnifiedModel;
  /** Called after each batch with the number of images done. */
  onProgress?: (done: number) => void;
  /** Think mode: called once per batch with the plans it generates from, [chunk, PLAN_SLOTS, fields], from image `first` on. */
  onPlan?: (info: { first: number; plan: Int32Array }) => void;
  /** Called at every sampling step of every batch with the predicted clean tokens of its images, from image `first` on (sampler.ts). */
  onStep?: (info: { first: number; step: number; t: number; x0Predicted: Float32Array }) => void;
}

/** One image per prompt text. Unknown prompt words raise the tokenizer's error naming the word. */
export function generateImages(model: UnifiedModel, prompts: readonly string[], options: GenerateOptions): RgbImage[] {
  const settings: SamplingSettings = { ...DEFAULT_SAMPLING, ...definedOnly(options) };
  const textLen = model.config.maxTextTokens;
  const batchSize = options.batchSize ?? 16;
  if (options.plans !== undefined && options.plans.length !== prompts.length * PLAN_VALUES) throw new Error(`generateImages: ${options.plans.length} plan values for ${prompts.length} prompts (expected ${prompts.length * PLAN_VALUES})`);
  if (options.from !== undefined && options.from.images.length !== prompts.length) throw new Error(`generateImages: ${options.from.images.length} start images for ${prompts.length} prompts`);
  const images: RgbImage[] = [];
  for (let start = 0; start < prompts.length; start += batchSize) {
    const chunk = prompts.slice(start, start + batchSize);
    const textTokens = encodeBatch(chunk, textLen);
    const tokens = sampleTokens({
      model,
      textTokens,
      steps: settings.steps,
      guidanceScale: settings.guidanceScale,
      guidanceInterval: settings.guidanceInterval,
      timestepShift: settings.timestepShift,
      think: settings.think,
      stochasticity: settings.stochasticity,
      guideModel: options.guideModel,
      plan: options.plans?.subarray(start * PLAN_VALUES, (start + chunk.length) * PLAN_VALUES),
      rng: makeRng(options.seed).fork(`images:${start}`),
      start: options.from === undefined ? undefined : { x0: generationTokens(model, options.from.images.slice(start, start + batchSize)), t0: options.from.t0 },
      onPlan: options.onPlan === undefined ? undefined : (plan) => options.onPlan?.({ first: start, plan }),
      onStep: options.onStep === undefined ? undefined : (info) => options.onStep?.({ first: start, ...info }),
    });
    images.push(...imagesFromGenerationTokens(model, tokens));
    options.onProgress?.(images.length);
  }
  return images;
}

function definedOnly(options: GenerateOptions): Partial<SamplingSettings> {
  const out: Partial<SamplingSettings> = {};
  for (const key of Object.keys(DEFAULT_SAMPLING) as (keyof SamplingSettings)[]) {
    if (options[key] !== undefined) (out as Record<string, unknown>)[key] = options[key];
  }
  return out;
}
