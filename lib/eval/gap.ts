// The understanding-generation gap (paper Figure 1): how well the model judges images against prompts,
// how often its own generations satisfy their prompts, and whether its judgment of its own generations
// agrees with the independent evaluator. Ground truth for understanding comes from the scene oracle
// (rendered test scenes, half paired with a contradicting prompt); generation is scored by the evaluator.
import { DEFAULT_SAMPLING } from '../generate/generate';
import { makeRng } from '../rng';
import { sceneIfFits } from '../world/layout';
import { renderScene } from '../world/render';
import { contradict } from '../world/sample';
import { mentionsHeldOut, samplePrompts } from '../world/splits';
import type { Category, Prompt, RgbImage, Scene } from '../world/types';
import { evaluateImage } from './evaluate';

/** The model's "does this image satisfy this prompt" verdict, one boolean per (image, prompt) pair. */
export type PromptJudge = (images: readonly RgbImage[], prompts: readonly Prompt[]) => boolean[];
/** The model's text-to-image generation, one image per prompt, in order. */
export type Generator = (prompts: readonly Prompt[], options: { think: boolean }) => RgbImage[];

export interface GapOptions {
  n: number;
  seed: number;
  judge: PromptJudge;
  generate: Generator;
  /** Prompts of this split (default 'test'; 'val' for choosing between runs without touching the test set). */
  split?: 'val' | 'test';
  /** The sampler mode of generation_accuracy and of the agreement: think (plan first) or not; default DEFAULT_SAMPLING.think. */
  think?: boolean;
  /** Also generate in the other mode and report both modes' accuracy (default true). */
  bothModes?: boolean;
  onStage?: (stage: string) => void;
}

export interface GapRates {
  /** Model verdict vs ground truth on rendered test scenes, half of them with contradicting prompts. */
  understanding_accuracy: number;
  /** Share of generated images (default sampler settings, think mode included) that the independent evaluator passes. */
  generation_accuracy: number;
  /** Agreement of the model's verdict with the evaluator's on those generated images. */
  understanding_on_generated: number;
  /** generation_accuracy straight from the prompt (no plan), when measured. */
  generation_accuracy_normal?: number;
  /** generation_accuracy in think mode (plan first), when measured. */
  generation_accuracy_think?: number;
  n: number;
  /** One standard error of each rate above (clusteredStandardError: repeats of a prompt text count as one draw). */
  standard_error: GapStandardErrors;
}

/** The rates of GapRates that have a standard error. */
export type GapRateKey =
  | 'understanding_accuracy'
  | 'generation_accuracy'
  | 'understanding_on_generated'
  | 'generation_accuracy_normal'
  | 'generation_accuracy_think';
export type GapStandardErrors = Partial<Record<GapRateKey, number>>;

export interface GapReport extends GapRates {
  seed: number;
  /** Distinct prompt texts among the n (GenEval-style categories have few, so texts repeat). */
  distinct_prompts: number;
  per_category: Partial<Record<Category, GapRates>>;
  /**
   * The same prompts split by whether they name a colour-shape pair held out of training (world/heldout.ts): such
   * prompts never fall in train, so they make up most CompBench-style val and test prompts (out-of-domain).
   */
  by_domain: { in_domain: GapRates; held_out: GapRates };
}

/** Share of true among the defined values (undefined: not asked); NaN when none was asked. */
export const shareTrue = (values: readonly (boolean | undefined)[]): number => {
  const asked = values.filter((v) => v !== undefined);
  return asked.length === 0 ? NaN : asked.filter(Boolean).length / asked.length;
};

/**
 * Standard error of the share of true among the defined values when the values come in clusters that are not
 * independent: here, repeats of one prompt text, whose images and verdicts are alike. The cluster-robust variance of a
 * mean, G / (G - 1) * sum over clusters of (sum of y - p)^2 / n^2, with G clusters and n values; with every cluster a
 * single value it is the binomial sqrt(p (1 - p) / (n - 1)). NaN with fewer than two clusters.
 */
export function clusteredStandardError(values: readonly (boolean | undefined)[], clusters: readonly string[]): number {
  if (clusters.length !== values.length)
    throw new Error(`clusteredStandardError: ${values.length} values but ${clusters.length} cluster labels`);
  const asked = values.flatMap((v, k) => (v === undefined ? [] : [k]));
  return clusteredMean(
    asked.map((k) => (values[k] ? 1 : 0)),
    asked.map((k) => clusters[k]),
  ).se;
}

/** Mean of values that come in clusters, and its cluster-robust standard error. */
export interface ClusteredMean {
  mean: number;
  se: number;
  /** Values and distinct clusters behind them. */
  n: number;
  clusters: number;
}

/**
 * Mean of `values` and its standard error when values with the same cluster label are not independent (the draws of
 * one prompt text): the cluster-robust variance G / (G - 1) * sum over clusters of (sum of (y - mean))^2 / n^2, with G
 * clusters and n values. With one value per cluster it is the plain sample standard error sqrt(s^2 / n) up to the
 * factor (n - 1) / n on s^2. NaN se with fewer than two clusters.
 */
export function clusteredMean(values: readonly number[], clusters: readonly string[]): ClusteredMean {
  if (clusters.length !== values.length) throw new Error(`clusteredMean: ${values.length} values but ${clusters.length} cluster labels`);
  const n = values.length;
  if (n === 0) return { mean: NaN, se: NaN, n: 0, clusters: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sums = new Map<string, number>();
  values.forEach((v, k) => sums.set(clusters[k], (sums.get(clusters[k]) ?? 0) + v - mean));
  const g = sums.size;
  let squares = 0;
  for (const sum of sums.values()) squares += sum * sum;
  return { mean, se: g < 2 ? NaN : Math.sqrt((g / (g - 1)) * squares) / n, n, clusters: g };
}

/**
 * Understanding on rendered scenes: prompt k's scene is rendered and asked about with the prompt itself (truth:
 * satisfied) or a contradicting one, alternating within each category (the i-th prompt of a category is asked as
 * itself when i is even), so every category, not only the whole set, is half own prompts and half contradictions;
 * true where the judge's verdict matches the truth. A prompt no scene can be laid out for (two large squares side by
 * side or stacked do not fit in 32 px; the grammar allows them) is not asked: its entry is undefined.
 */
export function understandingCorrect(prompts: readonly Prompt[], options: { seed: number; judge: PromptJudge }): (boolean | undefined)[] {
  const rng = makeRng(options.seed).fork('gap');
  const laidOut = prompts.map((p, k) => sceneIfFits(p, rng.fork(`scene:${k}`), { allowHeldOut: true }));
  const kept = prompts.map((_, k) => k).filter((k) => laidOut[k] !== undefined);
  const scenes = kept.map((k) => laidOut[k] as Scene);
  const seen = new Map<Category, number>();
  const truth = prompts.map((p) => {
    const i = seen.get(p.category) ?? 0;
    seen.set(p.category, i + 1);
    return i % 2 === 0;
  });
  const asked = kept.map((k, i) => (truth[k] ? prompts[k] : contradict(prompts[k], scenes[i], rng.fork(`contradict:${k}`))));
  const verdicts = options.judge(scenes.map(renderScene), asked);
  const correct: (boolean | undefined)[] = prompts.map(() => undefined);
  kept.forEach((k, i) => (correct[k] = verdicts[i] === truth[k]));
  return correct;
}

export function measureGap(options: GapOptions): GapReport {
  const prompts = samplePrompts({ split: options.split ?? 'test', n: options.n, seed: options.seed });

  options.onStage?.('understanding on rendered scenes');
  const understood = understandingCorrect(prompts, { seed: options.seed, judge: options.judge });

  const think = options.think ?? DEFAULT_SAMPLING.think;
  const stage = (thinking: boolean): string => (thinking ? 'generation (think)' : 'generation');
  options.onStage?.(stage(think));
  const generated = options.generate(prompts, { think });
  const passed = generated.map((image, k) => evaluateImage(image, prompts[k]).passed);
  const selfVerdicts = options.judge(generated, prompts);
  const agreed = selfVerdicts.map((verdict, k) => verdict === passed[k]);

  let passedOther: boolean[] | undefined;
  if (options.bothModes ?? true) {
    options.onStage?.(stage(!think));
    passedOther = options.generate(prompts, { think: !think }).map((image, k) => evaluateImage(image, prompts[k]).passed);
  }
  const [passedNormal, passedThink] = think ? [passedOther, passed] : [passed, passedOther];

  const outcomes: Partial<Record<GapRateKey, readonly (boolean | undefined)[]>> = {
    understanding_accuracy: understood,
    generation_accuracy: passed,
    understanding_on_generated: agreed,
    ...(passedNormal && passedThink ? { generation_accuracy_normal: passedNormal, generation_accuracy_think: passedThink } : {}),
  };
  const texts = prompts.map((p) => p.text);
  const rates = (indices: number[]): GapRates => {
    const shares: Partial<Record<GapRateKey, number>> = {};
    const standard_error: GapStandardErrors = {};
    for (const [key, values] of Object.entries(outcomes) as [GapRateKey, readonly (boolean | undefined)[]][]) {
      shares[key] = shareTrue(indices.map((k) => values[k]));
      standard_error[key] = clusteredStandardError(
        indices.map((k) => values[k]),
        indices.map((k) => texts[k]),
      );
    }
    return {
      ...(shares as Pick<GapRates, 'understanding_accuracy' | 'generation_accuracy' | 'understanding_on_generated'>),
      n: indices.length,
      standard_error,
    };
  };
  const all = prompts.map((_, k) => k);
  const per_category: GapReport['per_category'] = {};
  for (const category of new Set(prompts.map((p) => p.category))) {
    per_category[category] = rates(all.filter((k) => prompts[k].category === category));
  }
  const heldOut = prompts.map(mentionsHeldOut);
  const by_domain = { in_domain: rates(all.filter((k) => !heldOut[k])), held_out: rates(all.filter((k) => heldOut[k])) };
  return { ...rates(all), seed: options.seed, distinct_prompts: new Set(texts).size, per_category, by_domain };
}
