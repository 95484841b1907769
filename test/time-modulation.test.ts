// adaLN time modulation of the image tokens (ModelConfig.timeModulation): zero-initialised, so an untrained model
// computes exactly what the same seed without it computes; it never touches text-side tokens; training through it
// lowers the loss and leaks nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { randomNormal } from '../lib/backend/random';
import { modelDims, resolveModelConfig, type ModelConfig } from '../lib/model/config';
import { initModel, namedVariables, type UnifiedModel } from '../lib/model/params';
import { runBackbone } from '../lib/model/transformer';
import { makeRng } from '../lib/rng';
import { syntheticBatch } from '../bench/workload';
import { expectTrainsWithoutLeak } from './helpers/train-loop';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

function backbone(model: UnifiedModel, batch: ReturnType<typeof syntheticBatch>, n: number): Float32Array {
  const { imageTokens, patchDim } = modelDims(model.config);
  return tf.tidy(() => runBackbone(model, { textTokens: batch.textTokens, image: { xt: tf.tensor3d(batch.x0, [n, imageTokens, patchDim]), t: tf.tensor1d(Float32Array.from({ length: n }, (_, i) => (i + 1) / (n + 1))) } }).dataSync() as Float32Array);
}

function randomiseModulation(model: UnifiedModel): void {
  const rng = makeRng(11);
  for (const { name, variable } of namedVariables(model.params)) if (name.includes('timeMod')) tf.tidy(() => variable.assign(randomNormal(variable.shape, rng, { std: 0.5 })));
}

describe('timeModulation (adaLN on image tokens)', () => {
  const config = (extra: Partial<ModelConfig> = {}): ModelConfig => resolveModelConfig('tiny', { ...extra });

  it('an untrained modulation is the identity: the same seed gives the same backbone output as without it', () => {
    const plain = initModel(config(), 3);
    const modulated = initModel(config({ timeModulation: true }), 3);
    const batch = syntheticBatch(plain.config, 3, makeRng(4));
    expect(backbone(modulated, batch, 3)).toEqual(backbone(plain, batch, 3));
    expect(namedVariables(modulated.params).filter(({ name }) => name.endsWith('timeMod.w'))).toHaveLength(plain.config.nLayers);
  });

  it('leaves text-side tokens alone: with causal text, their states do not depend on the modulation weights', () => {
    const model = initModel(config({ timeModulation: true, textCausal: true }), 3);
    const batch = syntheticBatch(model.config, 2, makeRng(5));
    const textValues = model.config.maxTextTokens * model.config.dModel;
    const textRows = (out: Float32Array): Float32Array[] => [0, 1].map((b) => out.slice(b * (out.length / 2), b * (out.length / 2) + textValues));
    const before = backbone(model, batch, 2);
    randomiseModulation(model);
    const after = backbone(model, batch, 2);
    expect(textRows(after)).toEqual(textRows(before));
    expect(after).not.toEqual(before); // the image tokens do change
  });

  it('training through it lowers the loss on a fixed batch and leaks nothing', () => {
    const model = initModel(config({ timeModulation: true, convChannels: 4 }), 2);
    expectTrainsWithoutLeak(model, syntheticBatch(model.config, 3, makeRng(4)));
    const modWeights = namedVariables(model.params).find(({ name }) => name === 'blocks.0.timeMod.w')!.variable;
    expect(tf.tidy(() => tf.max(tf.abs(modWeights)).dataSync()[0])).toBeGreaterThan(0);
  });
});
