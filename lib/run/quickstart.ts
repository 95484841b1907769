// `srum quickstart`: the toolkit's main job at demonstration size, in one resumable call. The shipped base draws a few
// dozen candidates, judges them itself (regions, global and region scores), fuses reward maps, post-trains with SRUM
// for a short run, and is compared before and after on the evaluation protocol (lib/eval/protocol.ts): the same
// prompts and noise for both, verdicts from the independent evaluator, standard errors clustered by prompt.
// What it shows is that every stage runs and that the weights move; its sizes are far too small for the difference
// to be a result (the protocol's defaults are 90 prompts per category and 4 draws; a run is 200 steps).
// The run directory holds what `srum run` writes for the first four stages (candidates/, rewards.jsonl,
// reward-maps.json, train/, stages.jsonl), then
//   eval/scores.json    the verdicts of both arms on the protocol's images (lib/eval/compare.ts ScoreFile)
//   eval/base/, eval/trained/   every evaluated image as a PNG, in protocolImages order (00000.png, ...)
//   summary.json        the settings, the protocol, the paired report, the verdict flips, the seconds of each stage
// The base is evaluated before training touches it (training updates the model in place).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareArms, type ComparisonReport } from '../eval/compare';
import type { SamplerPool } from '../eval/pool';
import type { ProtocolConfig } from '../eval/protocol';
import { DEFAULT_SAMPLING, type SamplingSettings } from '../generate/generate';
import { readJsonl, writeJsonAtomic } from '../io';
import { hasCheckpoint, readManifest } from '../model/checkpoint';
import type { ModelPreset } from '../model/config';
import type { UnifiedModel } from '../model/params';
import { assignEmaWeights } from '../train/ema';
import { trainSrum } from '../train/srum';
import { CANDIDATES_JSONL, generateCandidates } from './candidates';
import type { RunConfig, SettingValue } from './config';
import { judgeCandidates, type SelfJudgedLine } from './judge';
import { trainingCandidates, writeRewardMapStats } from './pipeline';
import { QUICKSTART_FILES, readScores, scoreArm, verdictFlips, type VerdictFlips } from './quickstart-eval';
import { runStage, STAGE_LOG, type StageLogLine } from './stages';

/**
 * The quickstart's settings over `srum run`'s defaults (--set applies on top). 48 candidates at 16 a step: 40 steps
 * pass over each ~13 times, as a 200-step run over 256 does. Warm-up 5 instead of 20 and a peak rate 5x the default:
 * with the default schedule a 40-step run would spend half its steps warming up and barely move the weights.
 */
export const QUICKSTART_SETTINGS: Record<string, SettingValue> = {
  nCandidates: 48,
  steps: 40,
  warmupSteps: 5,
  learningRate: 5e-5,
  checkpointEvery: 20,
  logEvery: 5,
};

/** A small val protocol: 6 prompt texts per CompBench category, 2 noise draws each (96 images per arm). */
export const QUICKSTART_PROTOCOL: ProtocolConfig = { split: 'val', perCategory: 6, draws: 2, seed: 0 };

/** The pipeline settings the quickstart does not read: it evaluates on the protocol instead. */
export const QUICKSTART_UNUSED_SETTINGS = ['evalN', 'evalSplit', 'evalSeed'] as const;

export interface QuickstartOptions {
  /** The base model (post-trained in place). */
  model: UnifiedModel;
  preset: ModelPreset;
  /** Describes the base model (recorded). */
  source: string;
  dir: string;
  config: RunConfig;
  protocol: ProtocolConfig;
  /** Draws the evaluation images (both cores on wasm). */
  pool: SamplerPool;
  command: string;
  quiet?: boolean;
}

export interface QuickstartSummary {
  note: string;
  command: string;
  source: string;
  config: RunConfig;
  protocol: ProtocolConfig;
  report: ComparisonReport;
  flips: VerdictFlips;
  /** Steps the trained arm was evaluated at. */
  trainStep: number;
  /** Wall seconds of each stage, in the invocation that ran it. */
  seconds: Record<string, number>;
}

/** Printed under the table and kept in summary.json. */
export const DEMONSTRATION_NOTE =
  'a demonstration-sized run, not a result: it shows every stage and that the weights move; ' +
  'to measure, `srum run` at full size and `srum compare`';

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const lineCount = (file: string): number => (fs.existsSync(file) ? readJsonl<unknown>(file).length : 0);

/** The whole quickstart; every stage whose outputs exist is skipped (stages.jsonl says which ran). */
export async function runQuickstart(options: QuickstartOptions): Promise<QuickstartSummary> {
  const { model, dir, quiet, protocol, pool } = options;
  const { srum, pipeline } = options.config;
  fs.mkdirSync(dir, { recursive: true });
  checkResume(dir, { source: options.source, preset: options.preset, config: options.config, protocol });
  const file = (name: keyof typeof QUICKSTART_FILES): string => path.join(dir, QUICKSTART_FILES[name]);
  const timed = (name: string, done: () => boolean, work: () => void | Promise<void>): Promise<void> =>
    runStage({ dir, name, done, quiet }, work);
  const records = (): SelfJudgedLine[] => readJsonl<SelfJudgedLine>(file('rewards'));
  // The protocol's images are drawn with the toolkit's sampler; only a think setting other than its default is recorded.
  const sampling: Partial<SamplingSettings> = pipeline.think === DEFAULT_SAMPLING.think ? {} : { think: pipeline.think };

  await timed(
    'candidates',
    () => lineCount(path.join(file('candidates'), CANDIDATES_JSONL)) >= pipeline.nCandidates,
    () => {
      const { nCandidates: n, candidateSteps: steps, candidateGuidance: guidanceScale, think, planTemperature } = pipeline;
      const prompts = pipeline.candidatePrompts;
      const where = { model, source: options.source, dir: file('candidates') };
      generateCandidates({ ...where, n, seed: srum.seed, think, steps, guidanceScale, batch: 16, prompts, planTemperature, quiet });
    },
  );
  await timed(
    'judge',
    () => lineCount(file('rewards')) >= pipeline.nCandidates,
    () => {
      judgeCandidates({ model, imagesDir: file('candidates'), out: file('rewards'), quiet });
    },
  );
  await timed(
    'reward-maps',
    () => fs.existsSync(file('maps')),
    () => {
      writeRewardMapStats(file('maps'), records(), srum.rewardMode, model.config.imageSize);
    },
  );
  const scored = (arm: string): string | undefined => readScores(file('scores'), protocol)?.arms[arm]?.source;
  await timed(
    'eval-base',
    () => scored('base') !== undefined,
    async () => {
      await scoreArm({ pool, model, protocol, sampling, dir, arm: 'base', source: options.source, quiet });
    },
  );
  const trainDir = file('train');
  await timed(
    'train',
    () => hasCheckpoint(trainDir) && readManifest(trainDir).step >= srum.steps,
    async () => {
      fs.mkdirSync(trainDir, { recursive: true });
      const candidates = trainingCandidates(file('candidates'), records(), pipeline.think);
      const { preset, command } = options;
      const result = await trainSrum({ model, preset, candidates, config: { ...srum }, outDir: trainDir, quiet, command });
      if (result.interrupted) {
        throw new Error(`training stopped at step ${result.step} of ${srum.steps}; run the same command again to resume`);
      }
    },
  );
  const trainStep = readManifest(trainDir).step;
  // The source names the step, so a rerun with more --set steps= evaluates the trained model again.
  const trainedSource = `${trainDir} (EMA weights, step ${trainStep})`;
  await timed(
    'eval-trained',
    () => scored('trained') === trainedSource,
    async () => {
      assignEmaWeights(model, trainDir);
      await scoreArm({ pool, model, protocol, sampling, dir, arm: 'trained', source: trainedSource, quiet });
    },
  );
  const scores = readScores(file('scores'), protocol)!;
  const summary: QuickstartSummary = {
    note: DEMONSTRATION_NOTE,
    command: options.command,
    source: options.source,
    config: options.config,
    protocol,
    report: compareArms(scores, 'base'),
    flips: verdictFlips(dir, scores),
    trainStep,
    seconds: stageSeconds(dir),
  };
  writeJsonAtomic(file('summary'), summary);
  return summary;
}

/** Each stage's wall seconds in the invocation that last ran it (stages.jsonl), so a resumed run keeps them. */
function stageSeconds(dir: string): Record<string, number> {
  const seconds: Record<string, number> = {};
  for (const line of readJsonl<StageLogLine>(path.join(dir, STAGE_LOG))) if (line.action === 'ran') seconds[line.stage] = line.seconds;
  return seconds;
}

/** A directory started with other settings (model, config, protocol) is an error, not a silent mix. */
function checkResume(dir: string, settings: Record<string, unknown>): void {
  const file = path.join(dir, QUICKSTART_FILES.config);
  if (fs.existsSync(file)) {
    const saved = readJson<Record<string, unknown>>(file);
    const differ = Object.keys(settings).filter((key) => JSON.stringify(saved[key]) !== JSON.stringify(settings[key]));
    // More training steps are a continuation (training resumes and the trained arm is evaluated again), not a new run.
    const onlySteps = (key: string): boolean => {
      if (key !== 'config') return false;
      const [before, now] = [saved.config, settings.config] as RunConfig[];
      return (
        JSON.stringify({ ...before.srum, steps: 0 }) === JSON.stringify({ ...now.srum, steps: 0 }) &&
        JSON.stringify(before.pipeline) === JSON.stringify(now.pipeline)
      );
    };
    const changed = differ.filter((key) => !onlySteps(key));
    if (changed.length > 0) {
      throw new Error(`${dir} holds a quickstart with other ${changed.join(', ')} (${file}); use another --out or remove it`);
    }
  }
  writeJsonAtomic(file, settings);
}

export { QUICKSTART_FILES } from './quickstart-eval';
