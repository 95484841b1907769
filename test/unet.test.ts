// The optional U-Net image path (unetChannels > 0): blocks <-> grid is space-to-depth and its inverse, an untrained
// decoder adds nothing to the head's velocity, understanding reads the image through the same encoder, training
// lowers the loss and leaks nothing, a checkpoint round-trips, and inconsistent options are errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { blocksToGrid, gridToBlocks } from '../lib/model/conv';
import { loadCheckpoint, saveCheckpoint } from '../lib/model/checkpoint';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { headWidth, initModel, patchEmbedWidth } from '../lib/model/params';
import { predictVelocity, runBackbone } from '../lib/model/transformer';
import { unetTokenWidth } from '../lib/model/unet';
import { makeRng } from '../lib/rng';
import { syntheticBatch } from '../bench/workload';
import { expectTrainsWithoutLeak } from './helpers/train-loop';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

const tinyUnet = () => resolveModelConfig('tiny', { unetChannels: 4 });

describe('U-Net image path', () => {
  it('gridToBlocks cuts a grid into row-major 2x2 blocks (inner dy, dx, c) and blocksToGrid inverts it', () => {
    const grid = tf.tensor4d(Float32Array.from({ length: 4 * 4 * 3 }, (_, i) => i), [1, 4, 4, 3]);
    const blocks = gridToBlocks(grid, 2); // [1, 4, 12]
    expect(blocks.shape).toEqual([1, 4, 12]);
    // Block 1 is the top-right 2x2: pixels (0,2), (0,3), (1,2), (1,3).
    const pixel = (y: number, x: number): number[] => [0, 1, 2].map((c) => (y * 4 + x) * 3 + c);
    expect(Array.from(blocks.dataSync().slice(12, 24))).toEqual([...pixel(0, 2), ...pixel(0, 3), ...pixel(1, 2), ...pixel(1, 3)]);
    const back = blocksToGrid(blocks, 2, 2);
    expect(Array.from(back.dataSync())).toEqual(Array.from(grid.dataSync()));
    tf.dispose([grid, blocks, back]);
  });

  it('the patch embedding reads the encoder features and the head feeds the decoder (widths)', () => {
    const config = tinyUnet();
    const { patchDim } = modelDims(config);
    expect(unetTokenWidth(config)).toBe(2 * 2 * 2 * 4);
    expect(patchEmbedWidth(config)).toBe(patchDim + 32);
    expect(headWidth(config)).toBe(patchDim + 32);
  });

  it('untrained, the decoder adds nothing (v = 0 from the zero head); understanding runs through the encoder; no leaks', () => {
    const model = initModel(tinyUnet(), 2);
    const batch = syntheticBatch(model.config, 3, makeRng(4));
    const { imageTokens, patchDim } = modelDims(model.config);
    const before = tf.memory().numTensors;
    const v = tf.tidy(() => predictVelocity(model, { xt: tf.tensor3d(batch.x0, [3, imageTokens, patchDim]), t: tf.fill([3], 0.5) as tf.Tensor1D, textTokens: batch.textTokens }));
    expect(v.shape).toEqual([3, imageTokens, patchDim]);
    expect(Math.max(...Array.from(v.dataSync(), Math.abs))).toBe(0);
    const hidden = tf.tidy(() => runBackbone(model, { textTokens: batch.textTokens, image: { xt: tf.tensor3d(batch.x0, [3, imageTokens, patchDim]), t: tf.zeros([3]) as tf.Tensor1D } }));
    expect(hidden.shape).toEqual([3, model.config.maxTextTokens + imageTokens, model.config.dModel]);
    tf.dispose([v, hidden]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains: the loss falls on a fixed batch and no tensor leaks', () => {
    const model = initModel(tinyUnet(), 2);
    expectTrainsWithoutLeak(model, syntheticBatch(model.config, 3, makeRng(4)));
  });

  it('a checkpoint round-trips the U-Net weights', () => {
    const model = initModel(tinyUnet(), 5);
    const dir = mkdtempSync(join(tmpdir(), 'unet-'));
    try {
      saveCheckpoint(dir, { model, step: 0, info: { preset: 'tiny', seed: 5, wall_time_s: 0, data: {}, final_losses: {}, command: 'test' } });
      const loaded = loadCheckpoint(dir).model;
      expect(Array.from(loaded.params.unet!.down.w.dataSync())).toEqual(Array.from(model.params.unet!.down.w.dataSync()));
      expect(loaded.config.unetChannels).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('inconsistent options are errors', () => {
    expect(() => resolveModelConfig('tiny', { unetChannels: 4, convChannels: 4 })).toThrow(/exclude each other/);
    expect(() => resolveModelConfig('tiny', { unetChannels: 4, patchSize: 1 })).toThrow(/even patchSize/);
    expect(() => resolveModelConfig('tiny', { unetChannels: -1 })).toThrow(/non-negative integer/);
  });
});
