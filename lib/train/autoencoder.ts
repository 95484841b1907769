// Training the latent autoencoder (lib/model/autoencoder.ts) on world renders of the training split, before the
// unified model's pretraining: loss = mean (decode(z + sigma * n) - x)^2 with z = encode(x), sigma ~ U(0, noiseMax)
// per image, so latents near a training image's decode to that image. Resumable: a checkpoint every
// `checkpointEvery` steps holds the weights, AdamW's moments and the step; a stopped run resumes bit for bit.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../backend/tf';
import { randomNormal } from '../backend/random';
import { makeRng } from '../rng';
import { appendJsonl, writeJsonAtomic } from '../io';
import { Progress } from '../progress';
import { renderScene } from '../world/render';
import {
  autoencoderVariables,
  disposeAutoencoder,
  autoencoderWeights,
  decodeLatent,
  DEFAULT_AUTOENCODER_CONFIG,
  encodeLatent,
  imagesToTensor,
  initAutoencoder,
  type Autoencoder,
  type AutoencoderConfig,
} from '../model/autoencoder';
import { CheckpointError, gitCommit, readFloat32File, restoreOptimizer, writeFloat32File, type Float32FileEntry } from '../model/checkpoint';
import { LATENT_DOWNSAMPLE, resolveModelConfig } from '../model/config';
import { AdamW } from '../model/optimizer';
import { generationBatch } from './data';

export const AUTOENCODER_FORMAT = 'srum-autoencoder';
/** Where the shipped autoencoder lives (latent models load it when pretraining starts). */
export const DEFAULT_AUTOENCODER_DIR = 'data/autoencoder';

export interface AutoencoderTrainConfig {
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Largest standard deviation of the noise added to the (tanh-bounded) latent before decoding. */
  noiseMax: number;
  /** Training images for the per-channel latent mean and standard deviation. */
  statsImages: number;
  checkpointEvery: number;
  seed: number;
}

export const DEFAULT_AUTOENCODER_TRAIN: AutoencoderTrainConfig = {
  steps: 2000,
  batchSize: 32,
  learningRate: 2e-3,
  noiseMax: 0.2,
  statsImages: 1024,
  checkpointEvery: 100,
  seed: 0,
};

export interface AutoencoderManifest {
  format: typeof AUTOENCODER_FORMAT;
  version: 1;
  config: AutoencoderConfig;
  train: AutoencoderTrainConfig;
  step: number;
  /** True once the latent statistics are computed (training finished). */
  finished: boolean;
  wallSeconds: number;
  commit: string;
  lastLoss: number;
  weights: Float32FileEntry;
  optimizer?: { stepCount: number; first: Float32FileEntry; second: Float32FileEntry };
  command?: string;
}

/** Training images of batch k: renders of the generation batch's scenes (same stream as pretraining's). */
function trainingImages(k: number, batchSize: number, seed: number): tf.Tensor4D {
  const config = resolveModelConfig('base');
  const { scenes } = generationBatch(k, { batchSize, seed, config });
  return imagesToTensor(scenes.map(renderScene), config.imageSize);
}

/** Reconstruction loss of one batch with decoder noise. Scalar. */
export function autoencoderLoss(ae: Autoencoder, x: tf.Tensor4D, noiseMax: number, rng: ReturnType<typeof makeRng>): tf.Scalar {
  return tf.tidy(() => {
    const z = encodeLatent(ae, x);
    const sigma = tf.tensor4d(Float32Array.from({ length: x.shape[0] }, () => noiseMax * rng.next()), [x.shape[0], 1, 1, 1]);
    const noisy = tf.add(z, tf.mul(sigma, randomNormal(z.shape, rng))) as tf.Tensor4D;
    return tf.mean(tf.squaredDifference(decodeLatent(ae, noisy), x)) as tf.Scalar;
  });
}

export function readAutoencoderManifest(dir: string): AutoencoderManifest {
  const file = path.join(dir, 'manifest.json');
  if (!fs.existsSync(file)) throw new CheckpointError('no autoencoder manifest.json', dir);
  let manifest: AutoencoderManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as AutoencoderManifest;
  } catch {
    throw new CheckpointError('autoencoder manifest.json is not valid JSON', dir);
  }
  if (manifest.format !== AUTOENCODER_FORMAT) throw new CheckpointError(`not an autoencoder (format ${JSON.stringify(manifest.format)})`, dir);
  return manifest;
}

/** Values of every autoencoder variable (autoencoderVariables order) into `ae`, checked against the manifest. */
export function assignAutoencoderWeights(ae: Autoencoder, dir: string, manifest = readAutoencoderManifest(dir)): void {
  if (JSON.stringify(manifest.config) !== JSON.stringify(ae.config)) throw new CheckpointError(`autoencoder config mismatch: file ${JSON.stringify(manifest.config)}, model ${JSON.stringify(ae.config)}`, dir);
  const values = readFloat32File(dir, manifest.weights);
  const variables = autoencoderVariables(ae);
  const total = variables.reduce((sum, v) => sum + v.size, 0);
  if (values.length !== total) throw new CheckpointError(`autoencoder weights hold ${values.length} values, expected ${total}`, dir);
  let offset = 0;
  for (const v of variables) {
    tf.tidy(() => v.assign(tf.tensor(values.subarray(offset, offset + v.size), v.shape, 'float32')));
    offset += v.size;
  }
}

/** The manifest of a finished autoencoder (latent statistics computed); an unfinished one is an error. */
export function readFinishedAutoencoder(dir: string): AutoencoderManifest {
  const manifest = readAutoencoderManifest(dir);
  if (!manifest.finished) throw new CheckpointError(`autoencoder training stopped at step ${manifest.step} of ${manifest.train.steps} (resume it first)`, dir);
  return manifest;
}

/** A finished autoencoder from its folder (frozen unless `trainable`). */
export function loadAutoencoder(dir: string, trainable = false): Autoencoder {
  const manifest = readFinishedAutoencoder(dir);
  const ae = initAutoencoder(manifest.config, 0, trainable);
  assignAutoencoderWeights(ae, dir, manifest);
  return ae;
}

/** Per-channel mean and std of the latents of `count` training images (a stream of its own). */
function latentStatistics(ae: Autoencoder, count: number, seed: number): { mean: Float32Array; std: Float32Array } {
  const L = ae.config.latentChannels;
  const sum = new Float64Array(L);
  const sumSquares = new Float64Array(L);
  let n = 0;
  for (let k = 0; n < count; k++) {
    const values = tf.tidy(() => encodeLatent(ae, trainingImages(1_000_000 + k, 64, seed)).dataSync());
    for (let i = 0; i < values.length; i++) {
      sum[i % L] += values[i];
      sumSquares[i % L] += values[i] * values[i];
    }
    n += 64;
  }
  const cells = n * (ae.config.imageSize / LATENT_DOWNSAMPLE) ** 2; // latent cells seen per channel
  const mean = Float32Array.from(sum, (s) => s / cells);
  const std = Float32Array.from(sumSquares, (s, c) => Math.sqrt(Math.max(s / cells - mean[c] ** 2, 1e-8)));
  return { mean, std };
}

export interface TrainAutoencoderOptions {
  out: string;
  train?: Partial<AutoencoderTrainConfig>;
  config?: Partial<AutoencoderConfig>;
  quiet?: boolean;
  command?: string;
  /** Called after every step; tests throw here to simulate a kill between checkpoints. */
  onStep?: (step: number) => void;
}

/** Trains (or resumes) an autoencoder into `out`; returns the finished manifest. */
export function trainAutoencoder(options: TrainAutoencoderOptions): AutoencoderManifest {
  const config: AutoencoderConfig = { ...DEFAULT_AUTOENCODER_CONFIG, ...options.config };
  const train: AutoencoderTrainConfig = { ...DEFAULT_AUTOENCODER_TRAIN, ...options.train };
  const ae = initAutoencoder(config, train.seed, true);
  const weights = autoencoderWeights(ae);
  const optimizer = new AdamW(weights, { learningRate: train.learningRate });
  let step = 0;
  let wallSeconds = 0;
  let lastLoss = NaN;
  const manifestFile = path.join(options.out, 'manifest.json');
  if (fs.existsSync(manifestFile)) {
    const saved = readAutoencoderManifest(options.out);
    if (saved.finished) {
      disposeAutoencoder(ae);
      return saved;
    }
    assignAutoencoderWeights(ae, options.out, saved);
    if (saved.optimizer !== undefined) {
      const split = (all: Float32Array): Float32Array[] => {
        let offset = 0;
        return weights.map((v) => all.slice(offset, (offset += v.size)));
      };
      const { stepCount, first, second } = saved.optimizer;
      restoreOptimizer(optimizer, { stepCount, firstMoments: split(readFloat32File(options.out, first)), secondMoments: split(readFloat32File(options.out, second)) });
    }
    ({ step, wallSeconds, lastLoss } = saved);
  }
  fs.mkdirSync(options.out, { recursive: true });
  const save = (finished: boolean): AutoencoderManifest => {
    const state = optimizer.state();
    const manifest: AutoencoderManifest = {
      format: AUTOENCODER_FORMAT,
      version: 1,
      config,
      train,
      step,
      finished,
      wallSeconds,
      commit: gitCommit(),
      lastLoss,
      weights: writeFloat32File(options.out, 'weights.bin', autoencoderVariables(ae).map((v) => v.dataSync() as Float32Array)),
      ...(finished ? {} : { optimizer: { stepCount: state.stepCount, first: writeFloat32File(options.out, 'adam-m.bin', state.firstMoments), second: writeFloat32File(options.out, 'adam-v.bin', state.secondMoments) } }),
      ...(options.command === undefined ? {} : { command: options.command }),
    };
    writeJsonAtomic(manifestFile, manifest);
    return manifest;
  };
  const progress = new Progress({ label: 'autoencoder', total: train.steps - step, unit: 'step', quiet: options.quiet });
  while (step < train.steps) {
    const started = Date.now();
    const rng = makeRng(train.seed).fork(`autoencoder-step:${step}`);
    const { loss, grads } = tf.tidy(() => {
      const x = trainingImages(step, train.batchSize, train.seed);
      const { value, grads: gradMap } = tf.variableGrads(() => autoencoderLoss(ae, x, train.noiseMax, rng), weights);
      return { loss: value, grads: weights.map((v) => gradMap[v.name]) };
    });
    const warm = Math.min(1, (step + 1) / 50);
    optimizer.applyGradients(grads, train.learningRate * warm);
    lastLoss = loss.dataSync()[0];
    tf.dispose([loss, ...grads]);
    if (!Number.isFinite(lastLoss)) throw new Error(`autoencoder: loss is ${lastLoss} at step ${step} (lower --lr)`);
    step += 1;
    wallSeconds += (Date.now() - started) / 1000;
    appendJsonl(path.join(options.out, 'log.jsonl'), { step, loss: lastLoss });
    progress.tick(1, { loss: lastLoss.toFixed(5) });
    if (step % train.checkpointEvery === 0 && step < train.steps) save(false);
    options.onStep?.(step);
  }
  const { mean, std } = latentStatistics(ae, train.statsImages, train.seed);
  ae.params.latentMean.assign(tf.tensor1d(mean));
  ae.params.latentStd.assign(tf.tensor1d(std));
  for (const file of ['adam-m.bin', 'adam-v.bin']) fs.rmSync(path.join(options.out, file), { force: true });
  const manifest = save(true);
  disposeAutoencoder(ae);
  return manifest;
}
