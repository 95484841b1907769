// Latent generation (latentChannels > 0): the autoencoder's shapes and resumable training, a latent model's
// generation tokens, frozen autoencoder weights under training, no leaks, determinism and checkpoint round trips.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { generateImages } from '../lib/generate/generate';
import { autoencoderVariables, decodeLatent, disposeAutoencoder, DEFAULT_AUTOENCODER_CONFIG, encodeLatent, initAutoencoder } from '../lib/model/autoencoder';
import { loadCheckpoint, saveCheckpoint } from '../lib/model/checkpoint';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { generationTokens, imagesFromGenerationTokens } from '../lib/model/image-tokens';
import { disposeModel, initModel, modelAutoencoder } from '../lib/model/params';
import { predictVelocity } from '../lib/model/transformer';
import { makeRng } from '../lib/rng';
import { assignAutoencoderWeights, readAutoencoderManifest, trainAutoencoder } from '../lib/train/autoencoder';
import { pretrain } from '../lib/train/pretrain';
import { renderScene } from '../lib/world/render';
import { readJsonl } from '../lib/io';
import { generationBatch } from '../lib/train/data';
import { syntheticBatch } from '../bench/workload';
import { expectTrainsWithoutLeak } from './helpers/train-loop';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'srum-latent-'));
  dirs.push(dir);
  return dir;
};
const tinyTrain = { steps: 6, batchSize: 4, statsImages: 64, checkpointEvery: 3, learningRate: 2e-3 };
let trainedAe = '';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  trainedAe = tempDir();
  trainAutoencoder({ out: trainedAe, train: tinyTrain, quiet: true });
});
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const tinyLatent = () => resolveModelConfig('tiny', { latentChannels: DEFAULT_AUTOENCODER_CONFIG.latentChannels });

describe('autoencoder', () => {
  it('encodes 32x32 images to bounded 8x8xL latents and decodes them back, leaking nothing', () => {
    const ae = initAutoencoder(DEFAULT_AUTOENCODER_CONFIG, 1);
    const before = tf.memory().numTensors;
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1) as tf.Tensor4D;
    const z = encodeLatent(ae, x);
    expect(z.shape).toEqual([2, 8, 8, DEFAULT_AUTOENCODER_CONFIG.latentChannels]);
    expect(Math.max(...Array.from(z.dataSync()).map(Math.abs))).toBeLessThan(1);
    const back = decodeLatent(ae, z);
    expect(back.shape).toEqual([2, 32, 32, 3]);
    tf.dispose([x, z, back]);
    expect(tf.memory().numTensors).toBe(before);
    disposeAutoencoder(ae);
  });

  it('training lowers the reconstruction loss, records latent statistics, and a killed run resumes to the same weights', () => {
    const manifest = readAutoencoderManifest(trainedAe);
    expect(manifest.finished).toBe(true);
    expect(manifest.step).toBe(6);
    const killed = tempDir();
    expect(() => trainAutoencoder({ out: killed, train: tinyTrain, quiet: true, onStep: (s) => { if (s === 5) throw new Error('killed'); } })).toThrow('killed');
    expect(readAutoencoderManifest(killed).step).toBe(3); // the last checkpoint
    const resumed = trainAutoencoder({ out: killed, train: tinyTrain, quiet: true });
    expect(resumed.weights.sha256).toBe(manifest.weights.sha256);
    const losses = readJsonl<{ loss: number }>(join(trainedAe, 'log.jsonl')).map((r) => r.loss);
    expect(losses).toHaveLength(6);
    expect(losses[5]).toBeLessThan(losses[0]);
    const ae = initAutoencoder(manifest.config, 0);
    assignAutoencoderWeights(ae, trainedAe, manifest);
    expect(Array.from(ae.params.latentStd.dataSync()).every((s) => s > 0 && s !== 1)).toBe(true);
    disposeAutoencoder(ae);
  });

  it('a missing or unfinished autoencoder is a clear error', async () => {
    await expect(pretrain({ preset: 'tiny', outDir: tempDir(), model: { latentChannels: 8 }, autoencoder: join(tempDir(), 'none'), resume: false, quiet: true, train: { steps: 1 } })).rejects.toThrow(/autoencoder manifest/);
  });
});

describe('latent model', () => {
  it('options that work on pixel tokens are refused with latents', () => {
    expect(() => resolveModelConfig('tiny', { latentChannels: 8, patchSize: 8 })).toThrow(/patchSize 4/);
    expect(() => resolveModelConfig('tiny', { latentChannels: 8, selfCondition: true })).toThrow(/selfCondition/);
  });

  it('generation tokens are L-wide latent cells on the 8x8 token grid and round-trip through the decoder', () => {
    const model = initModel(tinyLatent(), 0);
    assignAutoencoderWeights(modelAutoencoder(model), trainedAe);
    const { imageTokens, generationDim } = modelDims(model.config);
    expect([imageTokens, generationDim]).toEqual([64, 8]);
    const images = generationBatch(0, { batchSize: 2, seed: 1, config: model.config }).scenes.map(renderScene);
    const tokens = generationTokens(model, images);
    expect(tokens.length).toBe(2 * 64 * 8);
    const decoded = imagesFromGenerationTokens(model, tokens);
    expect(decoded.map((im) => [im.width, im.height])).toEqual([[32, 32], [32, 32]]);
    const xt = tf.tensor3d(tokens, [2, 64, 8]);
    const v = predictVelocity(model, { xt, t: tf.tensor1d([0.5, 0.5]), textTokens: syntheticBatch(model.config, 2, makeRng(1)).textTokens });
    expect(v.shape).toEqual([2, 64, 8]);
    expect(Math.max(...Array.from(v.dataSync()).map(Math.abs))).toBe(0); // zero-initialised latent head
    tf.dispose([xt, v]);
    disposeModel(model);
  });

  it('trains without leaking, and training never moves the frozen autoencoder', () => {
    const model = initModel(tinyLatent(), 0);
    assignAutoencoderWeights(modelAutoencoder(model), trainedAe);
    const frozen = autoencoderVariables(modelAutoencoder(model)).map((v) => v.dataSync().slice());
    const embedBefore = model.params.latent!.embed.w.dataSync().slice();
    expectTrainsWithoutLeak(model, syntheticBatch(model.config, 4, makeRng(2)));
    autoencoderVariables(modelAutoencoder(model)).forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(frozen[i])));
    expect(Array.from(model.params.latent!.embed.w.dataSync())).not.toEqual(Array.from(embedBefore));
    disposeModel(model);
  });

  it('sampling leaks nothing, repeats itself for a seed, and a checkpoint carries the autoencoder', () => {
    const model = initModel(tinyLatent(), 3);
    assignAutoencoderWeights(modelAutoencoder(model), trainedAe);
    tf.tidy(() => model.params.latent!.head.b.assign(tf.randomNormal([8], 0, 0.5, 'float32', 4))); // a non-zero velocity
    const prompts = ['a red circle', 'a blue square on the left of a green triangle'];
    const before = tf.memory().numTensors;
    const first = generateImages(model, prompts, { seed: 5, steps: 4 });
    expect(tf.memory().numTensors).toBe(before);
    const again = generateImages(model, prompts, { seed: 5, steps: 4 });
    expect(Array.from(again[1].data)).toEqual(Array.from(first[1].data));
    const dir = tempDir();
    saveCheckpoint(dir, { model, step: 0, info: { preset: 'tiny', seed: 3, command: 'test', wall_time_s: 0, data: {}, final_losses: {} } });
    const loaded = loadCheckpoint(dir, { expectedConfig: model.config }).model;
    const reloaded = generateImages(loaded, prompts, { seed: 5, steps: 4 });
    expect(Array.from(reloaded[0].data)).toEqual(Array.from(first[0].data));
    disposeModel(model);
    disposeModel(loaded);
  });

  it('a latent pretraining run freezes the given autoencoder into the model and records it', async () => {
    const out = tempDir();
    const result = await pretrain({ preset: 'tiny', outDir: out, model: { latentChannels: 8 }, autoencoder: trainedAe, resume: false, quiet: true, train: { steps: 2 } });
    expect(result.manifest.data.autoencoder).toMatchObject({ dir: trainedAe, step: 6 });
    const shipped = readAutoencoderManifest(trainedAe);
    const ae = modelAutoencoder(result.model);
    const reference = initAutoencoder(ae.config, 0);
    assignAutoencoderWeights(reference, trainedAe, shipped);
    autoencoderVariables(ae).forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(autoencoderVariables(reference)[i].dataSync())));
    disposeAutoencoder(reference);
    disposeModel(result.model);
  });
});
