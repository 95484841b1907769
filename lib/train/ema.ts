// Exponential moving average of the weights (pretraining and SRUM): e <- decay * e + (1 - decay) * w after every
// update. The EMA is saved beside a checkpoint as ema-<step>.bin (namedVariables order, float32) and named with its
// sha256 in the manifest's data.ema, so a resumed run continues the same average and evaluation can load it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../backend/tf';
import { writeFileAtomic } from '../io';
import { CheckpointError, loadCheckpoint, readManifest, type LoadedCheckpoint } from '../model/checkpoint';
import { namedVariables, type UnifiedModel } from '../model/params';

/** What a manifest's data.ema holds. */
export interface EmaEntry {
  file: string;
  sha256: string;
  bytes: number;
  decay: number;
}

const variablesOf = (model: UnifiedModel): tf.Variable[] => namedVariables(model.params).map((n) => n.variable);

export class WeightEma {
  /** Starts at `weights` (a resumed average) or at the model's current weights. */
  constructor(private readonly model: UnifiedModel, readonly decay: number, public weights: Float32Array[] = variablesOf(model).map((v) => (v.dataSync() as Float32Array).slice())) {}

  /** One update after an optimizer step. */
  update(): void {
    const d = this.decay;
    variablesOf(this.model).forEach((v, i) => {
      const w = v.dataSync() as Float32Array;
      const e = this.weights[i];
      for (let j = 0; j < e.length; j++) e[j] = d * e[j] + (1 - d) * w[j];
    });
  }

  /** Writes ema-<step>.bin atomically into dir (before the manifest that will name it) and returns its entry. */
  write(dir: string, step: number): EmaEntry {
    const flat = new Float32Array(this.weights.reduce((n, w) => n + w.length, 0));
    this.weights.reduce((offset, w) => (flat.set(w, offset), offset + w.length), 0);
    const bytes = new Uint8Array(flat.buffer);
    const file = `ema-${step}.bin`;
    writeFileAtomic(path.join(dir, file), bytes);
    return { file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, decay: this.decay };
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
  const file = path.join(dir, entry.file);
  if (!fs.existsSync(file)) throw new CheckpointError(`missing file ${entry.file} named by the manifest`, dir);
  const bytes = new Uint8Array(fs.readFileSync(file));
  if (createHash('sha256').update(bytes).digest('hex') !== entry.sha256) throw new CheckpointError(`${entry.file} fails its sha256 check`, dir);
  const sizes = variablesOf(model).map((v) => v.size);
  if (bytes.length !== 4 * sizes.reduce((a, b) => a + b, 0)) throw new CheckpointError(`${entry.file} does not match the model's variables`, dir);
  const values = new Float32Array(bytes.buffer, 0, bytes.length / 4);
  let offset = 0;
  return sizes.map((size) => values.slice(offset, (offset += size)));
}

/** Assigns weights (namedVariables order) to the model's variables. */
export function assignWeights(model: UnifiedModel, weights: readonly Float32Array[]): void {
  variablesOf(model).forEach((variable, i) => tf.tidy(() => variable.assign(tf.tensor(weights[i], variable.shape, 'float32'))));
}

/** Loads a checkpoint for evaluation with its EMA weights in place of the raw ones (an error if it has none). */
export function loadEmaCheckpoint(dir: string): LoadedCheckpoint {
  const loaded = loadCheckpoint(dir);
  assignWeights(loaded.model, readEmaWeights(dir, loaded.model));
  return loaded;
}
