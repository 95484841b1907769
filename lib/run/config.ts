// `srum run` settings: the SrumConfig the training reads (lib/train/srum-config.ts) plus the pipeline's own (candidates,
// evaluation), each with a commented default, set alike from the library and from `srum run --set key=value,...`.
// One name per setting from the command line to the code: `--set lambdaC=0.5` and the shorthand `--lambda 0.5`
// land in the same field, and giving both is an error.
import type { EvalSplit } from '../eval/benchmarks';
import { DEFAULT_SAMPLING } from '../generate/generate';
import { DEFAULT_SRUM_CONFIG, resolveSrumConfig, SRUM_CHOICES, type SrumConfig, type SrumRecipe } from '../train/srum-config';
import { CANDIDATE_PROMPT_SETS, type CandidatePromptSet } from './candidates';

export interface PipelineConfig {
  /**
   * Candidate images to generate and judge. 256: 200 steps x 16 samples pass over each ~12 times (64 would be 50
   * passes over a few dozen images).
   */
  nCandidates: number;
  /** Euler steps of candidate generation (the default sampler's). */
  candidateSteps: number;
  /** CFG scale of candidate generation (the default sampler's; 1 = the model's own conditional, no guidance). */
  candidateGuidance: number;
  /**
   * Where candidate prompts come from: 'train' (as released) or 'held-out' (validation prompts naming a colour-shape
   * pair held out of pretraining; text only; lib/run/candidates.ts).
   */
  candidatePrompts: CandidatePromptSet;
  /** Think-mode candidates draw each plan's shapes at this temperature (0 = the most likely plan, as released). */
  planTemperature: number;
  /** Think mode for the candidates and both evaluations (the default sampler's); SRUM then trains each on its plan. */
  think: boolean;
  /** Prompts per benchmark and scenes for understanding (112 = 14 per CompBench category). */
  evalN: number;
  /** Prompt split of the evaluations: 'test' for reported numbers, 'val' when choosing settings. */
  evalSplit: EvalSplit;
  /** Seed of evaluation prompts and noise, the same for base and trained (paired numbers). */
  evalSeed: number;
}

export const DEFAULT_PIPELINE_CONFIG: PipelineConfig = {
  nCandidates: 256,
  candidateSteps: DEFAULT_SAMPLING.steps,
  candidateGuidance: DEFAULT_SAMPLING.guidanceScale,
  candidatePrompts: 'train',
  planTemperature: 0,
  think: DEFAULT_SAMPLING.think,
  evalN: 112,
  evalSplit: 'test',
  evalSeed: 11,
};

const PIPELINE_CHOICES: Partial<Record<keyof PipelineConfig, readonly string[]>> = {
  candidatePrompts: CANDIDATE_PROMPT_SETS,
  evalSplit: ['test', 'val'],
};
const POSITIVE_INTEGERS = ['nCandidates', 'candidateSteps', 'evalN'] as const;

/** Everything one `srum run` reads: the training's SrumConfig and the pipeline's settings. */
export interface RunConfig {
  srum: SrumConfig;
  pipeline: PipelineConfig;
}

export type SettingValue = string | number | boolean;

/** Every key `--set` takes, in the order the error lists them: SrumConfig's, then the pipeline's. */
export const RUN_SETTING_KEYS: readonly string[] = [...Object.keys(DEFAULT_SRUM_CONFIG), ...Object.keys(DEFAULT_PIPELINE_CONFIG)];

function defaultOf(key: string): SettingValue | undefined {
  if (key in DEFAULT_SRUM_CONFIG) return DEFAULT_SRUM_CONFIG[key as keyof SrumConfig];
  if (key in DEFAULT_PIPELINE_CONFIG) return DEFAULT_PIPELINE_CONFIG[key as keyof PipelineConfig];
  return undefined;
}

function unknownKey(key: string, where: string): Error {
  return new Error(`${where}: unknown setting '${key}' (valid keys: ${RUN_SETTING_KEYS.join(', ')})`);
}

/**
 * "lambdaC=0.5,rewardMode=signed,advantage=true" -> typed values, each read as its default's type (a number, true or
 * false, or one of a few words). An unknown key is an error that lists every valid key.
 */
export function parseRunSettings(text: string, where = '--set'): Record<string, SettingValue> {
  const out: Record<string, SettingValue> = {};
  for (const item of text.split(',').filter((part) => part.trim() !== '')) {
    const [rawKey, rawValue, ...rest] = item.split('=');
    const key = rawKey.trim();
    const value = rawValue?.trim();
    if (value === undefined || value === '' || rest.length > 0) throw new Error(`${where}: expected key=value, got '${item}'`);
    const fallback = defaultOf(key);
    if (fallback === undefined) throw unknownKey(key, where);
    if (key in out) throw new Error(`${where}: '${key}' is given twice`);
    if (typeof fallback === 'number') {
      const parsed = Number(value);
      if (!Number.isFinite(parsed)) throw new Error(`${where}: '${key}' takes a number, got '${value}'`);
      out[key] = parsed;
    } else if (typeof fallback === 'boolean') {
      if (value !== 'true' && value !== 'false') throw new Error(`${where}: '${key}' takes true or false, got '${value}'`);
      out[key] = value === 'true';
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Defaults (SrumConfig's from `recipe`) plus settings; throws on an unknown key or a bad value. */
export function resolveRunConfig(settings: Record<string, unknown> = {}, recipe: SrumRecipe = 'released'): RunConfig {
  const srumSettings: Record<string, unknown> = {};
  const pipelineSettings: Partial<PipelineConfig> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (key in DEFAULT_SRUM_CONFIG) srumSettings[key] = value;
    else if (key in DEFAULT_PIPELINE_CONFIG) {
      const expected = typeof DEFAULT_PIPELINE_CONFIG[key as keyof PipelineConfig];
      if (typeof value !== expected || (expected === 'number' && !Number.isFinite(value))) {
        throw new Error(`run setting '${key}' must be a finite ${expected}, got ${JSON.stringify(value)}`);
      }
      Object.assign(pipelineSettings, { [key]: value });
    } else throw unknownKey(key, 'srum run');
  }
  const pipeline: PipelineConfig = { ...DEFAULT_PIPELINE_CONFIG, ...pipelineSettings };
  for (const [key, choices] of Object.entries(PIPELINE_CHOICES)) {
    const value = String(pipeline[key as keyof PipelineConfig]);
    if (!choices.includes(value)) throw new Error(`run setting '${key}' must be one of ${choices.join(', ')}, got '${value}'`);
  }
  for (const key of POSITIVE_INTEGERS) {
    if (!Number.isInteger(pipeline[key]) || pipeline[key] < 1) {
      throw new Error(`run setting '${key}' must be a positive integer, got ${pipeline[key]}`);
    }
  }
  if (!Number.isInteger(pipeline.evalSeed)) throw new Error(`run setting 'evalSeed' must be an integer, got ${pipeline.evalSeed}`);
  if (!(pipeline.planTemperature >= 0)) throw new Error(`run setting 'planTemperature' must be >= 0, got ${pipeline.planTemperature}`);
  return { srum: resolveSrumConfig(srumSettings, recipe), pipeline };
}

/** The words a setting takes (method, rewardMode, reference, planReward, candidatePrompts, evalSplit); [] for the rest. */
export function settingChoices(key: string): readonly string[] {
  return SRUM_CHOICES[key as keyof SrumConfig] ?? PIPELINE_CHOICES[key as keyof PipelineConfig] ?? [];
}
