// The world self-check: render test prompts, (optionally) corrupt them, and ask the evaluator about each
// image twice: against its own prompt (should pass) and against a contradicting prompt (should fail).
// Its two rates say how far the evaluator can be trusted as the referee of generated images.
import { makeRng } from '../rng';
import { sceneFor } from '../world/layout';
import { corrupt, renderScene } from '../world/render';
import { contradict } from '../world/sample';
import { samplePrompts } from '../world/splits';
import { CATEGORIES, Category, Prompt } from '../world/types';
import { evaluateDetection } from './evaluate';
import { detectObjects } from './objects';

export interface WorldCheckOptions {
  n: number;
  seed: number;
  /** Gaussian noise sigma (0 = none). */
  noise: number;
  /** Box-blur radius in pixels (0 = none). */
  blur: number;
  /** Called after each image (for a progress line). */
  onProgress?: (done: number, total: number) => void;
}

export interface Rates {
  /** Fraction of images the evaluator passes against their own prompt. */
  positive_accuracy: number;
  /** Fraction of images the evaluator passes against a contradicting prompt. */
  false_accept_rate: number;
  n: number;
}

export interface WorldCheckResult extends Rates {
  seed: number;
  noise: number;
  blur: number;
  per_category: Partial<Record<Category, Rates>>;
  /** A few failures to look at: prompt, whether it was the contradiction, and the evaluator's details. */
  failures: Array<{ prompt: string; contradiction: boolean; category: Category; details: string[] }>;
}

const MAX_FAILURES_KEPT = 40;

export function worldCheck(options: WorldCheckOptions): WorldCheckResult {
  const prompts = samplePrompts({ split: 'test', n: options.n, seed: options.seed });
  const rng = makeRng(options.seed).fork('world-check');
  const tally = new Map<Category, { pos: number; fa: number; n: number }>();
  const failures: WorldCheckResult['failures'] = [];
  prompts.forEach((prompt: Prompt, k) => {
    const scene = sceneFor(prompt, rng.fork(`scene:${k}`), { allowHeldOut: true });
    const wrong = contradict(prompt, scene, rng.fork(`contradict:${k}`));
    const image = corrupt(renderScene(scene), { noise: options.noise, blur: options.blur }, rng.fork(`noise:${k}`));
    const detection = detectObjects(image);
    const positive = evaluateDetection(detection, prompt);
    const negative = evaluateDetection(detection, wrong);
    const t = tally.get(prompt.category) ?? { pos: 0, fa: 0, n: 0 };
    t.n++;
    if (positive.passed) t.pos++;
    if (negative.passed) t.fa++;
    tally.set(prompt.category, t);
    for (const [verdict, contradiction] of [
      [positive, false],
      [negative, true],
    ] as const) {
      if (verdict.passed !== contradiction || failures.length >= MAX_FAILURES_KEPT) continue;
      failures.push({
        prompt: verdict.prompt,
        contradiction,
        category: prompt.category,
        details: verdict.constraints.map((c) => `${c.passed ? 'ok' : 'FAIL'} ${c.text}: ${c.detail}`),
      });
    }
    options.onProgress?.(k + 1, prompts.length);
  });
  const rates = (t: { pos: number; fa: number; n: number }): Rates => ({
    positive_accuracy: t.pos / t.n,
    false_accept_rate: t.fa / t.n,
    n: t.n,
  });
  const total = { pos: 0, fa: 0, n: 0 };
  const perCategory: Partial<Record<Category, Rates>> = {};
  for (const category of CATEGORIES) {
    const t = tally.get(category);
    if (!t) continue;
    perCategory[category] = rates(t);
    total.pos += t.pos;
    total.fa += t.fa;
    total.n += t.n;
  }
  return { ...rates(total), seed: options.seed, noise: options.noise, blur: options.blur, per_category: perCategory, failures };
}
