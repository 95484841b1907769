// Exponential moving average of the weights (pretraining and SRUM): e <- d * e + (1 - d) * w after every
// update, d = decay, or with warm-up d = min(decay, (1 + n) / (10 + n)) at update n (the classic num_updates rule of
// tf.train.ExponentialMovingAverage) so that a short run does not keep a large share of its initial weights.
// The EMA is saved beside a checkpoint as ema-<step>.bin (namedVariables order, float32) and named with its
// sha256 in the manifest's data.ema, so a resumed run continues the same average and evaluation can load it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../backend/tf';
import {
  CheckpointError,
  loadCheckpoint,
  readFloat32File,
  readManifest,
  writeFloat32File,
  type Float32FileEntry,
  type LoadedCheckpoint,
} from '../model/checkpoint';
import { variablesOf, type UnifiedModel } from '../model/params';

/** What a manifest's data.ema holds. */
export interface EmaEntry extends Float32FileEntry {
  decay: number;
}

export class WeightEma {
  /** Starts at `weights` (a resumed average) or at the model's current weights. */
  constructor(
    private readonly model: UnifiedModel,
    readonly decay: number,
    public weights: Float32Array[] = variablesOf(model).map((v) => (v.dataSync() as Float32Array).slice()),
    readonly warmup = false,
  ) {}

  /** The decay of update n (0-based count of updates before it). */
  decayAt(n: number): number {
    return this.warmup ? Math.min(this.decay, (1 + n) / (10 + n)) : this.decay;
  }

  /** One update after an optimizer step; n counts the updates before it (the step, so a resumed run continues). */
  update(n: number): void {
    const d = this.decayAt(n);
    variablesOf(this.model).forEach((v, i) => {
      const w = v.dataSync() as Float32Array;
      const e = this.weights[i];
      for (let j = 0; j < e.length; j++) e[j] = d * e[j] + (1 - d) * w[j];
    });
  }

  /** Writes ema-<step>.bin atomically into dir (before the manifest that will name it) and returns its entry. */
  write(dir: string, step: number): EmaEntry {
    return { ...writeFloat32File(dir, `ema-${step}.bin`, this.weights), decay: this.decay };
  }
}

/** Deletes the EMA files of dir other than `keep` (call after the manifest naming `keep` is written). */
export function removeOlderEma(dir: string, keep: string): void {
  for (const file of fs.readdirSync(dir)) if (/^ema-\d+\.bin$/.test(file) && file !== keep) fs.rmSync(path.join(dir, file));
}

/** The EMA weights a checkpoint names (manifest data.ema), in namedVariables order of `model`. */
export function readEmaWeights(dir: string, model: UnifiedModel): Float32Array[] {
  const entry = readManifest(dir).data.ema as EmaEntry | undefined;
  if (entry === undefined) throw new CheckpointError('no EMA weights named in the manifest (data.ema)', dir);
  const values = readFloat32File(dir, entry);
  const sizes = variablesOf(model).map((v) => v.size);
  if (values.length !== sizes.reduce((a, b) => a + b, 0))
    throw new CheckpointError(`${entry.file} does not match the model's variables`, dir);
  let offset = 0;
  return sizes.map((size) => values.slice(offset, (offset += size)));
}

/** Assigns weights (namedVariables order) to the model's variables. */
export function assignWeights(model: UnifiedModel, weights: readonly Float32Array[]): void {
  variablesOf(model).forEach((variable, i) => tf.tidy(() => variable.assign(tf.tensor(weights[i], variable.shape, 'float32'))));
}

/** Puts the EMA weights of the checkpoint in dir into `model` (for evaluation). */
export function assignEmaWeights(model: UnifiedModel, dir: string): void {
  assignWeights(model, readEmaWeights(dir, model));
}

/** Loads a checkpoint for evaluation with its EMA weights in place of the raw ones (an error if it has none). */
export function loadEmaCheckpoint(dir: string): LoadedCheckpoint {
  const loaded = loadCheckpoint(dir);
  assignEmaWeights(loaded.model, dir);
  return loaded;
}
