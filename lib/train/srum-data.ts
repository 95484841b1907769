// SRUM training data: candidates (image + prompt + judge record) -> image tokens, prompt ids and the reward map on
// the patch grid, prepared once; and the batch of step k, a pure function of (seed, k) so a resumed run sees the
// same batches. Records are read with the released loader's rules: a record the loader drops is skipped (counted).
import { PLAN_IGNORE, PLAN_VALUES } from '../model/classes';
import { modelDims, type ModelConfig } from '../model/config';
import { generationTokens } from '../model/image-tokens';
import type { UnifiedModel } from '../model/params';
import type { RewardMode, RewardSource } from '../reward/rewardMap';
import { makeRng } from '../rng';
import { parsePrompt } from '../world/grammar';
import { sceneIfFits } from '../world/layout';
import { readPng } from '../world/png';
import { renderScene } from '../world/render';
import { planTargets } from './plan';
import type { PlanReward } from './srum-config';
import { candidateReward } from './srum-objective';
import { encode } from '../world/tokenizer';
import type { RgbImage } from '../world/types';

export interface SrumCandidate {
  /** The candidate image: a PNG path (as in judge records' image_file) or the image itself ([H, W, 3] in [0, 1]). */
  imagePath?: string;
  image?: RgbImage;
  prompt: string;
  /** Think-mode candidates: the plan it was generated from, [PLAN_SLOTS * fields] (candidates.jsonl `plan`). */
  plan?: Int32Array;
  /** Its judge record in the training form (vlm_rewards with the global_layout_reward entry). */
  record: RewardSource;
}

export interface SrumDataset {
  /** Generation tokens of each kept candidate, [Np * generationDim] (pixel patches in [-1, 1], or latents). */
  x0: Float32Array[];
  /** Prompt ids of each kept candidate, [maxTextTokens]. */
  textTokens: Int32Array[];
  /** R of each kept candidate on the patch grid, [Hp * Wp] (bilinear, align_corners = false). */
  reward: Float32Array[];
  /** The plan of each kept candidate (undefined: generated without thinking; trained on the null plan). */
  plan: (Int32Array | undefined)[];
  /**
   * Each kept candidate's plan weight in the think term, from its global layout score g (srum-objective.ts
   * candidateReward): alpha = (g + 1) / 2, or max(0, g) with planReward 'positive'.
   */
  layoutReward: number[];
  /** Candidates the released loader drops (and why). */
  skipped: { index: number; reason: string }[];
  /** SrumConfig.reference 'ground-truth': each kept candidate's x_0^gt tokens and (think-mode candidates) its plan. */
  reference?: { x0: Float32Array[]; plan: (Int32Array | undefined)[]; ownReference: number[] };
}

/**
 * The paper's artifact-free x_0^gt for a candidate (SrumConfig.reference 'ground-truth'): a world scene laid out for
 * its prompt, rendered, and that scene's plan on `planGrid` when the candidate was drawn in think mode. Deterministic
 * in (seed, index), so a resumed run trains on the same references. Undefined when no scene fits the prompt (the
 * grammar allows a few, e.g. some "inside" pairs): that candidate is its own reference, as released.
 */
export function groundTruthReference(
  prompt: string,
  options: { seed: number; index: number; planGrid: number; withPlan: boolean },
): { image: RgbImage; plan?: Int32Array } | undefined {
  const scene = sceneIfFits(parsePrompt(prompt), makeRng(options.seed).fork(`reference:${options.index}`));
  if (scene === undefined) return undefined;
  return { image: renderScene(scene), ...(options.withPlan ? { plan: planTargets(scene, options.planGrid) } : {}) };
}

export interface PrepareSrumOptions {
  /** Build each candidate's ground-truth reference from this seed (SrumConfig.reference 'ground-truth'); absent = none. */
  referenceSeed?: number;
  /** Keep only candidates whose global layout score is above 0 (SrumConfig.positiveOnly). */
  positiveOnly?: boolean;
  /** What layoutReward holds (SrumConfig.planReward; default 'alpha'). */
  planReward?: PlanReward;
}

export function prepareSrumData(
  candidates: readonly SrumCandidate[],
  model: UnifiedModel,
  mode: RewardMode,
  options: PrepareSrumOptions = {},
): SrumDataset {
  const { config } = model;
  const { gridSize } = modelDims(config);
  const withReference = options.referenceSeed !== undefined ? { reference: { x0: [], plan: [], ownReference: [] } } : {};
  const data: SrumDataset = { x0: [], textTokens: [], reward: [], plan: [], layoutReward: [], skipped: [], ...withReference };
  candidates.forEach((candidate, index) => {
    const image = candidate.image ?? (candidate.imagePath !== undefined ? readPng(candidate.imagePath) : undefined);
    if (image === undefined) throw new Error(`SRUM candidate ${index} has neither image nor imagePath`);
    const { positiveOnly, planReward } = options;
    const { width, height } = image;
    const weighted = candidateReward(candidate.record, { mode, width, height, gridSize, positiveOnly, planReward }); // alpha * R
    if ('dropped' in weighted) {
      data.skipped.push({ index, reason: weighted.dropped });
      return;
    }
    data.reward.push(weighted.reward); // [Hp * Wp]
    data.x0.push(generationTokens(model, [image])); // [Np * generationDim]
    data.textTokens.push(encode(candidate.prompt, config.maxTextTokens));
    if (candidate.plan !== undefined && candidate.plan.length !== PLAN_VALUES) {
      throw new Error(`SRUM candidate ${index}: its plan holds ${candidate.plan.length} values, expected ${PLAN_VALUES}`);
    }
    data.plan.push(candidate.plan);
    data.layoutReward.push(weighted.planWeight);
    if (options.referenceSeed !== undefined && data.reference !== undefined) {
      const withPlan = candidate.plan !== undefined;
      const gt = groundTruthReference(candidate.prompt, { seed: options.referenceSeed, index, planGrid: config.planGrid, withPlan });
      data.reference.x0.push(gt === undefined ? data.x0[data.x0.length - 1] : generationTokens(model, [gt.image]));
      data.reference.plan.push(gt === undefined ? candidate.plan : gt.plan);
      if (gt === undefined) data.reference.ownReference.push(index);
    }
  });
  if (data.x0.length === 0) {
    throw new Error(`SRUM: none of the ${candidates.length} candidates is usable (all dropped by the loader rules)`);
  }
  return data;
}

/** Candidate indices of step k: position p = k * B + i walks seeded per-epoch permutations (each candidate once per epoch). */
export function batchIndices(step: number, batchSize: number, count: number, seed: number): number[] {
  const permutations = new Map<number, number[]>();
  return Array.from({ length: batchSize }, (_, i) => {
    const position = step * batchSize + i;
    const epoch = Math.floor(position / count);
    let order = permutations.get(epoch);
    if (order === undefined) {
      order = makeRng(seed)
        .fork(`srum-epoch:${epoch}`)
        .shuffle(Array.from({ length: count }, (_, j) => j));
      permutations.set(epoch, order);
    }
    return order[position % count];
  });
}

export interface SrumBatch {
  /** [B, Np, generationDim] */
  x0: Float32Array;
  /** [B * maxTextTokens] */
  textTokens: Int32Array;
  /** [B, Hp, Wp] */
  reward: Float32Array;
  /** [B, PLAN_SLOTS, fields] and the rows that have one (before text dropout), when any candidate of the batch thinks. */
  plan?: Int32Array;
  thinking?: Uint8Array;
  /** [B] each candidate's layout reward (SrumDataset.layoutReward), with the plan. */
  layoutReward?: Float32Array;
  /** The candidates' x_0^gt (SrumDataset.reference): tokens [B, Np, generationDim] and plans as `plan` above. */
  reference?: { x0: Float32Array; plan?: Int32Array };
}

export function gatherBatch(data: SrumDataset, indices: readonly number[]): SrumBatch {
  const concatFloat = (rows: Float32Array[]): Float32Array => {
    const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
    rows.reduce((offset, r) => (out.set(r, offset), offset + r.length), 0);
    return out;
  };
  const tokens = indices.map((i) => data.textTokens[i]);
  const textTokens = new Int32Array(tokens.reduce((n, r) => n + r.length, 0));
  tokens.reduce((offset, r) => (textTokens.set(r, offset), offset + r.length), 0);
  const plans = (of: (Int32Array | undefined)[]): Int32Array | undefined => {
    if (indices.every((i) => of[i] === undefined)) return undefined;
    const plan = new Int32Array(indices.length * PLAN_VALUES).fill(PLAN_IGNORE);
    indices.forEach((i, b) => {
      const own = of[i];
      if (own !== undefined) plan.set(own, b * PLAN_VALUES);
    });
    return plan;
  };
  const gt = data.reference;
  const reference = gt && { x0: concatFloat(indices.map((i) => gt.x0[i])), plan: plans(gt.plan) };
  const rows = (of: Float32Array[]): Float32Array => concatFloat(indices.map((i) => of[i]));
  const batch: SrumBatch = { x0: rows(data.x0), textTokens, reward: rows(data.reward), ...(reference ? { reference } : {}) };
  const plan = plans(data.plan);
  if (plan === undefined) return batch;
  const thinking = Uint8Array.from(indices, (i) => (data.plan[i] === undefined ? 0 : 1));
  return { ...batch, plan, thinking, layoutReward: Float32Array.from(indices, (i) => data.layoutReward[i]) };
}

/** Shape helper for the batch tensors. */
export function batchShapes(config: ModelConfig, batchSize: number): { x0: [number, number, number]; reward: [number, number, number] } {
  const { gridSize, imageTokens, generationDim } = modelDims(config);
  return { x0: [batchSize, imageTokens, generationDim], reward: [batchSize, gridSize, gridSize] };
}
