// Headroom for self-rewarding: how much better the model's own samples could be if the best of k were kept, and how
// much of that the model's own judge finds. Each protocol prompt is drawn k_max times (protocol.ts draws); then
// - pass@k (the independent evaluator): the chance that at least one of k draws passes, estimated from all k_max
//   draws with the unbiased estimator 1 - C(n - c, k) / C(n, k) (n draws, c passing; Chen et al. 2021);
// - self best-of-k: the draws split into k_max / k disjoint groups of k; in each the draw the model's own verdict
//   ranks highest (product of its constraint probabilities; the first on a tie) is kept, and the evaluator says if it
//   passes; the mean over groups and prompts;
// - the judge's precision and recall against the evaluator on all the candidates (its verdict: every constraint > 0.5);
// - distinct plans among the k_max draws (think mode: the argmax plan is one plan for every draw).
// The evaluator only measures here; the model's verdict only ranks. Nothing here trains.
import { COMPBENCH_CATEGORIES, type Category } from '../world/types';
import { clusteredMean } from './gap';
import type { ProtocolImage } from './protocol';

/** Every candidate of a headroom run: the protocol image and its scores. */
export interface Candidate extends ProtocolImage {
  passed: boolean;
  selfPassed: boolean;
  selfScore: number;
  plan: string;
}

export interface HeadroomNumbers {
  n_prompts: number;
  k: number[];
  /** Percent. */
  pass_at_k: number[];
  pass_at_k_se: number[];
  self_best_of_k: number[];
  self_best_of_k_se: number[];
  distinct_plans_at_max: number;
  judge_precision: number;
  judge_recall: number;
}

export interface HeadroomReport extends HeadroomNumbers {
  by_category: Partial<Record<Category, HeadroomNumbers>>;
  in_domain: HeadroomNumbers;
  held_out: HeadroomNumbers;
}

/** Unbiased pass@k from n draws of which c passed: 1 - C(n - c, k) / C(n, k). */
export function passAtK(n: number, c: number, k: number): number {
  if (!(k >= 1 && k <= n)) throw new Error(`pass@k needs 1 <= k <= n, got k = ${k}, n = ${n}`);
  if (n - c < k) return 1;
  let fail = 1;
  for (let i = 0; i < k; i++) fail *= (n - c - i) / (n - i);
  return 1 - fail;
}

/** The draws of each prompt, in draw order. */
function byPrompt(candidates: readonly Candidate[]): Candidate[][] {
  const groups = new Map<string, Candidate[]>();
  for (const c of candidates) groups.set(c.prompt, [...(groups.get(c.prompt) ?? []), c]);
  return [...groups.values()].map((draws) => draws.sort((a, b) => a.draw - b.draw));
}

/** Self best-of-k of one prompt's draws: the mean over disjoint groups of k of "the judge's top draw passes". */
export function selfBestOfK(draws: readonly Candidate[], k: number): number {
  const groups = Math.floor(draws.length / k);
  if (groups < 1) throw new Error(`self best-of-${k} needs at least ${k} draws, got ${draws.length}`);
  let passes = 0;
  for (let g = 0; g < groups; g++) {
    const group = draws.slice(g * k, (g + 1) * k);
    const top = group.reduce((best, c) => (c.selfScore > best.selfScore ? c : best));
    passes += Number(top.passed);
  }
  return passes / groups;
}

function numbers(candidates: readonly Candidate[], ks: readonly number[]): HeadroomNumbers {
  const prompts = byPrompt(candidates);
  const labels = prompts.map((draws) => draws[0].prompt);
  const perPrompt = (f: (draws: Candidate[]) => number): { mean: number; se: number } =>
    clusteredMean(
      prompts.map((d) => 100 * f(d)),
      labels,
    );
  const passAt = ks.map((k) => perPrompt((d) => passAtK(d.length, d.filter((c) => c.passed).length, k)));
  const best = ks.map((k) => perPrompt((d) => selfBestOfK(d, k)));
  const selfYes = candidates.filter((c) => c.selfPassed);
  const evalYes = candidates.filter((c) => c.passed);
  return {
    n_prompts: prompts.length,
    k: [...ks],
    pass_at_k: passAt.map((m) => m.mean),
    pass_at_k_se: passAt.map((m) => m.se),
    self_best_of_k: best.map((m) => m.mean),
    self_best_of_k_se: best.map((m) => m.se),
    distinct_plans_at_max: prompts.reduce((sum, d) => sum + new Set(d.map((c) => c.plan)).size, 0) / prompts.length,
    judge_precision: selfYes.filter((c) => c.passed).length / selfYes.length,
    judge_recall: evalYes.filter((c) => c.selfPassed).length / evalYes.length,
  };
}

/** The headroom numbers overall, per category and per domain; ks must divide the draws per prompt. */
export function headroom(candidates: readonly Candidate[], ks: readonly number[] = [1, 2, 4, 8]): HeadroomReport {
  const by_category: Partial<Record<Category, HeadroomNumbers>> = {};
  for (const category of COMPBENCH_CATEGORIES) {
    const mine = candidates.filter((c) => c.category === category);
    if (mine.length > 0) by_category[category] = numbers(mine, ks);
  }
  return {
    ...numbers(candidates, ks),
    by_category,
    in_domain: numbers(
      candidates.filter((c) => !c.heldOut),
      ks,
    ),
    held_out: numbers(
      candidates.filter((c) => c.heldOut),
      ks,
    ),
  };
}
