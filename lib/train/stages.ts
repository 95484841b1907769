// Pretraining schedules as named presets in code: the stages that made a shipped checkpoint, in order, each a
// `srum pretrain` run that starts from the previous stage's weights (--init-from). `srum pretrain --schedule base
// --out runs/base` runs them into runs/base/<stage>; a finished stage is skipped and an interrupted one resumes from
// its own checkpoint, so the command can be run again until the schedule is done (or one stage at a time, --stage).
// The `base` schedule is data/base/manifest.json's data.reproduce (test/pretrain-stages.test.ts holds them equal);
// why each stage exists: docs/model-notes.md.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasCheckpoint, readManifest } from '../model/checkpoint';
import { disposeModel } from '../model/params';
import { MODEL_PRESETS, type ModelPreset } from '../model/config';
import type { TrainConfig } from './config';
import { pretrainParallel } from './parallel';
import type { PretrainOptions } from './pretrain';

export interface PretrainStage {
  /** The stage's run directory under the schedule's root, and how --stage names it. */
  name: string;
  /** What the stage trains, in one line. */
  summary: string;
  steps: number;
  seed: number;
  /** Data-parallel replicas (lib/train/parallel.ts); part of the recipe, since the batch is sharded over them. */
  replicas: number;
  /** Training options over the preset's (lib/train/config.ts), in the order the recorded command lists them. */
  train: Partial<TrainConfig>;
  /** Model options over the preset's (lib/model/config.ts), as the recorded command lists them. */
  model: Record<string, number | boolean>;
  /** The stage whose final weights this one starts from; absent = a fresh initialisation. */
  initFrom?: string;
}

export interface PretrainSchedule {
  /** The model preset every stage starts from. */
  preset: ModelPreset;
  stages: readonly PretrainStage[];
}

/** The architecture every base stage names (the base preset's; the recorded commands spell it out). */
const BASE_MODEL = { convChannels: 16, planMap: true, planGrid: 16, planCanvas: true, refineLayers: 2, cleanPrediction: true };

export const PRETRAIN_SCHEDULES: Record<'base', PretrainSchedule> = {
  /** data/base: 116 min on the 2-core machine (wasm), data.all_stages_wall_time_s. */
  base: {
    preset: 'base',
    stages: [
      {
        name: 'base-canvas',
        summary: 'the base recipe: generation, understanding and plan tasks, 50% think rows (80 min)',
        steps: 2300,
        seed: 0,
        replicas: 2,
        train: {},
        model: { ...BASE_MODEL, planCellDecoder: false },
      },
      {
        name: 'celldec',
        summary: 'a plan cell decoder on the frozen backbone (plan head only)',
        steps: 600,
        seed: 1,
        replicas: 1,
        initFrom: 'base-canvas',
        model: { planCellDecoder: true },
        train: { generationWeight: 0, understandingWeight: 0, planHeadOnly: true, learningRate: 0.001, warmupSteps: 20, batchSize: 64 },
      },
      {
        name: 'celldec2',
        summary: 'the cell decoder, longer and at a higher rate (plan head only)',
        steps: 1500,
        seed: 2,
        replicas: 1,
        initFrom: 'celldec',
        model: { planCellDecoder: true },
        train: {
          generationWeight: 0,
          understandingWeight: 0,
          planHeadOnly: true,
          learningRate: 0.002,
          warmupSteps: 20,
          batchSize: 64,
          checkpointEvery: 250,
        },
      },
      {
        name: 'genpool',
        summary: "understanding on a pool of the model's own resamplings, plan loss on the head only (15 min)",
        steps: 300,
        seed: 3,
        replicas: 2,
        initFrom: 'celldec2',
        model: { ...BASE_MODEL, planCellDecoder: true },
        train: { learningRate: 0.0001, warmupSteps: 20, planHeadOnly: true, generatedShare: 0.5, generatedPool: 1536, checkpointEvery: 50 },
      },
      {
        name: 'crop2',
        summary: "the region head's pixel reader, understanding heads only: the backbone stays stage 4's (12 min)",
        steps: 1200,
        seed: 21,
        replicas: 2,
        initFrom: 'genpool',
        model: { ...BASE_MODEL, planCellDecoder: true, regionCropChannels: 16 },
        train: {
          generationWeight: 0,
          planWeight: 0,
          understandingHeadOnly: true,
          learningRate: 0.001,
          warmupSteps: 30,
          understandingImages: 64,
          checkpointEvery: 100,
          shapeMorph: 0.5,
        },
      },
    ],
  },
};

export type PretrainScheduleName = keyof typeof PRETRAIN_SCHEDULES;

/** Changes for a smoke run of a schedule (tests, `--preset tiny --steps 2`): the recipe itself takes none. */
export interface ScheduleSmoke {
  /** Another model size: its preset's sizes with the schedule preset's architecture switches (conv stem, plan, ...). */
  preset?: ModelPreset;
  /** Each stage runs at most this many steps. */
  maxSteps?: number;
  replicas?: number;
  /** Training options applied over every stage's (e.g. a smaller batch). */
  train?: Partial<TrainConfig>;
}

/** One stage as `srum pretrain` options under `root` (runs root/<name>, from root/<initFrom>) and its replica count. */
export function stageRun(
  schedule: PretrainSchedule,
  stage: PretrainStage,
  root: string,
  smoke: ScheduleSmoke = {},
): { options: PretrainOptions; replicas: number } {
  const steps = stageSteps(stage, smoke);
  const options: PretrainOptions = {
    preset: smoke.preset ?? schedule.preset,
    outDir: path.join(root, stage.name),
    seed: stage.seed,
    train: { ...stage.train, ...smoke.train, steps },
    // A smoke run at another size keeps the schedule's architecture: the recorded commands rely on its preset for it.
    model: { ...(smoke.preset !== undefined && smoke.preset !== schedule.preset ? MODEL_PRESETS[schedule.preset] : {}), ...stage.model },
    ...(stage.initFrom !== undefined ? { initFrom: path.join(root, stage.initFrom) } : {}),
  };
  return { options, replicas: smoke.replicas ?? stage.replicas };
}

/** The command that runs one stage, in the form manifests record (`data.reproduce`). */
export function stageCommand(schedule: PretrainSchedule, stage: PretrainStage, root: string): string {
  const list = (settings: Record<string, unknown>): string =>
    Object.entries(settings)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',');
  const out = path.join(root, stage.name);
  const run = `--preset ${schedule.preset} --out ${out} --steps ${stage.steps} --seed ${stage.seed} --replicas ${stage.replicas}`;
  const set = Object.keys(stage.train).length > 0 ? ` --set ${list(stage.train)}` : '';
  const model = Object.keys(stage.model).length > 0 ? ` --model ${list(stage.model)}` : '';
  const init = stage.initFrom === undefined ? '' : ` --init-from ${path.join(root, stage.initFrom)}`;
  return `npx srum pretrain ${run}${set}${model}${init}`;
}

/** A stage's step count in this run. */
function stageSteps(stage: PretrainStage, smoke: ScheduleSmoke = {}): number {
  return Math.min(stage.steps, smoke.maxSteps ?? stage.steps);
}

/** Steps a stage's directory holds (0 without a checkpoint). */
function stepsDone(dir: string): number {
  return fs.existsSync(dir) && hasCheckpoint(dir) ? readManifest(dir).step : 0;
}

export interface ScheduleOptions {
  schedule: PretrainScheduleName;
  /** Every stage runs in root/<name>. */
  root: string;
  /** Run only this stage (its initFrom stage must be finished). */
  stage?: string;
  smoke?: ScheduleSmoke;
  quiet?: boolean;
  /** Called with each stage's decision, e.g. to print it. */
  onStage?: (stage: string, action: StageAction) => void;
}

/** 'skipped': already finished; 'ran': finished now; 'stopped': interrupted (a checkpoint was saved). */
export type StageAction = 'skipped' | 'ran' | 'stopped';
export interface StageDecision {
  stage: string;
  action: StageAction;
}

/**
 * Run a schedule's stages in order (or one): a finished stage is skipped, an interrupted one resumes. Returns the
 * stages' decisions; stops at the first stage that is interrupted (run again to continue).
 */
export async function runPretrainSchedule(options: ScheduleOptions): Promise<StageDecision[]> {
  const schedule = PRETRAIN_SCHEDULES[options.schedule];
  if (schedule === undefined) {
    throw new Error(`unknown schedule '${options.schedule}' (known: ${Object.keys(PRETRAIN_SCHEDULES).join(', ')})`);
  }
  const names = schedule.stages.map((s) => s.name);
  if (options.stage !== undefined && !names.includes(options.stage)) {
    throw new Error(`schedule '${options.schedule}' has no stage '${options.stage}' (its stages, in order: ${names.join(', ')})`);
  }
  const decisions: StageDecision[] = [];
  for (const stage of schedule.stages) {
    if (options.stage !== undefined && stage.name !== options.stage) continue;
    const { options: run, replicas } = stageRun(schedule, stage, options.root, options.smoke);
    const steps = stageSteps(stage, options.smoke);
    let action: StageAction = 'skipped';
    if (stepsDone(run.outDir) < steps) {
      const from = schedule.stages.find((s) => s.name === stage.initFrom);
      if (from !== undefined && stepsDone(path.join(options.root, from.name)) < stageSteps(from, options.smoke)) {
        const where = path.join(options.root, from.name);
        throw new Error(`stage '${stage.name}' starts from stage '${from.name}', which is not finished in ${where}: run it first`);
      }
      const result = await pretrainParallel({ ...run, quiet: options.quiet }, replicas);
      disposeModel(result.model);
      action = result.interrupted ? 'stopped' : 'ran';
    }
    decisions.push({ stage: stage.name, action });
    options.onStage?.(stage.name, action);
    if (action === 'stopped') break;
  }
  return decisions;
}
