// SRUM / SFT post-training: one flat loop in a fixed order, batch -> loss -> step -> EMA -> log -> checkpoint.
// Everything a step draws (batch, text dropout, t, eps) derives from (seed, step); the rest of the state is the
// weights, the AdamW moments and the EMA weights, all in the checkpoint, so a resumed run goes through exactly the
// states of an uninterrupted one. Output directory: the checkpoint (checkpoint.ts) plus ema-<step>.bin (EMA weights,
// namedVariables order, named with its sha256 in the manifest's data.ema), replay-optimizer-<step>.bin (the replay's
// own moments with replayMoments 'own', in data.replay_optimizer), config.json, log.jsonl.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../backend/tf';
import { appendJsonl, writeJsonAtomic } from '../io';
import { Progress } from '../progress';
import { makeRng } from '../rng';
import {
  hasCheckpoint,
  loadCheckpoint,
  readManifest,
  readOptimizerFile,
  restoreOptimizer,
  saveCheckpoint,
  writeOptimizerFile,
  CheckpointError,
  type CheckpointManifest,
  type OptimizerFileEntry,
} from '../model/checkpoint';
import type { ModelPreset } from '../model/config';
import { dropText } from '../model/flow';
import { thinkingWithText } from '../model/plan';
import { AdamW } from '../model/optimizer';
import { disposeModel, variablesOf, type UnifiedModel } from '../model/params';
import { CONFIG_FILE, IntervalStats, LOG_FILE, T_BINS, trimLog } from './pretrain';
import { DEFAULT_SRUM_CONFIG, resolveSrumConfig, srumLearningRate, type SrumConfig, type SrumRecipe } from './srum-config';
import { batchIndices, batchShapes, gatherBatch, prepareSrumData, type SrumCandidate, type SrumDataset } from './srum-data';
import { centreRewards, lossSettings, srumLoss, thinkTerm } from './srum-objective';
import { gradientStep } from './head-losses';
import { listenForStop } from './interrupt';
import { assignWeights, readEmaWeights, removeOlderEma, WeightEma } from './ema';
import { resolveTrainConfig, type TrainConfig } from './config';
import { pretrainTasks, type PretrainTask } from './tasks';
import { hashString } from '../rng';

export interface TrainSrumOptions {
  /** The model to post-train in place (the caller owns and disposes it); on resume its weights are replaced. */
  model: UnifiedModel;
  /** Preset the model was built from (recorded in the manifest). */
  preset: ModelPreset;
  candidates: readonly SrumCandidate[];
  /** Overrides of the recipe's SrumConfig (lib/train/srum-config.ts). */
  config?: Record<string, unknown>;
  /** The recipe the overrides apply to (default 'released', i.e. DEFAULT_SRUM_CONFIG). */
  recipe?: SrumRecipe;
  outDir: string;
  /** Continue from outDir's checkpoint when it has one (default true). */
  resume?: boolean;
  quiet?: boolean;
  command?: string;
  /** Stop after this step count as if interrupted (checkpoint and return). */
  stopAtStep?: number;
  /**
   * The base checkpoint's pretraining config (its manifest's training_config): replay continues pretraining on the
   * data it was pretrained on (replayTasks). Default: the preset's pretraining data.
   */
  baseTraining?: Record<string, unknown>;
  /** Called after every step; tests throw here to simulate a kill between checkpoints. */
  onStep?: (step: number) => void;
}

export interface TrainSrumResult {
  /** EMA weights in namedVariables order (assign them for evaluation). */
  ema: Float32Array[];
  step: number;
  startStep: number;
  interrupted: boolean;
  manifest: CheckpointManifest;
  /** Candidates dropped by the loader rules. */
  skipped: number;
}

export class SrumNaNError extends Error {
  constructor(
    readonly step: number,
    readonly lastCheckpointStep: number | undefined,
  ) {
    const kept = lastCheckpointStep === undefined ? 'none' : `step ${lastCheckpointStep}`;
    super(`SRUM training: loss is not finite at step ${step}; no update was applied, the last checkpoint (${kept}) is kept`);
    this.name = 'SrumNaNError';
  }
}

/** One update (loss -> gradients -> NaN check -> AdamW); every tensor made here is released. */
interface StepOptions {
  data: SrumDataset;
  config: SrumConfig;
  step: number;
  learningRate: number;
}
function srumStep(model: UnifiedModel, optimizer: AdamW, options: StepOptions) {
  const { data, config, step } = options;
  const settings = lossSettings(config); // SFT: R = 1, lambda_c = 0
  const indices = batchIndices(step, config.batchSize, data.x0.length, config.seed);
  const batch = gatherBatch(data, indices);
  const shapes = batchShapes(model.config, config.batchSize);
  const rng = makeRng(config.seed).fork(`srum:${step}`);
  const textTokens = dropText(batch.textTokens, config.batchSize, config.textDropProb, rng);
  const thinking = batch.thinking === undefined ? undefined : thinkingWithText(batch.thinking, textTokens, model.config.maxTextTokens);
  let t = new Float32Array(0);
  const separateThink = config.thinkLearningRate > 0;
  // imageWeight 0 with the think term as its own update: no image step at all. A zero-weighted loss would still move
  // the weights (AdamW steps on its moments even at a zero gradient), and it is most of the step's compute.
  const imageStep = !(separateThink && config.imageWeight === 0);
  const joint = imageStep
    ? imageUpdate()
    : { finite: true, lossValue: 0, rewardLoss: 0, referenceLoss: 0, jointPlanLoss: 0, perSampleLoss: t, gradNorm: 0 };
  const { finite, lossValue, rewardLoss, referenceLoss, jointPlanLoss, perSampleLoss, gradNorm } = joint;
  // SrumConfig.thinkLearningRate: the think term as its own update of the plan head and cell decoder (and the backbone
  // with thinkBackbone), on the schedule.
  const hasThink = config.planWeight > 0 && batch.plan !== undefined && batch.layoutReward !== undefined;
  const planLossValue =
    separateThink && hasThink && finite
      ? gradientStep({
          optimizer,
          learningRate: (options.learningRate * config.thinkLearningRate) / config.learningRate,
          loss: () => ({
            total: tf.mul(config.planWeight, thinkTerm(model, batch, config, { detach: !config.thinkBackbone })!) as tf.Scalar,
            parts: {},
          }),
        }).loss / config.planWeight
      : jointPlanLoss;
  const rewards = indices.flatMap((i) => Array.from(data.reward[i]));
  const loss = imageStep ? lossValue : planLossValue;
  return {
    finite: finite && Number.isFinite(loss),
    loss,
    rewardLoss,
    referenceLoss,
    planLoss: planLossValue,
    t,
    perSampleLoss,
    gradNorm,
    reward: rewards,
  };

  /** Eq. 1 (+ the think term when it is not its own update): loss -> gradients -> NaN check -> AdamW. */
  function imageUpdate() {
    const { loss, parts, perSample, grads } = tf.tidy(() => {
      const x0 = tf.tensor3d(batch.x0, shapes.x0);
      const rewardMap = settings.rewardWeighted ? tf.tensor3d(batch.reward, shapes.reward) : undefined; // [B, Hp, Wp]
      let kept: tf.Tensor[] = [];
      const { value, grads: gradMap } = tf.variableGrads(() => {
        const reference = batch.reference && { x0: tf.tensor3d(batch.reference.x0, shapes.x0), plan: batch.reference.plan };
        const out = srumLoss({
          model,
          x0,
          textTokens,
          rewardMap,
          lambdaC: settings.lambdaC,
          rng,
          timestepShift: config.timestepShift,
          minTimestep: config.minTimestep,
          plan: batch.plan,
          thinking,
          guidanceScale: config.lossGuidance,
          reference,
        });
        t = out.t;
        const think = separateThink ? undefined : thinkTerm(model, batch, config);
        kept = [tf.keep(out.rewardLoss), tf.keep(out.referenceLoss), tf.keep(think ?? tf.scalar(0)), tf.keep(out.perSampleError)];
        const image = tf.mul(config.imageWeight, out.loss) as tf.Scalar;
        return think === undefined ? image : (tf.add(image, tf.mul(config.planWeight, think)) as tf.Scalar);
      }, optimizer.variables as tf.Variable[]);
      const grads = optimizer.variables.map((v) => gradMap[v.name] as tf.Tensor | undefined);
      return { loss: value, parts: kept.slice(0, 3), perSample: kept[3], grads };
    });
    const lossValue = loss.dataSync()[0];
    const [rewardLoss, referenceLoss, jointPlanLoss] = parts.map((p) => p.dataSync()[0]);
    const perSampleLoss = perSample.dataSync() as Float32Array;
    const finite = Number.isFinite(lossValue);
    const gradNorm = finite ? optimizer.applyGradients(grads, options.learningRate).gradNorm : NaN;
    tf.dispose([loss, ...parts, perSample, ...grads.filter((g): g is tf.Tensor => g !== undefined)]);
    return { finite, lossValue, rewardLoss, referenceLoss, jointPlanLoss, perSampleLoss, gradNorm };
  }
}

/** Reward statistics over one log interval: mean of the batch means, min and max of R. */
class RewardStats {
  sum = 0;
  batches = 0;
  min = Infinity;
  max = -Infinity;
  add(values: number[]): void {
    this.sum += values.reduce((a, b) => a + b, 0) / values.length;
    this.batches += 1;
    for (const v of values) {
      this.min = Math.min(this.min, v);
      this.max = Math.max(this.max, v);
    }
  }
  summary(): { mean: number; min: number; max: number } {
    return { mean: this.sum / Math.max(1, this.batches), min: this.min, max: this.max };
  }
}

/** Resume: weights into `model`, moments into `optimizer`; returns the manifest and the EMA weights. */
type Resumed = { manifest: CheckpointManifest; ema: Float32Array[] };
function resumeFrom(dir: string, model: UnifiedModel, optimizer: AdamW, config: SrumConfig): Resumed {
  const saved = readManifest(dir).training_config as Partial<SrumConfig> | undefined;
  // A setting the run's config does not hold was added later: the run was trained with its default.
  const savedValue = (k: keyof SrumConfig): unknown => (saved !== undefined && !(k in saved) ? DEFAULT_SRUM_CONFIG[k] : saved?.[k]);
  const mayChange = ['steps', 'logEvery', 'checkpointEvery'];
  const differ = (Object.keys(config) as (keyof SrumConfig)[]).filter((k) => !mayChange.includes(k) && savedValue(k) !== config[k]);
  if (differ.length > 0) {
    const pairs = differ.map((k) => `${k}: ${JSON.stringify(savedValue(k))} vs ${JSON.stringify(config[k])}`).join('; ');
    const how = 'use another outDir or resume: false';
    throw new CheckpointError(`cannot resume: the run was trained with other settings (${pairs}); ${how}`, dir);
  }
  const loaded = loadCheckpoint(dir, { expectedConfig: model.config });
  assignWeights(
    model,
    variablesOf(loaded.model).map((v) => v.dataSync() as Float32Array),
  );
  disposeModel(loaded.model);
  if (loaded.optimizerState === undefined) throw new CheckpointError('no optimizer state to resume from', dir);
  restoreOptimizer(optimizer, loaded.optimizerState);
  return { manifest: loaded.manifest, ema: readEmaWeights(dir, model) };
}

/** SrumConfig.replayMoments 'own': the replay optimizer's moments, one file beside the checkpoint (manifest data.replay_optimizer). */
const REPLAY_OPTIMIZER_FILE = /^replay-optimizer-\d+\.bin$/;

function restoreReplayOptimizer(dir: string, optimizer: AdamW): void {
  const entry = readManifest(dir).data.replay_optimizer as OptimizerFileEntry | undefined;
  if (entry === undefined) throw new CheckpointError('no replay optimizer state to resume from (data.replay_optimizer)', dir);
  restoreOptimizer(
    optimizer,
    readOptimizerFile(
      dir,
      entry,
      optimizer.variables.map((v) => v.size),
    ),
  );
}

/**
 * Replay: the pretraining tasks of the model's preset on fresh pretraining batches (their own seed, so not the ones
 * pretraining saw), replayBatchSize examples each; none with replayWeight 0; understanding alone with replayScope
 * 'understanding'. The captions are those the base was pretrained on (baseTraining.unboundCaptions, unboundStructure):
 * replaying bound captions to a base pretrained on unbound ones would teach it what post-training is meant to find.
 */
export function replayTasks(
  preset: ModelPreset,
  config: SrumConfig,
  baseTraining: Record<string, unknown> = {},
): { tasks: PretrainTask[]; train: TrainConfig; seed: number } {
  const train = resolveTrainConfig(preset, {
    batchSize: config.replayBatchSize,
    understandingImages: config.replayBatchSize,
    planHeadOnly: config.replayPlanHeadOnly,
    ...(config.replayScope === 'understanding' ? { generationWeight: 0, planWeight: 0 } : {}),
    unboundCaptions: baseTraining.unboundCaptions ?? 0,
    unboundStructure: baseTraining.unboundStructure ?? 0,
  });
  const tasks = config.replayWeight > 0 ? pretrainTasks(train) : [];
  return { tasks, train, seed: hashString(`replay:${config.seed}`) };
}

export async function trainSrum(options: TrainSrumOptions): Promise<TrainSrumResult> {
  const { model, outDir } = options;
  const config = resolveSrumConfig(options.config ?? {}, options.recipe);
  const settings = lossSettings(config);
  // The replay control trains on no candidate: an empty dataset stands in (its loss is never taken).
  const data: SrumDataset =
    config.method === 'replay'
      ? { x0: [], textTokens: [], reward: [], plan: [], layoutReward: [], skipped: [] }
      : prepareSrumData(options.candidates, model, config.rewardMode, {
          referenceSeed: settings.groundTruthReference ? config.seed : undefined,
          positiveOnly: settings.positiveOnly,
          planReward: config.planReward,
        });
  const rewardBaseline = settings.centred ? centreRewards(data) : 0;
  const replay = replayTasks(options.preset, config, options.baseTraining);
  const logFile = path.join(outDir, LOG_FILE);
  const variables = variablesOf(model);
  const { learningRate, beta1, beta2, epsilon, weightDecay, clipNorm } = config;
  const optimizer = new AdamW(variables, { learningRate, beta1, beta2, epsilon, weightDecay, clipNorm });
  const replayOptimizer =
    config.replayMoments === 'own' && replay.tasks.length > 0
      ? new AdamW(variables, { learningRate, beta1, beta2, epsilon, weightDecay, clipNorm })
      : optimizer;
  let startStep = 0;
  let wallBefore = 0;
  let lastLosses: Record<string, number> = {};
  let lastCheckpointStep: number | undefined;
  let ema: WeightEma;
  if ((options.resume ?? true) && hasCheckpoint(outDir)) {
    const resumed = resumeFrom(outDir, model, optimizer, config);
    if (replayOptimizer !== optimizer) restoreReplayOptimizer(outDir, replayOptimizer);
    ema = new WeightEma(model, config.emaDecay, resumed.ema, config.emaWarmup);
    startStep = lastCheckpointStep = resumed.manifest.step;
    wallBefore = resumed.manifest.wall_time_s;
    lastLosses = resumed.manifest.final_losses;
    trimLog(logFile, startStep);
  } else {
    ema = new WeightEma(model, config.emaDecay, undefined, config.emaWarmup);
    if (fs.existsSync(logFile)) fs.rmSync(logFile);
  }
  const command =
    options.command ??
    `trainSrum --method ${config.method} --mode ${config.rewardMode} --lambda ${config.lambdaC} --seed ${config.seed} --out ${outDir}`;
  writeJsonAtomic(path.join(outDir, CONFIG_FILE), {
    preset: options.preset,
    command,
    model: model.config,
    srum: config,
    candidates: options.candidates.length,
    skipped: data.skipped,
    reward_baseline: rewardBaseline,
    ...(data.reference ? { own_reference: data.reference.ownReference } : {}),
  });

  const sessionStart = performance.now();
  const checkpoint = (step: number): CheckpointManifest => {
    const emaEntry = ema.write(outDir, step); // before the manifest that names it
    const replayEntry =
      replayOptimizer === optimizer ? undefined : writeOptimizerFile(outDir, `replay-optimizer-${step}.bin`, replayOptimizer);
    const manifest = saveCheckpoint(outDir, {
      model,
      optimizer,
      step,
      info: {
        preset: options.preset,
        seed: config.seed,
        command,
        wall_time_s: wallBefore + (performance.now() - sessionStart) / 1000,
        data: {
          source: 'self-generated candidates with self-judge records',
          method: config.method,
          reward_mode: config.rewardMode,
          candidates: data.x0.length,
          skipped: data.skipped.length,
          examples_seen: step * config.batchSize,
          ema: emaEntry,
          ...(replayEntry === undefined ? {} : { replay_optimizer: replayEntry }),
        },
        final_losses: lastLosses,
        training_config: { ...config },
        base_training_config: options.baseTraining,
      },
    });
    removeOlderEma(outDir, emaEntry.file);
    for (const file of fs.readdirSync(outDir))
      if (REPLAY_OPTIMIZER_FILE.test(file) && file !== replayEntry?.file) fs.rmSync(path.join(outDir, file));
    lastCheckpointStep = step;
    return manifest;
  };

  const stop = listenForStop();
  const stopAt = Math.min(config.steps, options.stopAtStep ?? config.steps);
  const label = `${config.method} (${config.rewardMode})`;
  const progress = new Progress({ label, total: Math.max(0, stopAt - startStep), unit: 'step', quiet: options.quiet });
  let stats = new IntervalStats();
  let rewardStats = new RewardStats();
  let step = startStep;
  try {
    while (step < stopAt && !stop.requested) {
      const learningRate = srumLearningRate(step, config);
      const started = performance.now();
      const result = config.method === 'replay' ? undefined : srumStep(model, optimizer, { data, config, step, learningRate });
      if (result !== undefined && !result.finite) throw new SrumNaNError(step + 1, lastCheckpointStep);
      const replayed: Record<string, number> = {};
      for (const task of replay.tasks) {
        const done = task.run({
          model,
          optimizer: replayOptimizer,
          step,
          learningRate: learningRate * config.replayWeight,
          seed: replay.seed,
          train: replay.train,
        });
        if (!Number.isFinite(done.loss)) throw new SrumNaNError(step + 1, lastCheckpointStep);
        replayed[`replay_${task.name}`] = done.loss;
      }
      const think: Record<string, number> = config.planWeight > 0 && result !== undefined ? { plan_loss: result.planLoss } : {};
      const own: Record<string, number> =
        result === undefined ? {} : { reward_loss: result.rewardLoss, reference_loss: result.referenceLoss };
      const parts = { ...own, ...think, ...replayed };
      const seconds = (performance.now() - started) / 1000;
      const replayLoss = Object.values(replayed).reduce((a, b) => a + b, 0);
      const loss = result?.loss ?? replayLoss;
      stats.add(config.method, { loss, samples: config.batchSize, gradNorm: result?.gradNorm ?? 0, flow: result, parts }, seconds);
      if (result !== undefined) rewardStats.add(result.reward);
      ema.update(step);
      step += 1;
      stats.steps += 1;
      options.onStep?.(step);
      const logNow = step % config.logEvery === 0 || step === stopAt;
      if (logNow) {
        lastLosses = stats.meanLosses();
        appendJsonl(logFile, {
          step,
          method: config.method,
          reward_mode: config.rewardMode,
          ...stats.logFields(learningRate),
          t_bins: T_BINS,
          reward: rewardStats.summary(),
          reward_used: config.method === 'srum',
          elapsed_s: wallBefore + (performance.now() - sessionStart) / 1000,
        });
      }
      progress.tick(1, { loss, 'R mean': rewardStats.summary().mean, lr: learningRate });
      if (logNow) {
        stats = new IntervalStats();
        rewardStats = new RewardStats();
      }
      if (step % config.checkpointEvery === 0 && step < stopAt) checkpoint(step);
      await new Promise((resolve) => setImmediate(resolve)); // let a pending SIGINT / SIGTERM in
    }
    if (stats.steps > 0) lastLosses = stats.meanLosses();
    const manifest = checkpoint(step);
    return { ema: ema.weights, step, startStep, interrupted: step < config.steps, manifest, skipped: data.skipped.length };
  } finally {
    stop.dispose();
  }
}
