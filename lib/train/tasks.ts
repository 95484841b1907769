// The pretraining tasks: each one takes step k's batch (a pure function of (seed, k)), computes its loss and
// makes one optimizer update, scaled by its weight. The loop runs them in the order listed here.
// Adding a task is one entry in pretrainTasks().
import * as tf from '../backend/tf';
import { makeRng } from '../rng';
import { modelDims } from '../model/config';
import type { AdamW } from '../model/optimizer';
import { QUERY_KINDS, type UnifiedModel } from '../model/params';
import { flowTrainStep } from '../model/train-step';
import type { TrainConfig } from './config';
import { generationBatch, understandingBatch, type GenerationBatch } from './data';
import { countClassWeights, gradientStep, planLoss, understandingLoss, understandingRows, type HeadLoss } from './head-losses';
import { mixGenerated, type GeneratedPool } from './generated-pool';
import { parseLoss } from './parse';

export interface TaskContext {
  model: UnifiedModel;
  optimizer: AdamW;
  /** 0-based step; the batch index of every task. */
  step: number;
  /** The scheduled learning rate of this step (before the task's weight). */
  learningRate: number;
  /** The run's seed (data and noise derive from it and the step). */
  seed: number;
  train: TrainConfig;
}

export interface TaskResult {
  loss: number;
  /** Examples this update used. */
  samples: number;
  gradNorm: number;
  /** Flow tasks: each sample's t and loss, for the per-t-bin log. */
  flow?: { t: Float32Array; perSampleLoss: Float32Array };
  /** Head tasks: each loss term (e.g. region_shape, verdict, plan_cell). */
  parts?: Record<string, number>;
}

export interface PretrainTask {
  name: string;
  /** Multiplies the learning rate of this task's update. */
  weight: number;
  run(context: TaskContext): TaskResult;
}

/** Step k's generation batch, built once and shared by the generation and plan tasks of that step. */
type GenerationBatches = (context: TaskContext) => GenerationBatch;

function sharedGenerationBatches(): GenerationBatches {
  let last: { key: string; batch: GenerationBatch } | undefined;
  return ({ model, step, seed, train }) => {
    const key = `${seed}/${step}/${train.batchSize}`;
    if (last?.key !== key)
      last = {
        key,
        batch: generationBatch(step, {
          batchSize: train.batchSize,
          seed,
          config: model.config,
          layoutGrid: train.layoutGrid,
          unboundCaptions: train.unboundCaptions,
          unboundStructure: train.unboundStructure,
        }),
      };
    return last.batch;
  };
}

/**
 * Per-token flow-loss weights [B * Np] that favour tokens holding an outline or a texture edge: 1 + beta for a patch
 * whose pixel values span more than 0.2 (an edge, in [-1, 1] units), 1 for a flat one, rescaled to mean 1 so the loss
 * keeps its scale. Aims the loss at the corners that tell a square from a circle, which flat colour outweighs.
 */
export function outlineWeights(patches: Float32Array, batchSize: number, imageTokens: number, beta: number): Float32Array {
  const tokens = batchSize * imageTokens;
  const patchDim = patches.length / tokens;
  if (!Number.isInteger(patchDim))
    throw new Error(`outlineWeights: ${patches.length} values is not ${batchSize} images of ${imageTokens} tokens`);
  const weights = new Float32Array(tokens);
  for (let k = 0; k < tokens; k++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = k * patchDim; j < (k + 1) * patchDim; j++) {
      lo = Math.min(lo, patches[j]);
      hi = Math.max(hi, patches[j]);
    }
    weights[k] = hi - lo > 0.2 ? 1 + beta : 1;
  }
  const mean = weights.reduce((a, b) => a + b, 0) / tokens;
  return weights.map((w) => w / mean);
}

/**
 * Text-to-image rectified flow on rendered train scenes (flowTrainStep); t, eps and text dropout from (seed, step).
 * A thinkProb share of the samples (seeded) is conditioned on the scene's ground-truth plan, the rest on the null
 * plan, so one model samples both ways.
 */
export function generationTask(weight: number, batches: GenerationBatches = sharedGenerationBatches()): PretrainTask {
  return {
    name: 'generation',
    weight,
    run(context) {
      const { model, optimizer, step, learningRate, seed, train } = context;
      const shared = batches(context);
      const batch = { ...shared }; // a copy: weight and thinking are set below, and the plan task reads `shared` too
      if (train.outlineWeight > 0)
        batch.weight = outlineWeights(shared.x0, batch.batchSize, modelDims(model.config).imageTokens, train.outlineWeight);
      const thinkRng = makeRng(seed).fork(`think:${step}`);
      batch.thinking = Uint8Array.from({ length: batch.batchSize }, () => (thinkRng.next() < train.thinkProb ? 1 : 0));
      const rng = makeRng(seed).fork(`flow:${step}`);
      const flow = { timestepShift: train.timestepShift, textDropProb: train.textDropProb };
      const result = flowTrainStep({ model, optimizer, batch, rng, flow, learningRate: learningRate * weight });
      const flowLog = { t: result.t, perSampleLoss: result.perSampleLoss };
      return { loss: result.loss, samples: batch.batchSize, gradNorm: result.gradNorm, flow: flowLog };
    },
  };
}

/**
 * Understanding heads on clean (possibly corrupted) train images: each image gives a region, a verdict and a count
 * row (head-losses.ts), so a step draws understandingImages images for three times as many rows; the same images
 * also train the scene parse (parse.ts), in the same update. With a pool, a generatedShare of the images are the
 * model's own resamplings instead (generated-pool.ts), asked region queries only.
 */
export function understandingTask(weight: number, pool?: GeneratedPool): PretrainTask {
  return {
    name: 'understanding',
    weight,
    run({ model, optimizer, step, learningRate, seed, train }) {
      const batch = understandingBatch(step, {
        batchSize: train.understandingImages,
        seed,
        config: model.config,
        heldOutScenes: train.heldOutImages,
        shapeMorph: train.shapeMorph,
      });
      if (pool !== undefined && train.generatedShare > 0)
        mixGenerated(batch, pool, train.generatedShare, makeRng(seed).fork(`generated:${step}`), model.config);
      const terms = { verdict: train.verdictWeight, count: train.countWeight };
      const kinds = QUERY_KINDS.filter((kind) => kind === 'region' || terms[kind] > 0);
      const rows = understandingRows(batch, model.config.maxTextTokens, kinds);
      const countWeights = countClassWeights(model.config);
      const loss = (): HeadLoss => {
        const heads = understandingLoss(model, rows, countWeights, terms, { detach: train.understandingHeadOnly });
        if (train.parseWeight === 0) return heads;
        const { imageTokens, patchDim } = modelDims(model.config);
        const parse = parseLoss(model, tf.tensor3d(batch.x0, [batch.batchSize, imageTokens, patchDim]), batch.scenes);
        return {
          total: tf.add(heads.total, tf.mul(parse.total, train.parseWeight)) as tf.Scalar,
          parts: { ...heads.parts, ...parse.parts },
        };
      };
      const result = gradientStep({ optimizer, learningRate: learningRate * weight, loss });
      return { loss: result.loss, samples: rows.rows, gradNorm: result.gradNorm, parts: result.parts };
    },
  };
}

/** Think-mode plan prediction from the prompt alone, on the generation task's prompts and their scenes' plans. */
export function planTask(weight: number, batches: GenerationBatches = sharedGenerationBatches()): PretrainTask {
  return {
    name: 'plan',
    weight,
    run(context) {
      const { model, optimizer, learningRate } = context;
      const batch = batches(context);
      const result = gradientStep({
        optimizer,
        learningRate: learningRate * weight,
        loss: () => planLoss(model, batch.textTokens, batch.plan, undefined, { detach: context.train.planHeadOnly }),
      });
      return { loss: result.loss, samples: batch.batchSize, gradNorm: result.gradNorm, parts: result.parts };
    },
  };
}

/** The tasks of a pretraining run, in the order each step runs them; weight 0 switches one off. */
export function pretrainTasks(train: TrainConfig, pool?: GeneratedPool): PretrainTask[] {
  if (train.generatedShare > 0 && pool === undefined) throw new Error('pretrainTasks: generatedShare > 0 needs the generated pool');
  const batches = sharedGenerationBatches();
  return [
    generationTask(train.generationWeight, batches),
    understandingTask(train.understandingWeight, pool),
    planTask(train.planWeight, batches),
  ].filter((task) => task.weight > 0);
}
