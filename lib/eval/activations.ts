// MLP unit activations of the unified model on its two kinds of task (paper Appendix B: a_i(x), "the output of a
// neuron after its activation function"), recorded through the backbone's observer (model/mlp-observer.ts) without
// changing any output.
//   unit: one hidden unit of one block's MLP, indexed (layer * weightSets + weightSet) * mlpDim + j; weight sets are
//         the shared MLP, plus the text-side MLP under mixtureOfTransformers (its units are other neurons);
//   a_i(x): unit i's GELU output averaged over the sequence positions of sample x it reads, PAD text positions left out
//           (a transformer neuron fires once per token; the paper's models are read the same way, per sample).
// Task inputs, identical for every model (so differences between models come from their weights alone):
//   understanding: the toolkit's understanding batches (lib/train/data.ts): a rendered scene, possibly distorted or
//                  corrupted, read clean (t = 0) with its region, verdict and count query: 3 samples per image;
//   generation:    the velocity forward on the generation batches' prompts in think mode with the scene's plan (as
//                  trained), at x_t = (1 - t) x0 + t eps with t drawn from the default sampler's timesteps (t > 0):
//                  one sample per prompt, the conditional branch of guidance.
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import { DEFAULT_SAMPLING } from '../generate/generate';
import { modelDims, type ModelConfig } from '../model/config';
import { noisyInput, samplingTimesteps } from '../model/flow';
import { understandingLogits } from '../model/heads';
import { observingMlp, type MlpActivation } from '../model/mlp-observer';
import { QUERY_KINDS, type UnifiedModel } from '../model/params';
import { planConditioning } from '../model/plan';
import { predictVelocity } from '../model/transformer';
import { makeRng } from '../rng';
import { generationBatch, understandingBatch, type BatchOptions } from '../train/data';
import { understandingRows } from '../train/head-losses';
import { COMPBENCH_CATEGORIES, type Split } from '../world/types';

export type TaskKind = 'understanding' | 'generation';
export const TASK_KINDS: readonly TaskKind[] = ['understanding', 'generation'];

/** Activations of every unit on every sample of one task: row-major [samples, units]. */
export interface TaskActivations {
  task: TaskKind;
  units: number;
  /** a_i(x) of sample s at [s * units + i]. */
  values: Float32Array;
  /** The image each sample was built from (`<task>:<split>:<seed>:<index>`): an understanding image gives 3 samples. */
  imageIds: string[];
}

export interface TaskDataOptions {
  /** Images (understanding) or prompts (generation). */
  n: number;
  /** Data seed: scenes, queries, t and eps are pure functions of it. */
  seed: number;
  /** Prompt split of the scenes ('val' to measure; the clusters are selected on held-aside data of another split or seed). */
  split: Split;
  /** Images per forward pass (default 32). */
  batchSize?: number;
}

/** Units the recorder sees per sample: nLayers x (1, or 2 with mixtureOfTransformers) x mlpDim. */
export function unitCount(config: ModelConfig): number {
  return config.nLayers * weightSets(config) * modelDims(config).mlpDim;
}

/** Block index of unit i. */
export function unitLayer(config: ModelConfig, unit: number): number {
  return Math.floor(unit / (weightSets(config) * modelDims(config).mlpDim));
}

function weightSets(config: ModelConfig): number {
  return config.mixtureOfTransformers ? 2 : 1;
}

/** 1 for a sequence position a sample reads, 0 for PAD text, over positions [first, first + length): [B, 1, length]. */
function positionWeights(textTokens: Int32Array, textLen: number, first: number, length: number): Float32Array {
  const batch = textTokens.length / textLen;
  const weights = new Float32Array(batch * length).fill(1);
  for (let b = 0; b < batch; b++)
    for (let j = first; j < Math.min(textLen, first + length); j++)
      if (textTokens[b * textLen + j] === 0) weights[b * length + j - first] = 0;
  return weights;
}

/**
 * Runs `forward` (one forward pass over B rows) and returns a_i(x) of its rows, [B, units]. The outputs of `forward`
 * are its own to release; everything the recording makes is released inside the backbone's tf.tidy.
 */
export function recordForward(model: UnifiedModel, forward: () => void): Float32Array {
  const { config } = model;
  const { mlpDim } = modelDims(config);
  const units = unitCount(config);
  let rows: Float32Array | undefined;
  const record = ({ layer, weights, hidden, firstToken, textTokens }: MlpActivation): void => {
    const [batch, length] = hidden.shape; // hidden [B, T', mlpDim]
    const textLen = textTokens.length / batch; // the sequence opens with this many text positions per row
    const mask = tf.tensor3d(positionWeights(textTokens, textLen, firstToken, length), [batch, 1, length]);
    const read = tf.maximum(tf.sum(mask, 2), 1).reshape([batch, 1, 1]); // positions read per row, at least 1
    const means = tf.div(tf.matMul(mask, hidden), read).dataSync(); // [B, 1, mlpDim]
    rows ??= new Float32Array(batch * units);
    const offset = (layer * weightSets(config) + (weights === 'mlp' ? 0 : 1)) * mlpDim;
    for (let b = 0; b < batch; b++) rows.set(means.subarray(b * mlpDim, (b + 1) * mlpDim), b * units + offset);
  };
  observingMlp(record, forward);
  if (rows === undefined) throw new Error('recordForward: the forward ran no transformer block');
  return rows;
}

function batchOptions(model: UnifiedModel, options: TaskDataOptions, batchSize: number): BatchOptions {
  return { batchSize, seed: options.seed, config: model.config, split: options.split, categories: COMPBENCH_CATEGORIES };
}

/** Understanding: every image with its region, verdict and count query ([region ; verdict ; count] rows), one forward per batch. */
function understandingSamples(model: UnifiedModel, options: TaskDataOptions, k: number, batchSize: number): Float32Array {
  const rows = understandingRows(understandingBatch(k, batchOptions(model, options, batchSize)), model.config.maxTextTokens);
  const { imageTokens, patchDim } = modelDims(model.config);
  return recordForward(model, () => {
    const x0 = tf.tensor3d(rows.x0, [rows.rows, imageTokens, patchDim]);
    const logits = understandingLogits(model, { x0, textTokens: rows.textTokens, kinds: rows.kinds, boxes: rows.boxes });
    tf.dispose([x0, ...Object.values(logits.region), logits.verdict, logits.count]);
  });
}

/** Generation: the conditional velocity forward at a sampled t on the batch's prompts, think mode with the scene's plan. */
function generationSamples(model: UnifiedModel, options: TaskDataOptions, k: number, batchSize: number): Float32Array {
  const batch = generationBatch(k, batchOptions(model, options, batchSize));
  const rng = makeRng(options.seed).fork(`cluster-noise:${k}`);
  const schedule = samplingTimesteps(DEFAULT_SAMPLING.steps, DEFAULT_SAMPLING.timestepShift).slice(0, -1); // t > 0
  const t = Float32Array.from({ length: batchSize }, () => rng.pick(Array.from(schedule)));
  const { imageTokens, generationDim } = modelDims(model.config);
  return recordForward(model, () => {
    const v = tf.tidy(() => {
      const shape: [number, number, number] = [batchSize, imageTokens, generationDim];
      const tTensor = tf.tensor1d(t);
      const xt = noisyInput(tf.tensor3d(batch.x0, shape), randomNormal(shape, rng) as tf.Tensor3D, tTensor);
      const plan = planConditioning(model, batchSize, { plan: batch.plan, thinking: new Uint8Array(batchSize).fill(1) });
      return predictVelocity(model, { xt, t: tTensor, textTokens: batch.textTokens, ...plan });
    });
    v.dispose();
  });
}

/** a_i(x) of every unit on `options.n` images (understanding: 3 samples each) or prompts (generation) of one task. */
export function recordTaskActivations(model: UnifiedModel, task: TaskKind, options: TaskDataOptions): TaskActivations {
  const batchSize = options.batchSize ?? 32;
  const units = unitCount(model.config);
  const perImage = task === 'understanding' ? QUERY_KINDS.length : 1;
  const values = new Float32Array(options.n * perImage * units);
  const imageIds: string[] = [];
  let filled = 0;
  for (let k = 0; k * batchSize < options.n; k++) {
    const rows =
      task === 'understanding' ? understandingSamples(model, options, k, batchSize) : generationSamples(model, options, k, batchSize);
    const keep = Math.min(batchSize, options.n - k * batchSize); // the last batch is drawn whole (batches are pure in k) and cut
    const ids = Array.from({ length: keep }, (_, b) => `${task}:${options.split}:${options.seed}:${k * batchSize + b}`);
    for (let q = 0; q < perImage; q++) {
      values.set(rows.subarray(q * batchSize * units, (q * batchSize + keep) * units), filled * units);
      filled += keep;
      imageIds.push(...ids);
    }
  }
  return { task, units, values, imageIds };
}
