// The main SRUM result (the paper's Table 1, re-measured): base, SFT and SRUM over several seeds, collected from
// the summary.json of `srum run` directories, and the judge-evaluator agreement on each run's own candidates.
// Benchmark numbers come from the independent evaluator only; the judge's rewards are only compared against it.
import { evaluateImage } from '../eval/evaluate';
import { readJsonl } from '../io';
import { GLOBAL_OBJECT } from '../judge/records';
import { parsePrompt } from '../world/grammar';
import { readPng } from '../world/png';
import type { Category } from '../world/types';
import type { SelfJudgedLine } from './judge';
import type { ModelScores, RunSummary } from './pipeline';

/** One method's numbers, each a list over seeds (in seed order). */
export interface MethodResults {
  seeds: number[];
  /** CompBench-mini overall, percent points. */
  overall: number[];
  /** Understanding accuracy, percent. */
  understanding: number[];
  /** GenEval-mini overall, percent points. */
  geneval: number[];
  /** CompBench-mini category -> list over seeds. */
  per_category: Partial<Record<Category, number[]>>;
}

export interface MainResults {
  base: MethodResults;
  sft: MethodResults;
  srum: MethodResults;
}

function emptyResults(): MethodResults {
  return { seeds: [], overall: [], understanding: [], geneval: [], per_category: {} };
}

function push(into: MethodResults, seed: number, scores: ModelScores): void {
  into.seeds.push(seed);
  into.overall.push(scores.compbench.overall);
  into.understanding.push(scores.understanding);
  into.geneval.push(scores.geneval.overall);
  for (const [category, value] of Object.entries(scores.compbench.per_category) as Array<[Category, number]>) {
    (into.per_category[category] ??= []).push(value);
  }
}

/**
 * Base, SFT and SRUM per seed from run summaries. Each seed needs one SFT and one SRUM run; `base` comes from the
 * SRUM run's base evaluation, and the SFT run's base evaluation (same checkpoint, same eval seed) must equal it.
 */
export function collectMainResults(summaries: readonly RunSummary[]): MainResults {
  const seeds = [...new Set(summaries.map((s) => s.seed))].sort((a, b) => a - b);
  const results: MainResults = { base: emptyResults(), sft: emptyResults(), srum: emptyResults() };
  for (const seed of seeds) {
    const find = (method: 'sft' | 'srum'): RunSummary => {
      const matches = summaries.filter((s) => s.seed === seed && s.method === method);
      if (matches.length !== 1) throw new Error(`seed ${seed}: expected one ${method} run, found ${matches.length}`);
      return matches[0];
    };
    const [sft, srum] = [find('sft'), find('srum')];
    if (sft.base.compbench.overall !== srum.base.compbench.overall) {
      const scores = `${sft.base.compbench.overall} vs ${srum.base.compbench.overall}`;
      throw new Error(`seed ${seed}: the SFT and SRUM runs evaluated different base models (${scores}); same checkpoint and --eval-seed?`);
    }
    push(results.base, seed, srum.base);
    push(results.sft, seed, sft.trained);
    push(results.srum, seed, srum.trained);
  }
  return results;
}

export const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** Sample standard deviation (n - 1); 0 for a single value. */
export function std(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
}

export interface Agreement {
  agreement: number;
  n: number;
}

/**
 * How often the judge's global verdict (global score > 0, i.e. the model's promptVerdict passes) agrees with the
 * independent evaluator on the judged candidates of one rewards JSONL: overall and per category.
 */
export function judgeAgreement(rewardsFile: string): Agreement & { per_category: Partial<Record<Category, Agreement>> } {
  const lines = readJsonl<SelfJudgedLine>(rewardsFile);
  if (lines.length === 0) throw new Error(`${rewardsFile} holds no judged candidates`);
  const byCategory = new Map<Category, boolean[]>();
  const all: boolean[] = [];
  for (const line of lines) {
    const prompt = parsePrompt(line.prompt);
    const global = line.vlm_rewards.find((r) => r.object === GLOBAL_OBJECT);
    if (global === undefined) throw new Error(`${rewardsFile}: ${line.image_file} has no ${GLOBAL_OBJECT} entry`);
    const agreed = global.score > 0 === evaluateImage(readPng(line.image_file), prompt).passed;
    all.push(agreed);
    byCategory.set(prompt.category, [...(byCategory.get(prompt.category) ?? []), agreed]);
  }
  const rate = (values: boolean[]): Agreement => ({ agreement: values.filter(Boolean).length / values.length, n: values.length });
  return { ...rate(all), per_category: Object.fromEntries([...byCategory].map(([category, values]) => [category, rate(values)])) };
}
