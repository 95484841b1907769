// `srum run` end to end: candidates -> regions + self-judge -> reward maps -> base evaluation -> SRUM / SFT
// training -> evaluation of the trained (EMA) model -> summary.json. Every artefact stays in the run directory:
//   candidates/ (PNGs, candidates.jsonl), rewards.jsonl (self-judge records), reward-maps.json (per-candidate map
//   statistics in the chosen mode), eval-base.json, train/ (checkpoint, EMA, log), eval-trained.json, summary.json,
//   stages.jsonl (what each invocation ran or skipped).
// The base model is evaluated before training touches it (training updates the model in place); both evaluations
// use the same prompts and noise (evalSeed), so the before/after numbers are paired.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compBenchMini, genEvalMini, understandingAccuracy, type BenchmarkScores, type EvalSplit } from '../eval/benchmarks';
import { readJsonl, writeJsonAtomic } from '../io';
import { hasCheckpoint, readManifest } from '../model/checkpoint';
import type { ModelPreset } from '../model/config';
import type { UnifiedModel } from '../model/params';
import { Progress } from '../progress';
import { rewardMap, type RewardMode } from '../reward/rewardMap';
import type { SrumMethod } from '../train/srum-config';
import { trainSrum } from '../train/srum';
import type { SrumCandidate } from '../train/srum-data';
import { assignEmaWeights } from '../train/ema';
import { CANDIDATES_JSONL, candidatePlans, generateCandidates } from './candidates';
import { judgeCandidates, type SelfJudgedLine } from './judge';
import type { ExternalJudgeConfig } from '../judge/external';
import { describeExternalRun, judgeCandidatesExternally } from '../judge/externalCandidates';
import type { RunConfig } from './config';
import { runStage } from './stages';

export interface RunOptions {
  model: UnifiedModel;
  preset: ModelPreset;
  /** Describes the base model (recorded with the candidates). */
  source: string;
  dir: string;
  /** Every setting of the run (lib/run/config.ts resolveRunConfig): the training's SrumConfig and the pipeline's. */
  config: RunConfig;
  command: string;
  quiet?: boolean;
  /** An external VLM judges the candidates instead of the model (`srum run --judge external`). */
  externalJudge?: ExternalJudgeConfig;
}

export interface ModelScores {
  compbench: { per_category: BenchmarkScores['per_category']; overall: number };
  geneval: { per_category: BenchmarkScores['per_category']; overall: number };
  /** Percent. */
  understanding: number;
}

export interface RunSummary {
  method: SrumMethod;
  /** SrumConfig.lambdaC (the summary files' field name since the first runs). */
  lambda: number;
  mode: RewardMode;
  seed: number;
  config: Record<string, unknown>;
  base: ModelScores;
  trained: ModelScores;
  command: string;
  seconds: Record<string, number>;
}

/** Benchmarks of the model as it is now (independent evaluator; understanding from the model's heads). */
export interface ScoreOptions {
  n: number;
  seed: number;
  split?: EvalSplit;
  think?: boolean;
  label: string;
  quiet?: boolean;
}
export function scoreModel(model: UnifiedModel, options: ScoreOptions): ModelScores {
  const bar = new Progress({ label: `eval ${options.label}`, total: 2 * options.n, unit: 'img', quiet: options.quiet });
  let shown = 0;
  const onProgress =
    (offset: number) =>
    (done: number): void => {
      bar.tick(offset + done - shown);
      shown = offset + done;
    };
  const { n, seed, split, think } = options;
  const compbench = compBenchMini(model, { n, seed, split, think, onProgress: onProgress(0) });
  const geneval = genEvalMini(model, { n, seed, split, think, onProgress: onProgress(n) });
  const understanding = understandingAccuracy(model, { n, seed, split });
  return {
    compbench: { per_category: compbench.per_category, overall: compbench.overall },
    geneval: { per_category: geneval.per_category, overall: geneval.overall },
    understanding,
  };
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
/** eval-trained.json's scores without its train_step. */
const withoutStep = ({ compbench, geneval, understanding }: ModelScores): ModelScores => ({ compbench, geneval, understanding });
const lineCount = (file: string): number => (fs.existsSync(file) ? readJsonl<unknown>(file).length : 0);

/** reward-maps.json: each candidate's reward map in `mode` at the image size, as its mean, min and max. */
export function writeRewardMapStats(file: string, records: readonly SelfJudgedLine[], mode: RewardMode, size: number): void {
  const stats = records.map((record) => {
    const map = rewardMap(record, { mode, width: size, height: size });
    let sum = 0;
    for (const v of map) sum += v;
    return { image_file: record.image_file, mean: sum / map.length, min: Math.min(...map), max: Math.max(...map) };
  });
  writeJsonAtomic(file, { mode, width: size, height: size, maps: stats });
}

/** The judge's records as training candidates, each with the plan it was drawn from (think mode: required). */
export function trainingCandidates(candidatesDir: string, records: readonly SelfJudgedLine[], think: boolean): SrumCandidate[] {
  const planOf = candidatePlans(candidatesDir);
  return records.map((record) => {
    const plan = planOf(record.image_file);
    // A think-mode candidate trained without its plan would silently train the normal-mode path instead.
    if (think && plan === undefined) {
      const where = path.join(candidatesDir, CANDIDATES_JSONL);
      const hint = 'records and candidates from different runs?';
      throw new Error(`${record.image_file}: no plan for this think-mode candidate in ${where} (${hint})`);
    }
    return { imagePath: record.image_file, prompt: record.prompt, record, plan };
  });
}

export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const { model, dir, quiet } = options;
  fs.mkdirSync(dir, { recursive: true });
  const candidatesDir = path.join(dir, 'candidates');
  const rewardsFile = path.join(dir, 'rewards.jsonl');
  const mapsFile = path.join(dir, 'reward-maps.json');
  const baseFile = path.join(dir, 'eval-base.json');
  const trainDir = path.join(dir, 'train');
  const trainedFile = path.join(dir, 'eval-trained.json');
  const { srum: config, pipeline } = options.config;
  const { think, nCandidates, evalN: n, evalSeed, evalSplit: split } = pipeline;
  const promptSet = pipeline.candidatePrompts;
  // A ground-truth reference renders the candidate's prompt: for held-out prompts that would hand the model the very
  // images of held-out pairs the set exists to do without.
  if (promptSet === 'held-out' && config.reference === 'ground-truth') {
    const why = 'it would render the held-out pairs (use --reference candidate)';
    throw new Error(`held-out candidate prompts take no ground-truth reference: ${why}`);
  }
  const seconds: Record<string, number> = {};
  const timed = (name: string, done: () => boolean, work: () => void | Promise<void>): Promise<void> => {
    const started = performance.now();
    return runStage({ dir, name, done, quiet }, work).then(() => {
      seconds[name] = (performance.now() - started) / 1000;
    });
  };

  await timed(
    'candidates',
    () => lineCount(path.join(candidatesDir, CANDIDATES_JSONL)) >= nCandidates,
    () => {
      generateCandidates({
        model,
        source: options.source,
        dir: candidatesDir,
        n: nCandidates,
        seed: config.seed,
        think,
        steps: pipeline.candidateSteps,
        guidanceScale: pipeline.candidateGuidance,
        batch: 16,
        prompts: promptSet,
        planTemperature: pipeline.planTemperature,
        quiet,
      });
    },
  );
  await timed(
    'judge',
    () => lineCount(rewardsFile) >= nCandidates,
    async () => {
      if (options.externalJudge === undefined) judgeCandidates({ model, imagesDir: candidatesDir, out: rewardsFile, quiet });
      else {
        const summary = await judgeCandidatesExternally({ config: options.externalJudge, imagesDir: candidatesDir, out: rewardsFile });
        console.log(describeExternalRun(summary));
      }
    },
  );
  const records = (): SelfJudgedLine[] => readJsonl<SelfJudgedLine>(rewardsFile);
  await timed(
    'reward-maps',
    () => fs.existsSync(mapsFile),
    () => {
      writeRewardMapStats(mapsFile, records(), config.rewardMode, model.config.imageSize);
    },
  );
  await timed(
    'eval-base',
    () => fs.existsSync(baseFile),
    () => {
      writeJsonAtomic(baseFile, scoreModel(model, { n, seed: evalSeed, split, think, label: 'base', quiet }));
    },
  );
  const trained = (): boolean => hasCheckpoint(trainDir) && readManifest(trainDir).step >= config.steps;
  await timed('train', trained, async () => {
    const candidates = trainingCandidates(candidatesDir, records(), think);
    fs.mkdirSync(trainDir, { recursive: true });
    const { preset, command } = options;
    const result = await trainSrum({ model, preset, candidates, config: { ...config }, outDir: trainDir, quiet, command });
    if (result.interrupted) {
      throw new Error(`training stopped at step ${result.step} of ${config.steps}; run the same command again to resume`);
    }
  });
  // Stale when training has since gone further (a rerun with more --steps): eval-trained.json records its step.
  const evaluatedStep = (): number => (fs.existsSync(trainedFile) ? (readJson<{ train_step?: number }>(trainedFile).train_step ?? -1) : -1);
  await timed(
    'eval-trained',
    () => evaluatedStep() === readManifest(trainDir).step,
    () => {
      assignEmaWeights(model, trainDir);
      const scores = scoreModel(model, { n, seed: evalSeed, split, think, label: 'trained (EMA)', quiet });
      writeJsonAtomic(trainedFile, { ...scores, train_step: readManifest(trainDir).step });
    },
  );
  const summary: RunSummary = {
    method: config.method,
    lambda: config.lambdaC,
    mode: config.rewardMode,
    seed: config.seed,
    config: {
      srum: config,
      n_candidates: nCandidates,
      candidate_steps: pipeline.candidateSteps,
      candidate_guidance: pipeline.candidateGuidance,
      candidate_prompts: promptSet,
      plan_temperature: pipeline.planTemperature,
      think,
      eval_n: n,
      eval_seed: evalSeed,
      eval_split: split,
      base_model: options.source,
      preset: options.preset,
    },
    base: readJson<ModelScores>(baseFile),
    trained: withoutStep(readJson<ModelScores>(trainedFile)),
    command: options.command,
    seconds,
  };
  writeJsonAtomic(path.join(dir, 'summary.json'), summary);
  return summary;
}
