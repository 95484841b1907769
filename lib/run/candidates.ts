// Stage 1 of the pipeline: the model's own images for world TRAINING prompts (the released pipeline's step 1).
// DIR gets cand-00000.png, ... and candidates.jsonl, one line per image in index order:
//   { image_file (relative to DIR), original_prompt, category, index, think, plan? }
// (think mode: `plan`, the layout the image was generated from, PLAN_SLOTS x PLAN_FIELDS ints as in lib/model/plan.ts;
// SRUM trains a think-mode candidate conditioned on it)
// plus candidates.config.json (seed, think, steps, model). Prompt i is samplePrompts({ split: 'train' })[i]
// (prefix-stable in n), or with prompts 'held-out' the i-th validation prompt naming a held-out pair (candidatePrompts).
// Images are generated in chunks of `batch`; chunk k draws its noise from seed hash("candidates:<seed>:<k>"), so a
// resumed run with the same n writes exactly the images a fresh run would. Resume: PNGs already present are kept;
// the JSONL is rewritten atomically after every chunk.
// Used by `srum candidates` and `srum run`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SAMPLING, generateImages } from '../generate/generate';
import type { UnifiedModel } from '../model/params';
import { readJsonl, writeFileAtomic, writeJsonAtomic } from '../io';
import { PLAN_VALUES } from '../model/classes';
import { Progress } from '../progress';
import { predictPlan } from '../model/plan';
import { hashString, makeRng } from '../rng';
import { encodeBatch } from '../world/tokenizer';
import { writePng } from '../world/png';
import { samplePrompts } from '../world/splits';
import { COMPBENCH_CATEGORIES, type Category, type CompBenchCategory, type Prompt } from '../world/types';
import { CANDIDATES_JSONL, type CandidateLine } from '../judge/candidates-file';

export { CANDIDATES_JSONL, type CandidateLine } from '../judge/candidates-file';
export const CANDIDATES_CONFIG = 'candidates.config.json';

/**
 * Where candidate prompts come from. 'train': world training prompts, as released (the paper's T2I-CompBench train
 * prompts). 'held-out': validation prompts that name a colour-shape pair held out of pretraining (world/heldout.ts).
 * Why offer it: the base was pretrained on ground-truth images of exactly the training prompts' distribution, so there
 * its own understanding knows nothing its generation was not already taught; the paper's post-training prompts are new
 * to Bagel. Held-out pairs are where this model's understanding outruns its generation most (docs/srum-notes.md,
 * "Held-out prompts and a self-judged layout term"). Only the prompt text is used: no image, label or plan of a
 * held-out pair is. Test prompts never share a text with these (the split is a hash of the text), only the pairs.
 */
export const CANDIDATE_PROMPT_SETS = ['train', 'held-out'] as const;
export type CandidatePromptSet = (typeof CANDIDATE_PROMPT_SETS)[number];
/** CompBench categories whose prompts name colours (shape and texture prompts name none, so no held-out pair). */
export const HELD_OUT_CATEGORIES: readonly Category[] = COMPBENCH_CATEGORIES.filter((c) => c !== 'shape' && c !== 'texture');

/** The first n candidate prompts of a set (prefix-stable in n). */
export function candidatePrompts(set: CandidatePromptSet, n: number, seed: number): Prompt[] {
  if (set === 'train') return samplePrompts({ split: 'train', n, seed });
  return samplePrompts({ split: 'val', heldOut: 'only', categories: HELD_OUT_CATEGORIES, n, seed });
}

/**
 * `color,shape,texture`: the categories whose candidates an arm trains on (srum-gain.ts --train-categories), each one
 * of the world's CompBench categories (the train split holds no other), each once.
 */
export function parseTrainCategories(text: string, where = '--train-categories'): CompBenchCategory[] {
  const known = `the world's CompBench categories: ${COMPBENCH_CATEGORIES.join(', ')}`;
  const names = text.split(',').filter((name) => name !== '');
  if (names.length === 0) throw new Error(`${where}: no category named (${known})`);
  for (const [i, name] of names.entries()) {
    if (!(COMPBENCH_CATEGORIES as readonly string[]).includes(name)) throw new Error(`${where}: unknown category "${name}" (${known})`);
    if (names.indexOf(name) !== i) throw new Error(`${where}: category "${name}" named twice`);
  }
  return names as CompBenchCategory[];
}

/** The candidate lines of `categories` (all of them when undefined); a category without a candidate is an error. */
export function candidatesOfCategories(
  lines: readonly CandidateLine[],
  categories: readonly CompBenchCategory[] | undefined,
  file: string,
): CandidateLine[] {
  if (categories === undefined) return [...lines];
  const present = new Set(lines.map((line) => line.category));
  const absent = categories.filter((category) => !present.has(category));
  if (absent.length > 0) throw new Error(`${file}: no candidate of ${absent.join(', ')} (its categories: ${[...present].join(', ')})`);
  return lines.filter((line) => (categories as readonly string[]).includes(line.category));
}

export const imageName = (index: number): string => `cand-${String(index).padStart(5, '0')}.png`;

export interface GenerateCandidatesOptions {
  model: UnifiedModel;
  /** Describes the model in candidates.config.json (a resumed run must use the same). */
  source: string;
  dir: string;
  n: number;
  seed: number;
  think: boolean;
  /** Euler sampling steps. */
  steps: number;
  /** Classifier-free guidance scale (default DEFAULT_SAMPLING's); 1 samples the model's own conditional, no CFG. */
  guidanceScale?: number;
  /** Images per generation chunk. */
  batch: number;
  /** Where the prompts come from (default 'train', as released). */
  prompts?: CandidatePromptSet;
  /**
   * Think mode: draw each plan's shapes at this temperature instead of taking the most likely plan (predictPlan's
   * sampling; 0 or absent = argmax, as released). Exploration for the self-judged think term (SrumConfig.planReward):
   * a planner that never writes a layout cannot be told it is right.
   */
  planTemperature?: number;
  quiet?: boolean;
}

/** The config a resumed run must share with the run that started DIR (n may grow or shrink). */
function checkConfig(dir: string, config: Record<string, unknown>): void {
  const file = path.join(dir, CANDIDATES_CONFIG);
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(saved), ...Object.keys(config)])];
    const differ = keys.filter((k) => k !== 'n' && JSON.stringify(saved[k]) !== JSON.stringify(config[k]));
    if (differ.length > 0) {
      const pairs = differ.map((k) => `${k}: ${JSON.stringify(saved[k])} there, ${JSON.stringify(config[k])} now`).join('; ');
      throw new Error(`${dir} holds candidates made with other settings (${pairs}); use another --out`);
    }
  }
  writeJsonAtomic(file, config);
}

/** The plans of the think-mode candidates DIR's JSONL already lists (a resumed run keeps them). */
function previousPlans(dir: string): Map<number, number[]> {
  const file = path.join(dir, CANDIDATES_JSONL);
  const plans = new Map<number, number[]>();
  if (!fs.existsSync(file)) return plans;
  for (const line of readJsonl<CandidateLine>(file)) if (line.plan !== undefined) plans.set(line.index, line.plan);
  return plans;
}

/**
 * The plan each think-mode candidate of DIR was drawn from, by image path (relative to the working directory, as the
 * judge's records hold it when --out is relative, or absolute); undefined for a candidate made without thinking.
 * Records may name a copy of DIR's image elsewhere (an SFT run that shares a SRUM run's candidates keeps the records
 * pointing at the SRUM run's PNGs): a file with the same name and the same bytes as DIR's is the same candidate.
 */
export function candidatePlans(dir: string): (imageFile: string) => Int32Array | undefined {
  const lines = readJsonl<CandidateLine>(path.join(dir, CANDIDATES_JSONL));
  const plans = new Map(lines.map((line) => [path.resolve(dir, line.image_file), line.plan]));
  const sameBytes = (a: string, b: string): boolean =>
    fs.existsSync(a) && fs.existsSync(b) && fs.readFileSync(a).equals(fs.readFileSync(b));
  return (imageFile) => {
    const own = path.resolve(dir, path.basename(imageFile));
    const plan = plans.get(path.resolve(imageFile)) ?? (plans.has(own) && sameBytes(own, imageFile) ? plans.get(own) : undefined);
    return plan === undefined ? undefined : Int32Array.from(plan);
  };
}

/** Generate the missing candidates of DIR; returns how many were generated and how many were already there. */
export function generateCandidates(options: GenerateCandidatesOptions): { generated: number; already: number } {
  const { model, dir, n, seed, think, steps, batch } = options;
  const guidanceScale = options.guidanceScale ?? DEFAULT_SAMPLING.guidanceScale;
  if (n < 1 || steps < 1 || batch < 1) throw new Error('--n, --steps and --batch must be positive');
  if (!(guidanceScale >= 0)) throw new Error(`guidance scale must be >= 0, got ${guidanceScale}`);
  fs.mkdirSync(dir, { recursive: true });
  const set = options.prompts ?? 'train';
  const planTemperature = options.planTemperature ?? 0;
  if (!(planTemperature >= 0)) throw new Error(`plan temperature must be >= 0, got ${planTemperature}`);
  if (planTemperature > 0 && !think) throw new Error('plan temperature needs think mode: a normal-mode candidate has no plan');
  // Recorded only when not the default, so directories made before the option existed still resume.
  const sampling = { ...DEFAULT_SAMPLING, steps, think, guidanceScale };
  const optional = { ...(set === 'train' ? {} : { prompts: set }), ...(planTemperature > 0 ? { plan_temperature: planTemperature } : {}) };
  checkConfig(dir, { n, seed, think, steps, batch, model: options.source, sampling, ...optional });
  const prompts = candidatePrompts(set, n, seed);
  const exists = (i: number): boolean => fs.existsSync(path.join(dir, imageName(i)));
  const plans = think ? previousPlans(dir) : new Map<number, number[]>(); // index -> plan, kept across a resume
  const lines = (): string =>
    prompts
      .map((p, index): CandidateLine => ({
        image_file: imageName(index),
        original_prompt: p.text,
        category: p.category,
        index,
        think,
        ...(think ? { plan: plans.get(index) } : {}),
      }))
      .filter((line) => exists(line.index))
      .map((line) => JSON.stringify(line) + '\n')
      .join('');
  const already = prompts.filter((_, i) => exists(i)).length;
  const label = think ? 'candidates (think)' : 'candidates';
  const bar = new Progress({ label, total: n - already, unit: 'img', quiet: options.quiet === true });
  for (let start = 0; start < n; start += batch) {
    const indices = prompts.map((_, i) => i).slice(start, start + batch);
    const missing = indices.filter((i) => !exists(i));
    if (missing.length === 0) continue;
    const onPlan = ({ plan }: { plan: Int32Array }): void =>
      indices.forEach((i, b) => plans.set(i, Array.from(plan.subarray(b * PLAN_VALUES, (b + 1) * PLAN_VALUES))));
    const texts = indices.map((i) => prompts[i].text);
    const chunk = start / batch;
    const planRng = (): ReturnType<typeof makeRng> => makeRng(hashString(`plans:${seed}:${chunk}`));
    const textTokens = (): Int32Array => encodeBatch(texts, model.config.maxTextTokens);
    const sampled = planTemperature > 0 ? predictPlan(model, textTokens(), { temperature: planTemperature, rng: planRng() }) : undefined;
    const noise = hashString(`candidates:${seed}:${chunk}`);
    const images = generateImages(model, texts, { seed: noise, think, steps, guidanceScale, batchSize: batch, plans: sampled, onPlan });
    for (const i of missing) writePng(path.join(dir, imageName(i)), images[i - start]);
    writeFileAtomic(path.join(dir, CANDIDATES_JSONL), lines());
    bar.tick(missing.length);
  }
  writeFileAtomic(path.join(dir, CANDIDATES_JSONL), lines());
  return { generated: n - already, already };
}
