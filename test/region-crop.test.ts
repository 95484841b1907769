// The region head's pixel reader (regionCropChannels): a window cut at image scale around the box (exact pixels and
// masks), an untrained reader changes nothing, a trained one changes region logits only, a head-only understanding
// step moves the heads and the reader but not the backbone and leaks nothing, and a later stage may add the reader
// over a checkpoint without it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { loadWeightsByName, saveCheckpoint } from '../lib/model/checkpoint';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { understandingLogits } from '../lib/model/heads';
import { AdamW } from '../lib/model/optimizer';
import { disposeModel, initModel, namedVariables, variablesOf, type QueryKind, type UnifiedModel } from '../lib/model/params';
import { patchify } from '../lib/model/patches';
import { CROP_SIDE, regionWindows } from '../lib/model/region-crop';
import { resolveTrainConfig } from '../lib/train/config';
import { understandingBatch } from '../lib/train/data';
import { pretrain } from '../lib/train/pretrain';
import { gradientStep, understandingLoss, understandingRows } from '../lib/train/head-losses';
import { encode } from '../lib/world/tokenizer';
import type { RgbImage } from '../lib/world/types';

const config = resolveModelConfig('tiny', { regionCropChannels: 4 });
const plain = resolveModelConfig('tiny');
const root = mkdtempSync(join(tmpdir(), 'region-crop-'));
const side = config.imageSize;

/** An image whose red channel holds each pixel's index / 1024 (so a window's pixels name where they came from). */
function indexImage(): RgbImage {
  const data = new Float32Array(side * side * 3);
  for (let i = 0; i < side * side; i++) data[3 * i] = i / 1024;
  return { width: side, height: side, data };
}

/** One row of each kind over the same image: a region box, a verdict text, a count text. */
function inputs(image: RgbImage) {
  const { imageTokens, patchDim } = modelDims(config);
  const kinds: QueryKind[] = ['region', 'verdict', 'count'];
  const textTokens = new Int32Array(3 * config.maxTextTokens);
  textTokens.set(encode('a red circle', config.maxTextTokens), config.maxTextTokens);
  textTokens.set(encode('a red circle', config.maxTextTokens), 2 * config.maxTextTokens);
  const boxes = new Float32Array([0.25, 0.25, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0]);
  const tokens = patchify([image, image, image], config);
  return { x0: tf.tensor3d(tokens, [3, imageTokens, patchDim]), textTokens, kinds, boxes };
}

const logitsOf = (model: UnifiedModel, image: RgbImage) => {
  const input = inputs(image);
  const out = tf.tidy(() => {
    const l = understandingLogits(model, input);
    return { region: l.region.shape.dataSync().slice(), verdict: l.verdict.dataSync().slice(), count: l.count.dataSync().slice() }; // region: the shape field's logits
  });
  input.x0.dispose();
  return out;
};

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('region pixel reader (regionCropChannels)', () => {
  it('cuts the window around the box at image scale, with inside-box and inside-image masks', () => {
    const image = indexImage();
    const x0 = tf.tensor3d(patchify([image], config), [1, modelDims(config).imageTokens, modelDims(config).patchDim]);
    const box = new Float32Array([0, 0, 8 / side, 8 / side]); // centre (4, 4): the window starts at (-6, -6)
    const windows = regionWindows(x0, box, config);
    expect(windows.shape).toEqual([1, CROP_SIDE, CROP_SIDE, 5]);
    const values = windows.dataSync();
    const at = (i: number, j: number, c: number): number => values[(i * CROP_SIDE + j) * 5 + c];
    const [red, inBox, inImage] = [0, 3, 4];
    expect(at(6, 6, red)).toBeCloseTo(-1, 5); // pixel (0, 0), value 0, in [-1, 1]
    expect((at(6 + 3, 6 + 5, red) + 1) * 512).toBeCloseTo(3 * side + 5, 2); // pixel row 3, column 5 (value index / 1024)
    expect([at(0, 0, red), at(0, 0, inImage), at(6, 6, inImage)]).toEqual([0, 0, 1]); // outside the image: 0
    expect([at(6, 6, inBox), at(13, 13, inBox), at(14, 14, inBox), at(5, 6, inBox)]).toEqual([1, 1, 0, 0]);
    tf.dispose([x0, windows]);
  });

  it('an untrained reader changes nothing; a trained one moves the region logits only', () => {
    const image = indexImage();
    const without = initModel(plain, 3);
    const model = initModel(config, 3);
    const [a, b] = [logitsOf(without, image), logitsOf(model, image)];
    expect(Array.from(b.region)).toEqual(Array.from(a.region));
    const out = model.params.understanding.crop!.out.w;
    tf.tidy(() => out.assign(tf.randomNormal(out.shape, 0, 0.5, 'float32', 5)));
    const c = logitsOf(model, image);
    expect(Array.from(c.region)).not.toEqual(Array.from(a.region));
    expect(Array.from(c.verdict)).toEqual(Array.from(a.verdict));
    expect(Array.from(c.count)).toEqual(Array.from(a.count));
    disposeModel(without);
    disposeModel(model);
  });

  it('a head-only understanding step moves the heads and the reader, not the backbone, and leaks nothing', () => {
    const model = initModel(config, 4);
    const named = namedVariables(model.params);
    const before = new Map(named.map(({ name, variable }) => [name, variable.dataSync().slice()]));
    const optimizer = new AdamW(variablesOf(model), { learningRate: 1e-2 });
    const batch = understandingBatch(0, { batchSize: 4, seed: 2, config });
    const rows = understandingRows(batch, config.maxTextTokens, ['region']);
    const step = (): void => {
      gradientStep({
        optimizer,
        learningRate: 1e-2,
        loss: () => understandingLoss(model, rows, undefined, { verdict: 0, count: 0 }, { detach: true }),
      });
    };
    step();
    const tensors = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(tensors);
    const moved = named
      .filter(({ name, variable }) => Array.from(variable.dataSync()).some((v, i) => v !== before.get(name)![i]))
      .map(({ name }) => name);
    expect(moved).toContain('understanding.crop.out.w');
    expect(moved).toContain('understanding.crop.conv1.w');
    expect(moved).toContain('understanding.region.w');
    expect(moved.filter((name) => !name.startsWith('understanding.'))).toEqual([]);
    expect(moved).not.toContain('understanding.taskEmbed');
    disposeModel(model);
  });

  it('a later stage adds the reader over a checkpoint without it; loading it as is stays an error', () => {
    const without = initModel(plain, 6);
    const dir = join(root, 'plain');
    saveCheckpoint(dir, {
      model: without,
      step: 1,
      info: { preset: 'tiny', seed: 6, wall_time_s: 0, data: {}, final_losses: {}, command: 'test' },
    });
    const model = initModel(config, 6);
    const { fresh } = loadWeightsByName(model, dir);
    expect(fresh.every((name) => name.startsWith('understanding.crop.'))).toBe(true);
    expect(fresh.length).toBe(10);
    const image = indexImage();
    expect(Array.from(logitsOf(model, image).region)).toEqual(Array.from(logitsOf(without, image).region));
    disposeModel(without);
    disposeModel(model);
  });

  it('a head-only pretraining stage over a checkpoint without the reader moves the heads and the reader only', async () => {
    const first = await pretrain({
      preset: 'tiny',
      outDir: join(root, 'stage1'),
      seed: 3,
      quiet: true,
      train: { steps: 2, checkpointEvery: 2, logEvery: 1 },
    });
    const before = new Map(namedVariables(first.model.params).map(({ name, variable }) => [name, variable.dataSync().slice()]));
    disposeModel(first.model);
    const stage = await pretrain({
      preset: 'tiny',
      outDir: join(root, 'stage2'),
      seed: 4,
      quiet: true,
      initFrom: join(root, 'stage1'),
      model: { regionCropChannels: 4 },
      train: {
        steps: 3,
        checkpointEvery: 3,
        logEvery: 1,
        generationWeight: 0,
        planWeight: 0,
        parseWeight: 0,
        understandingHeadOnly: true,
        shapeMorph: 0.5,
      },
    });
    const moved = namedVariables(stage.model.params)
      .filter(({ name, variable }) => before.get(name)?.some((v, i) => v !== variable.dataSync()[i]) ?? true)
      .map(({ name }) => name);
    expect(moved.some((name) => name.startsWith('understanding.crop.'))).toBe(true);
    expect(moved.filter((name) => !name.startsWith('understanding.'))).toEqual([]);
    disposeModel(stage.model);
    expect(() => resolveTrainConfig('tiny', { understandingHeadOnly: true })).toThrow(/parseWeight = 0/);
  }, 60_000);
});
