// Scores per sampling step (the paper's Figure 4): the model samples each protocol image from its keyed noise with the
// default sampler (or the given settings), and at every step its predicted clean image x0_hat = x_t - t v (sampler.ts
// onStep) is decoded and scored for layout and detail (layout-detail.ts) by the independent evaluator and, beside it, by
// the model's own judge. Step k (1-based) is the x0_hat predicted from noise level t_k; the last step's x0_hat is the
// sample itself. Per step: the mean over images and its standard error clustered by prompt text (gap.ts clusteredMean),
// in percent of constraints satisfied.
import { generateImages, type SamplingSettings } from '../generate/generate';
import { imagesFromGenerationTokens } from '../model/image-tokens';
import type { UnifiedModel } from '../model/params';
import { parsePrompt } from '../world/grammar';
import type { RgbImage } from '../world/types';
import { clusteredMean, type ClusteredMean } from './gap';
import { evaluatorLayoutDetail, judgeLayoutDetail, layoutDetailPrompt, type LayoutDetailScore } from './layout-detail';
import { detectObjects } from './objects';
import type { ProtocolConfig, ProtocolImage } from './protocol';

export interface PerStepOptions {
  /** The images to draw: prompt text and noise key each (protocol.ts protocolImages). */
  images: readonly ProtocolImage[];
  /** Seed of the keyed noise (the protocol's seed). */
  seed: number;
  /** Sampler overrides (default: the toolkit's sampler, think mode on). */
  sampling?: Partial<SamplingSettings>;
  /** Also score each x0_hat with the model's own judge (default true). */
  judge?: boolean;
  /** Images per forward pass (default: generate.ts's). */
  batchSize?: number;
  /** Every step of every batch: its decoded x0_hat images (from image `first` on) and their scores. */
  onStep?: (info: { first: number; step: number; t: number; images: RgbImage[]; scores: ImageStepScores[] }) => void;
  /** After every batch, with the number of images done. */
  onProgress?: (done: number) => void;
}

/** One x0_hat's scores: the evaluator's, and the judge's when asked. */
export interface ImageStepScores {
  evaluator: LayoutDetailScore;
  judge?: LayoutDetailScore;
}

/** One sampling step: percent of layout and detail constraints satisfied, mean and clustered SE over the images. */
export interface StepScores {
  /** 1-based step number. */
  step: number;
  /** Noise level the step's x0_hat was predicted from (t = 1 is noise). */
  t: number;
  layout: ClusteredMean;
  detail: ClusteredMean;
  judgeLayout?: ClusteredMean;
  judgeDetail?: ClusteredMean;
}

/** Layout and detail scores of x0_hat at every sampling step, over the given images (see the top of this file). */
export function perStepScores(model: UnifiedModel, options: PerStepOptions): StepScores[] {
  const { images } = options;
  const judge = options.judge ?? true;
  const splits = images.map((image) => layoutDetailPrompt(parsePrompt(image.prompt)));
  const scores: ImageStepScores[][] = []; // [step][image]
  const times: number[] = [];
  generateImages(
    model,
    images.map((image) => image.prompt),
    {
      ...options.sampling,
      seed: options.seed,
      noiseKeys: images.map((image) => image.noiseKey),
      batchSize: options.batchSize,
      onProgress: options.onProgress,
      onStep: ({ first, step, t, x0Predicted }) => {
        times[step] = t;
        const decoded = imagesFromGenerationTokens(model, x0Predicted);
        const batch = decoded.map((image, i) => ({
          evaluator: evaluatorLayoutDetail(detectObjects(image), splits[first + i]),
          judge: judge ? judgeLayoutDetail(model, image, splits[first + i]) : undefined,
        }));
        batch.forEach((s, i) => ((scores[step] ??= [])[first + i] = s));
        options.onStep?.({ first, step: step + 1, t, images: decoded, scores: batch });
      },
    },
  );
  const clusters = images.map((image) => image.prompt);
  const meanOf = (values: readonly (number | undefined)[]): ClusteredMean => {
    const kept = values.flatMap((v, k) => (v === undefined ? [] : [{ percent: 100 * v, cluster: clusters[k] }]));
    return clusteredMean(
      kept.map((v) => v.percent),
      kept.map((v) => v.cluster),
    );
  };
  return scores.map((perImage, step) => ({
    step: step + 1,
    t: times[step],
    layout: meanOf(perImage.map((s) => s.evaluator.layout)),
    detail: meanOf(perImage.map((s) => s.evaluator.detail)),
    ...(judge
      ? { judgeLayout: meanOf(perImage.map((s) => s.judge?.layout)), judgeDetail: meanOf(perImage.map((s) => s.judge?.detail)) }
      : {}),
  }));
}

/** One arm of figures/results/per-step.json: per step, percent of constraints satisfied and one clustered SE each. */
export interface PerStepArm {
  layout: number[];
  detail: number[];
  layout_se: number[];
  detail_se: number[];
  judge_layout?: number[];
  judge_detail?: number[];
  judge_layout_se?: number[];
  judge_detail_se?: number[];
  /** Images behind each detail value (all) and behind each layout value (prompts with a relation or a count). */
  images: number;
  layout_images: number;
}

/** perStepScores as per-step arrays (the result file's form). */
export function perStepArm(steps: readonly StepScores[]): PerStepArm {
  const series = (ms: readonly ClusteredMean[]): { mean: number[]; se: number[] } => ({
    mean: ms.map((m) => m.mean),
    se: ms.map((m) => m.se),
  });
  const [layout, detail] = [series(steps.map((s) => s.layout)), series(steps.map((s) => s.detail))];
  const arm: PerStepArm = {
    layout: layout.mean,
    detail: detail.mean,
    layout_se: layout.se,
    detail_se: detail.se,
    images: steps[0]?.detail.n ?? 0,
    layout_images: steps[0]?.layout.n ?? 0,
  };
  const judgeLayout = steps.flatMap((s) => (s.judgeLayout === undefined ? [] : [s.judgeLayout]));
  const judgeDetail = steps.flatMap((s) => (s.judgeDetail === undefined ? [] : [s.judgeDetail]));
  if (steps.length === 0 || judgeLayout.length < steps.length || judgeDetail.length < steps.length) return arm;
  const [jl, jd] = [series(judgeLayout), series(judgeDetail)];
  return { ...arm, judge_layout: jl.mean, judge_detail: jd.mean, judge_layout_se: jl.se, judge_detail_se: jd.se };
}

/** An arm of the result file: its per-step arrays, where its weights came from, how it was drawn, and its wall time. */
export interface PerStepArmResult extends PerStepArm {
  /** The command that drew this arm (the file's `command` is the latest). */
  command: string;
  source: string;
  sampling: Partial<SamplingSettings>;
  /** Sampling and scoring, one thread. */
  seconds: number;
}

/** figures/results/per-step.json, as scripts/experiments/per-step.ts writes it. */
export interface PerStepResultFile {
  command: string;
  protocol: ProtocolConfig & { n_prompts: number; n_images: number };
  /** 1-based sampling steps, and the noise level each step's x0_hat was predicted from. */
  steps: number[];
  t: number[];
  unit: string;
  definitions: { layout: string; detail: string; judge: string };
  default_sampling: SamplingSettings;
  arms: Record<string, PerStepArmResult>;
}
