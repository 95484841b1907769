// The pretraining tasks: each one takes step k's batch (a pure function of (seed, k)), computes its loss and
// makes one optimizer update, scaled by its weight. The loop runs them in the order listed here.
// Adding a task is one entry in pretrainTasks() (understanding and plan heads join once the model has them).
import { makeRng } from '../rng';
import type { AdamW } from '../model/optimizer';
import type { UnifiedModel } from '../model/params';
import { flowTrainStep } from '../model/train-step';
import type { TrainConfig } from './config';
import { generationBatch } from './data';

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
}

export interface PretrainTask {
  name: string;
  /** Multiplies the learning rate of this task's update. */
  weight: number;
  run(context: TaskContext): TaskResult;
}

/** Text-to-image rectified flow on rendered train scenes (flowTrainStep); t, eps and text dropout from (seed, step). */
export function generationTask(weight: number): PretrainTask {
  return {
    name: 'generation',
    weight,
    run({ model, optimizer, step, learningRate, seed, train }) {
      const batch = generationBatch(step, { batchSize: train.batchSize, seed, config: model.config });
      const rng = makeRng(seed).fork(`flow:${step}`);
      const flow = { timestepShift: train.timestepShift, textDropProb: train.textDropProb };
      const result = flowTrainStep({ model, optimizer, batch, rng, flow, learningRate: learningRate * weight });
      return { loss: result.loss, samples: batch.batchSize, gradNorm: result.gradNorm, flow: { t: result.t, perSampleLoss: result.perSampleLoss } };
    },
  };
}

/** The tasks of a pretraining run, in the order each step runs them; weight 0 switches one off. */
export function pretrainTasks(train: TrainConfig): PretrainTask[] {
  return [
    generationTask(train.generationWeight),
    // understandingTask(train.understandingWeight),  (region / verdict / count heads: understandingBatch)
    // planTask(train.planWeight),                    (think-mode plan head: generationBatch(...).plan)
  ].filter((task) => task.weight > 0);
}
