// The pool of generated-like understanding images (lib/train/generated-pool.ts): labels come from the scene through
// the proposer's regions; save/load is exact; mixing replaces only the first images; a run with a pool resumes to
// the same weights after a kill and refuses to resume without its pool.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../lib/backend/select';
import { SHAPES, COLORS } from '../lib/world/types';
import { NONE_SHAPE } from '../lib/model/classes';
import { resolveModelConfig } from '../lib/model/config';
import { disposeModel, initModel, namedVariables, type UnifiedModel } from '../lib/model/params';
import { makeRng } from '../lib/rng';
import { resolveTrainConfig } from '../lib/train/config';
import { generationBatch, understandingBatch } from '../lib/train/data';
import {
  buildGeneratedPool,
  generatedQueries,
  loadGeneratedPool,
  mixGenerated,
  poolT0s,
  saveGeneratedPool,
  type GeneratedPool,
} from '../lib/train/generated-pool';
import { pretrain, type PretrainOptions } from '../lib/train/pretrain';
import { renderScene } from '../lib/world/render';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-pool-'));
const config = resolveModelConfig('tiny');
const run = (name: string): PretrainOptions => ({
  preset: 'tiny',
  outDir: path.join(root, name),
  seed: 5,
  quiet: true,
  train: { steps: 4, batchSize: 2, checkpointEvery: 2, logEvery: 2, parseWeight: 0, generatedShare: 0.5, generatedPool: 6 },
});
const weights = (model: UnifiedModel): number[] => namedVariables(model.params).flatMap(({ variable }) => Array.from(variable.dataSync()));

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('generated pool', () => {
  it('labels each proposer region of a render with the scene object under it', () => {
    const batch = generationBatch(0, { batchSize: 8, seed: 1, config });
    let objects = 0;
    batch.scenes.forEach((scene) => {
      const queries = generatedQueries(renderScene(scene), scene);
      expect(queries.length).toBeGreaterThan(0);
      for (const q of queries) {
        if (q.shape === NONE_SHAPE) continue;
        objects += 1;
        // The region's box centre lies inside the bounding square of an object with these labels.
        const [cx, cy] = [((q.box[0] + q.box[2]) / 2) * scene.width, ((q.box[1] + q.box[3]) / 2) * scene.height];
        const owner = scene.objects.find(
          (o) =>
            SHAPES[q.shape] === o.shape &&
            COLORS[q.color] === o.color &&
            Math.abs(o.cx - cx) <= o.diameter / 2 &&
            Math.abs(o.cy - cy) <= o.diameter / 2,
        );
        expect(owner).toBeDefined();
      }
    });
    expect(objects).toBeGreaterThanOrEqual(8);
  });

  it('an empty image gives no query; a mismatched size is an error', () => {
    const scene = generationBatch(1, { batchSize: 1, seed: 2, config }).scenes[0];
    const blank = { width: scene.width, height: scene.height, data: new Float32Array(scene.width * scene.height * 3).fill(1) };
    expect(generatedQueries(blank, scene)).toEqual([]);
    expect(() => generatedQueries({ width: 8, height: 8, data: new Float32Array(192) }, scene)).toThrow(/8x8/);
  });

  it('resamples from one given noise level (generatedT0), which stays nearer the renders than the default levels', () => {
    const model = initModel(config, 2);
    const renders = generationBatch(1_000_000, { batchSize: 4, seed: 8, config }).scenes.map(renderScene); // the pool's first batch
    const distance = (pool: GeneratedPool): number =>
      pool.images.reduce((sum, im, i) => sum + im.data.reduce((s, v, j) => s + Math.abs(v - renders[i].data[j]), 0), 0);
    const low = buildGeneratedPool(model, { n: 4, seed: 8, t0s: poolT0s(0.05) });
    const usual = buildGeneratedPool(model, { n: 4, seed: 8 });
    expect(low.t0s).toEqual([0.05]);
    expect(usual.t0s).toEqual([0.4, 0.5, 0.6]);
    expect(poolT0s(0)).toEqual(usual.t0s); // generatedT0 = 0: the default levels
    expect(distance(low)).toBeLessThan(distance(usual) / 2);
    disposeModel(model);
  });

  it('saves and loads exactly; a torn pair of files is a clear error', () => {
    const scenes = generationBatch(2, { batchSize: 3, seed: 3, config }).scenes;
    const pool: GeneratedPool = { images: scenes.map(renderScene), queries: scenes.map((s) => generatedQueries(renderScene(s), s)) };
    const dir = path.join(root, 'saved');
    saveGeneratedPool(dir, pool);
    const loaded = loadGeneratedPool(dir);
    expect(loaded?.queries).toEqual(pool.queries);
    expect(loaded?.t0s).toEqual([0.4, 0.5, 0.6]); // what the file records for a pool built at the default levels
    expect(loaded?.images.map((im) => Array.from(im.data))).toEqual(pool.images.map((im) => Array.from(im.data)));
    expect(loadGeneratedPool(path.join(root, 'nothing-here'))).toBeUndefined();
    fs.truncateSync(path.join(dir, 'generated-pool.bin'), 100);
    expect(() => loadGeneratedPool(dir)).toThrow(/delete both/);
  });

  it('mixes pool images into the first images of a batch only, with their text targets masked', () => {
    const scenes = generationBatch(3, { batchSize: 2, seed: 4, config }).scenes;
    const pool: GeneratedPool = { images: scenes.map(renderScene), queries: scenes.map((s) => generatedQueries(renderScene(s), s)) };
    const plain = understandingBatch(0, { batchSize: 4, seed: 6, config });
    const mixed = understandingBatch(0, { batchSize: 4, seed: 6, config });
    mixGenerated(mixed, pool, 0.5, makeRng(1), config);
    const perImage = plain.x0.length / 4;
    expect(Array.from(mixed.x0.subarray(2 * perImage))).toEqual(Array.from(plain.x0.subarray(2 * perImage)));
    expect(Array.from(mixed.x0.subarray(0, perImage))).not.toEqual(Array.from(plain.x0.subarray(0, perImage)));
    expect(Array.from(mixed.verdict.label.subarray(0, 2))).toEqual([-1, -1]);
    expect(Array.from(mixed.verdict.label.subarray(2))).toEqual(Array.from(plain.verdict.label.subarray(2)));
    expect(() => mixGenerated(mixed, { images: pool.images, queries: [[], []] }, 0.5, makeRng(1), config)).toThrow(/no pool image/);
  });

  it('a run with a pool, killed and resumed, ends in the uninterrupted weights; without its pool it will not resume', async () => {
    const full = await pretrain(run('full'));
    const reference = weights(full.model);
    disposeModel(full.model);
    expect(loadGeneratedPool(path.join(root, 'full'))?.images).toHaveLength(6);
    await expect(
      pretrain({
        ...run('killed'),
        onStep: (step) => {
          if (step === 3) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const resumed = await pretrain(run('killed'));
    expect(resumed.startStep).toBe(2);
    expect(weights(resumed.model)).toEqual(reference);
    disposeModel(resumed.model);
    fs.rmSync(path.join(root, 'killed', 'generated-pool.json'));
    await expect(pretrain(run('killed'))).rejects.toThrow(/no pool of 6 generated images/);
    // The pool records what it was built with: resuming with another noise level is refused, a fresh start rebuilds.
    const lowT0 = (name: string): PretrainOptions => ({ ...run(name), train: { ...run(name).train, generatedT0: 0.2 } });
    await expect(pretrain(lowT0('full'))).rejects.toThrow(/built with another t0s/);
    const fresh = await pretrain({ ...lowT0('full'), resume: false });
    disposeModel(fresh.model);
    expect(loadGeneratedPool(path.join(root, 'full'))?.builtWith).toMatchObject({ n: 6, seed: 5, t0s: [0.2], from: 'scratch' });
    expect(() => resolveTrainConfig('tiny', { generatedShare: 0.5 })).toThrow(/parseWeight = 0/);
    expect(() => resolveTrainConfig('tiny', { generatedShare: 1, parseWeight: 0 })).toThrow(/\[0, 1\)/);
  }, 120_000);
});
