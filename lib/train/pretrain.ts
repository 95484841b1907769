// Pretraining of the unified model: one flat loop in a fixed order, batch -> loss -> step -> log -> checkpoint,
// over the tasks of tasks.ts. Everything a step uses derives from (seed, step): the batches, t, eps and the text
// dropout; the rest of the state is the weights and the AdamW moments, both in the checkpoint. So a run resumed
// from its checkpoint at step s goes through exactly the states an uninterrupted run does.
// Output directory: manifest.json + weights/optimizer files (checkpoint.ts), config.json (the resolved
// configuration), log.jsonl (one line per log interval), and with emaDecay > 0 the weights' EMA (ema.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendJsonl, readJsonl, writeFileAtomic, writeJsonAtomic } from '../io';
import { Progress } from '../progress';
import {
  hasCheckpoint,
  loadCheckpoint,
  loadWeightsByName,
  restoreOptimizer,
  saveCheckpoint,
  type CheckpointManifest,
} from '../model/checkpoint';
import { resolveModelConfig, type ModelPreset } from '../model/config';
import { AdamW, type GradientReducer } from '../model/optimizer';
import { disposeModel, initModel, variablesOf, type UnifiedModel } from '../model/params';
import { learningRateAt, resolveTrainConfig, type TrainConfig } from './config';
import { pretrainTasks, type TaskResult } from './tasks';
import {
  buildGeneratedPool,
  loadGeneratedPool,
  poolT0s,
  recipeDifferences,
  saveGeneratedPool,
  type GeneratedPool,
  type PoolRecipe,
} from './generated-pool';
import { listenForStop } from './interrupt';
import { readEmaWeights, removeOlderEma, WeightEma } from './ema';

export const LOG_FILE = 'log.jsonl';
export const CONFIG_FILE = 'config.json';
/** Flow-loss log bins over t in [0, 1] (t = 1 is pure noise). */
export const T_BINS = 4;

export interface PretrainOptions {
  preset: ModelPreset;
  outDir: string;
  seed?: number;
  /** Overrides of the training preset, e.g. { steps: 200 }. */
  train?: Record<string, unknown>;
  /** Overrides of the model preset. */
  model?: Record<string, unknown>;
  /** Continue from outDir's checkpoint when it has one (default true); false starts over from step 0. */
  resume?: boolean;
  /**
   * Start a new run from the weights of this checkpoint (a later training stage) instead of a fresh initialisation;
   * the optimizer and the schedule start over. Ignored when the run resumes from its own checkpoint.
   */
  initFrom?: string;
  /** With initFrom: variables whose names start with one of these keep their fresh initialisation (e.g. think.head). */
  keepFresh?: string[];
  /** No progress bar. */
  quiet?: boolean;
  /** The command recorded in the manifest (default: the equivalent `npx srum pretrain ...`). */
  command?: string;
  /** Stop after this step count as if interrupted: checkpoint and return (time limits, tests). */
  stopAtStep?: number;
  /** Called after every step; tests throw here to simulate a kill between checkpoints. */
  onStep?: (step: number) => void;
}

/**
 * One of `count` data-parallel replicas. Replica i takes data batch k * count + i of size batchSize / count at
 * step k (so the replicas together see batchSize examples a step, none twice), all replicas apply the same averaged
 * gradient and so hold the same weights; replica 0 alone writes the log, the checkpoints and the progress bar.
 */
export interface Shard {
  index: number;
  count: number;
  /** Averages the gradients over the replicas (becomes the optimizer's reduceGradients). */
  reduce: GradientReducer;
  /** Step count at which every replica stops (checkpoint first); beyond any run until a stop is asked for. */
  stopAt(): number;
  /** Tells the coordinator the step this replica has finished. */
  reached(step: number): void;
}

/** A replica's share of each per-step batch (rounded up, so it never drops to 0). */
export function shardTrainConfig(train: TrainConfig, count: number): TrainConfig {
  return { ...train, batchSize: Math.ceil(train.batchSize / count), understandingImages: Math.ceil(train.understandingImages / count) };
}

export interface PretrainResult {
  /** The trained model (the caller disposes it with disposeModel). */
  model: UnifiedModel;
  /** Steps completed. */
  step: number;
  /** Stopped early by a signal or stopAtStep (a checkpoint was saved). */
  interrupted: boolean;
  manifest: CheckpointManifest;
  /** Step the run started from (0, or the resumed checkpoint's step). */
  startStep: number;
}

/** Sums over one log interval. */
export class IntervalStats {
  losses = new Map<string, { sum: number; n: number }>();
  /** Wall seconds of each task's updates, and the loss terms of head tasks (region_shape, verdict, plan_cell, ...). */
  seconds = new Map<string, number>();
  parts = new Map<string, { sum: number; n: number }>();
  tBins = Array.from({ length: T_BINS }, () => ({ sum: 0, n: 0 }));
  samples = 0;
  gradNorm = 0;
  steps = 0;
  started = performance.now();

  add(name: string, result: TaskResult, seconds: number): void {
    const entry = this.losses.get(name) ?? { sum: 0, n: 0 };
    this.losses.set(name, { sum: entry.sum + result.loss, n: entry.n + 1 });
    this.seconds.set(name, (this.seconds.get(name) ?? 0) + seconds);
    for (const [part, value] of Object.entries(result.parts ?? {})) {
      const p = this.parts.get(part) ?? { sum: 0, n: 0 };
      this.parts.set(part, { sum: p.sum + value, n: p.n + 1 });
    }
    this.samples += result.samples;
    this.gradNorm = result.gradNorm;
    result.flow?.t.forEach((t, i) => {
      const bin = this.tBins[Math.min(T_BINS - 1, Math.floor(t * T_BINS))];
      bin.sum += result.flow!.perSampleLoss[i];
      bin.n += 1;
    });
  }

  meanLosses(): Record<string, number> {
    return Object.fromEntries([...this.losses].map(([name, { sum, n }]) => [name, sum / n]));
  }

  meanParts(): Record<string, number> {
    return Object.fromEntries([...this.parts].map(([name, { sum, n }]) => [name, sum / n]));
  }

  /** Mean wall seconds of one update of each task. */
  secondsPerStep(): Record<string, number> {
    return Object.fromEntries([...this.seconds].map(([name, seconds]) => [name, seconds / Math.max(1, this.losses.get(name)?.n ?? 1)]));
  }

  samplesPerSecond(): number {
    return this.samples / Math.max(1e-9, (performance.now() - this.started) / 1000);
  }

  /** The fields every training log line (pretraining and SRUM) shares. */
  logFields(learningRate: number): Record<string, unknown> {
    return {
      losses: this.meanLosses(),
      loss_parts: this.meanParts(),
      task_seconds_per_step: this.secondsPerStep(),
      flow_loss_t_bins: this.tBins.map(({ sum, n }) => (n > 0 ? sum / n : null)),
      lr: learningRate,
      grad_norm: this.gradNorm,
      samples_per_s: this.samplesPerSecond(),
    };
  }
}

function defaultCommand(options: PretrainOptions, train: TrainConfig, seed: number, replicas: number): string {
  const settings = Object.entries(options.train ?? {})
    .filter(([key]) => key !== 'steps')
    .map(([key, value]) => `${key}=${String(value)}`);
  const set = settings.length > 0 ? ` --set ${settings.join(',')}` : '';
  const modelSettings = Object.entries(options.model ?? {}).map(([key, value]) => `${key}=${String(value)}`);
  const modelSet = modelSettings.length > 0 ? ` --model ${modelSettings.join(',')}` : '';
  const fresh = options.keepFresh === undefined || options.keepFresh.length === 0 ? '' : ` --fresh ${options.keepFresh.join(',')}`;
  const init = options.initFrom === undefined ? '' : ` --init-from ${options.initFrom}${fresh}`;
  const run = `--preset ${options.preset} --out ${options.outDir} --steps ${train.steps} --seed ${seed} --replicas ${replicas}`;
  return `npx srum pretrain ${run}${set}${modelSet}${init}`;
}

/** Keep only log lines up to `step` (a resumed run rewrites what the killed one logged after its checkpoint). */
export function trimLog(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const kept = readJsonl<{ step: number }>(file).filter((r) => r.step <= step);
  writeFileAtomic(file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
}

/**
 * The run's pool of generated understanding images (generated-pool.ts): read from the run directory when it was built
 * with the same recipe, else on a fresh start built from the starting weights and saved there. A resumed run cannot
 * rebuild it (its weights have moved on), so a missing or different pool is then an error.
 */
function generatedPoolOf(
  dir: string,
  model: UnifiedModel,
  train: TrainConfig,
  recipe: PoolRecipe,
  options: { resume: boolean; writer: boolean; quiet: boolean },
): GeneratedPool {
  const saved = loadGeneratedPool(dir);
  if (saved === undefined) {
    if (options.resume)
      throw new Error(
        `${dir} resumes a run with generatedShare > 0 but holds no pool of ${recipe.n} generated images: restart it (--restart)`,
      );
  } else {
    // A pool saved before recipes were recorded can only be checked by its size, and only a resume keeps it.
    const differences =
      saved.builtWith === undefined ? (saved.images.length === recipe.n ? [] : ['n']) : recipeDifferences(saved.builtWith, recipe);
    if (differences.length === 0 && (saved.builtWith !== undefined || options.resume)) return saved;
    if (options.resume)
      throw new Error(
        `${dir} resumes a run with generatedShare > 0 but its pool was built with another ${differences.join(', ')}: ` +
          'restart it (--restart)',
      );
  }
  const bar = new Progress({ label: 'generated pool', total: recipe.n, unit: 'img', quiet: options.quiet || !options.writer });
  let last = 0;
  const pool = buildGeneratedPool(model, {
    n: recipe.n,
    seed: recipe.seed,
    t0s: recipe.t0s,
    heldOutScenes: recipe.heldOutScenes,
    onProgress: (done) => {
      bar.tick(done - last);
      last = done;
    },
  });
  if (options.writer) saveGeneratedPool(dir, pool, recipe);
  return pool;
}

export async function pretrain(options: PretrainOptions): Promise<PretrainResult> {
  const { manifest, ...result } = await pretrainReplica(options);
  if (manifest === undefined) throw new Error('pretrain: no checkpoint was written');
  return { ...result, manifest };
}

/**
 * The training loop; with a shard, as one replica of a data-parallel run (lib/train/parallel.ts), where only
 * replica 0 writes and so returns a manifest.
 */
export async function pretrainReplica(
  options: PretrainOptions,
  shard?: Shard,
): Promise<Omit<PretrainResult, 'manifest'> & { manifest?: CheckpointManifest }> {
  const seed = options.seed ?? 0;
  const config = resolveModelConfig(options.preset, options.model ?? {});
  const train = resolveTrainConfig(options.preset, options.train ?? {});
  const logFile = path.join(options.outDir, LOG_FILE);
  const writer = shard === undefined || shard.index === 0; // the one replica that writes files
  const resume = (options.resume ?? true) && hasCheckpoint(options.outDir);

  let model: UnifiedModel;
  let startStep = 0;
  let wallBefore = 0;
  let lastLosses: Record<string, number> = {};
  let optimizer: AdamW;
  /** The earlier stage this run started from (recorded in the manifest; carried over when it resumes). */
  let initInfo: Record<string, unknown> | undefined;
  const adamw = { learningRate: train.learningRate, beta2: train.beta2, weightDecay: train.weightDecay, clipNorm: train.clipNorm };
  if (resume) {
    const loaded = loadCheckpoint(options.outDir, { expectedConfig: config });
    if (loaded.manifest.seed !== seed)
      throw new Error(
        `${options.outDir} was trained with seed ${loaded.manifest.seed}, not ${seed}: pass --seed ${loaded.manifest.seed}, or --restart`,
      );
    const replicasBefore = (loaded.manifest.data.replicas as number | undefined) ?? 1;
    if (replicasBefore !== (shard?.count ?? 1))
      throw new Error(
        `${options.outDir} was trained with ${replicasBefore} replica(s): resume it with --replicas ${replicasBefore} ` +
          '(each count sees its own batches)',
      );
    if (loaded.optimizerState === undefined) throw new Error(`${options.outDir} has no optimizer state to resume from`);
    model = loaded.model;
    optimizer = new AdamW(variablesOf(model), adamw);
    restoreOptimizer(optimizer, loaded.optimizerState);
    startStep = loaded.manifest.step;
    wallBefore = loaded.manifest.wall_time_s;
    lastLosses = loaded.manifest.final_losses;
    initInfo = loaded.manifest.data.init_from as Record<string, unknown> | undefined;
    if (writer) trimLog(logFile, startStep);
  } else {
    model = initModel(config, seed);
    if (options.initFrom !== undefined) {
      // By name: a stage may add parameters (a new head), which keep their fresh initialisation.
      const start = loadWeightsByName(model, options.initFrom, options.keepFresh);
      const { step, wall_time_s, command, git_commit } = start.manifest;
      // The chain of earlier stages stays in the manifest (each stage's init_from holds the one before).
      initInfo = {
        dir: options.initFrom,
        step,
        wall_time_s,
        command,
        git_commit,
        fresh_variables: start.fresh,
        init_from: start.manifest.data.init_from,
      };
    }
    optimizer = new AdamW(variablesOf(model), adamw);
    if (writer && fs.existsSync(logFile)) fs.rmSync(logFile);
  }
  optimizer.reduceGradients = shard?.reduce;
  // Replicas hold the same weights, so the one that writes keeps the EMA.
  const ema =
    train.emaDecay > 0 && writer
      ? new WeightEma(model, train.emaDecay, resume ? readEmaWeights(options.outDir, model) : undefined, train.emaWarmup)
      : undefined;
  const taskTrain = shard === undefined ? train : shardTrainConfig(train, shard.count);
  const dataStep = (step: number): number => (shard === undefined ? step : step * shard.count + shard.index);
  const command = options.command ?? defaultCommand(options, train, seed, shard?.count ?? 1);
  if (writer)
    writeJsonAtomic(path.join(options.outDir, CONFIG_FILE), {
      preset: options.preset,
      seed,
      command,
      model: config,
      train,
      ...(shard ? { replicas: shard.count } : {}),
    });

  const poolRecipe: PoolRecipe = {
    n: train.generatedPool,
    seed,
    t0s: [...poolT0s(train.generatedT0)],
    heldOutScenes: train.heldOutImages,
    from: initInfo === undefined ? 'scratch' : `${String(initInfo.dir)}@${String(initInfo.step)}`,
  };
  const tasks = pretrainTasks(
    train,
    train.generatedShare > 0
      ? generatedPoolOf(options.outDir, model, train, poolRecipe, { resume, writer, quiet: options.quiet === true })
      : undefined,
  );
  const sessionStart = performance.now();
  const checkpoint = (step: number): CheckpointManifest => {
    const emaEntry = ema?.write(options.outDir, step); // before the manifest that names it
    const manifest = saveCheckpoint(options.outDir, {
      model,
      optimizer,
      step,
      info: {
        preset: options.preset,
        seed,
        command,
        wall_time_s: wallBefore + (performance.now() - sessionStart) / 1000,
        data: {
          ...(shard ? { replicas: shard.count } : {}),
          source: 'synthetic world, train split (lib/train/data.ts)',
          categories: 'CompBench 8, round-robin',
          tasks: tasks.map((t) => t.name),
          examples_per_step: train.batchSize * tasks.length,
          examples_seen: step * train.batchSize * tasks.length,
          ...(initInfo ? { init_from: initInfo } : {}),
          ...(emaEntry ? { ema: emaEntry } : {}),
        },
        final_losses: lastLosses,
        training_config: { ...train },
      },
    });
    if (emaEntry !== undefined) removeOlderEma(options.outDir, emaEntry.file);
    return manifest;
  };

  const stop = listenForStop();
  const stopAt = Math.min(train.steps, options.stopAtStep ?? train.steps);
  const progress = new Progress({
    label: `pretrain ${options.preset}`,
    total: Math.max(0, stopAt - startStep),
    unit: 'step',
    quiet: options.quiet || !writer,
  });
  let stats = new IntervalStats();
  let step = startStep;
  try {
    while (step < Math.min(stopAt, shard?.stopAt() ?? Infinity) && !stop.requested) {
      const learningRate = learningRateAt(step, train);
      for (const task of tasks) {
        const taskStart = performance.now();
        const result = task.run({ model, optimizer, step: dataStep(step), learningRate, seed, train: taskTrain });
        // Samples count every replica's (they run in step); losses are this replica's.
        stats.add(task.name, { ...result, samples: result.samples * (shard?.count ?? 1) }, (performance.now() - taskStart) / 1000);
      }
      ema?.update(step);
      step += 1;
      stats.steps += 1;
      shard?.reached(step);
      options.onStep?.(step);
      const logNow = step % train.logEvery === 0 || step === stopAt;
      if (logNow) {
        lastLosses = stats.meanLosses();
        if (writer)
          appendJsonl(logFile, {
            step,
            ...stats.logFields(learningRate),
            elapsed_s: wallBefore + (performance.now() - sessionStart) / 1000,
          });
      }
      progress.tick(1, { loss: Object.values(stats.meanLosses())[0] ?? NaN, 'samples/s': stats.samplesPerSecond(), lr: learningRate });
      if (logNow) stats = new IntervalStats();
      if (writer && step % train.checkpointEvery === 0 && step < stopAt) checkpoint(step);
      await new Promise((resolve) => setImmediate(resolve)); // let a pending SIGINT / SIGTERM in
    }
    if (stats.steps > 0) lastLosses = stats.meanLosses();
    return { model, step, interrupted: step < train.steps, manifest: writer ? checkpoint(step) : undefined, startStep };
  } catch (error) {
    disposeModel(model); // a crashed run hands back nothing; its last checkpoint is on disk
    throw error;
  } finally {
    stop.dispose();
  }
}
