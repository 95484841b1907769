// CompBench-mini and GenEval-mini: TEST-split prompts of the 8 T2I-CompBench / 6 GenEval-style categories (round
// robin, so each gets about n / k), one image per prompt with the default sampler settings (DEFAULT_SAMPLING, think
// included, unless BenchmarkOptions.think says otherwise), scored by the INDEPENDENT evaluator only (evaluateImage:
// classical image analysis). The model's own judge never enters a benchmark number: otherwise reward hacking would look like progress.
// Scores are percent points 0-100: per category the share of passed images; overall the mean over categories
// (each category counts once, as in T2I-CompBench and GenEval tables). Understanding accuracy is the gap's measure
// (lib/eval/gap.ts: rendered test scenes, half with contradicting prompts, the model's prompt verdict), in percent.
import { DEFAULT_SAMPLING, generateImages } from '../generate/generate';
import { promptVerdict } from '../judge/verdict';
import type { UnifiedModel } from '../model/params';
import { samplePrompts } from '../world/splits';
import { COMPBENCH_CATEGORIES, GENEVAL_CATEGORIES, type Category, type Prompt, type RgbImage } from '../world/types';
import { evaluateImage } from './evaluate';
import { shareTrue, understandingCorrect, type Generator } from './gap';

export interface BenchmarkOptions {
  /** Prompts in all (balanced over the benchmark's categories). */
  n: number;
  /** Seed of the prompts and of the sampling noise. */
  seed: number;
  /** Prompt split (default 'test'; 'val' to choose settings without touching the test set). */
  split?: EvalSplit;
  /** Think mode (plan first); default DEFAULT_SAMPLING.think. */
  think?: boolean;
  /** Called after every generated batch with the number of images done. */
  onProgress?: (done: number) => void;
}

export interface BenchmarkScores {
  /** Category -> percent of its images the evaluator passes (categories without a prompt are left out). */
  per_category: Partial<Record<Category, number>>;
  /** Mean of per_category, percent points. */
  overall: number;
  /** Prompts scored. */
  n: number;
}

/** The generation under test: a model (default sampler settings) or any Generator (e.g. a stub in tests). */
export type BenchmarkSubject = UnifiedModel | Generator;

export type EvalSplit = 'val' | 'test';

/** Percent true among the defined values (undefined: a prompt that was not asked). */
const percent = (passed: (boolean | undefined)[]): number => 100 * shareTrue(passed);

function generate(subject: BenchmarkSubject, prompts: readonly Prompt[], options: BenchmarkOptions): ReturnType<Generator> {
  const think = options.think ?? DEFAULT_SAMPLING.think;
  if (typeof subject === 'function') return subject(prompts, { think });
  return generateImages(
    subject,
    prompts.map((p) => p.text),
    { seed: options.seed, think, onProgress: options.onProgress },
  );
}

/** The benchmark's prompts of `categories`, one generated image each, and whether the independent evaluator passes it. */
export function benchmarkPasses(
  subject: BenchmarkSubject,
  categories: readonly Category[],
  options: BenchmarkOptions,
): { prompts: Prompt[]; passed: boolean[] } {
  if (!Number.isInteger(options.n) || options.n < 1) throw new Error(`benchmark n must be a positive integer, got ${options.n}`);
  const prompts = samplePrompts({ split: options.split ?? 'test', n: options.n, seed: options.seed, categories });
  const images = generate(subject, prompts, options);
  if (images.length !== prompts.length) throw new Error(`generator returned ${images.length} images for ${prompts.length} prompts`);
  return { prompts, passed: images.map((image, k) => evaluateImage(image, prompts[k]).passed) };
}

/** Generate one image per test prompt of `categories` and score it with the independent evaluator. */
export function scoreBenchmark(subject: BenchmarkSubject, categories: readonly Category[], options: BenchmarkOptions): BenchmarkScores {
  const { prompts, passed } = benchmarkPasses(subject, categories, options);
  const per_category: Partial<Record<Category, number>> = {};
  for (const category of categories) {
    const mine = passed.filter((_, k) => prompts[k].category === category);
    if (mine.length > 0) per_category[category] = percent(mine);
  }
  const scores = Object.values(per_category) as number[];
  return { per_category, overall: scores.reduce((a, b) => a + b, 0) / scores.length, n: prompts.length };
}

/** CompBench-mini: color, shape, texture, spatial, 3d_spatial, numeracy, non-spatial, complex. */
export function compBenchMini(subject: BenchmarkSubject, options: BenchmarkOptions): BenchmarkScores {
  return scoreBenchmark(subject, COMPBENCH_CATEGORIES, options);
}

/** GenEval-mini: single_object, two_objects, counting, colors, position, color_attr. */
export function genEvalMini(subject: BenchmarkSubject, options: BenchmarkOptions): BenchmarkScores {
  return scoreBenchmark(subject, GENEVAL_CATEGORIES, options);
}

/** Understanding accuracy (percent) on n rendered test scenes of all 14 categories, as in the gap measurement. */
export function understandingAccuracy(model: UnifiedModel, options: UnderstandingOptions): number {
  return percent(understandingItems(model, options).map((item) => item.correct));
}

export interface UnderstandingOptions {
  /** Prompts sampled from the split (a prompt no scene fits is not asked). */
  n: number;
  /** Seed of the prompts, their scenes and the contradictions. */
  seed: number;
  split?: EvalSplit;
}

/** One asked scene: the prompt text it was drawn from (the cluster of a paired SE) and whether the verdict was right. */
export interface UnderstandingItem {
  prompt: string;
  correct: boolean;
}

/** understandingAccuracy's scenes one by one, in a fixed order: two models on the same options answer the same scenes. */
export function understandingItems(model: UnifiedModel, options: UnderstandingOptions): UnderstandingItem[] {
  const prompts = samplePrompts({ split: options.split ?? 'test', n: options.n, seed: options.seed });
  const judge = (images: readonly RgbImage[], asked: readonly Prompt[]): boolean[] =>
    images.map((image, k) => promptVerdict(model, image, asked[k]).passed);
  const correct = understandingCorrect(prompts, { seed: options.seed, judge });
  return prompts.flatMap((p, k) => (correct[k] === undefined ? [] : [{ prompt: p.text, correct: correct[k] as boolean }]));
}
