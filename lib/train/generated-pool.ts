// Generated-like understanding images. The region head learns on renders, whose outlines are crisp; the judge reads
// it on the model's generations, whose outlines are soft and whose corners wander, and there it disagreed with the
// evaluator mostly by calling a generated square a circle. So a later stage can mix in the model's own resamplings
// of rendered train scenes (SDEdit: noise the render to t0, sample back with the scene's prompt), labelled from the
// scene, never from the evaluator: each proposer region (the judge's own boxes) takes the labels of the scene object
// whose visible pixels cover most of it, or background's when none covers half. The pool is built once from the
// starting weights and saved beside the run, so a resumed run reads the same images (TrainConfig.generatedShare).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateImages } from '../generate/generate';
import { writeFileAtomic, writeJsonAtomic } from '../io';
import type { ModelConfig } from '../model/config';
import type { UnifiedModel } from '../model/params';
import { patchCoverage, patchify } from '../model/patches';
import { objectRegions } from '../regions/objects';
import type { Rng } from '../rng';
import { renderScene } from '../world/render';
import type { RgbImage, Scene } from '../world/types';
import { generationBatch, type UnderstandingBatch } from './data';
import { BACKGROUND_LABELS, objectLabels, visibleMask, type RegionQuery } from './queries';

/** Noise levels the renders are resampled from, in turn: low enough that the scene's objects survive (sdedit.ts). */
export const POOL_T0S = [0.4, 0.5, 0.6] as const;
/** Generation batches of the pool start here, far past any pretraining step, so their scenes are not trained on. */
const POOL_BATCH_OFFSET = 1_000_000;
/** Sampler steps of the pool's resamplings, fixed so a pretraining recipe reproduces whatever the sampler default. */
const POOL_SAMPLING_STEPS = 25;
const POOL_BATCH = 16;
/** Share of a region's pixels a scene object must cover to give it its labels. */
const MIN_COVER = 0.5;
const POOL_JSON = 'generated-pool.json';
const POOL_BIN = 'generated-pool.bin';

export interface GeneratedPool {
  images: RgbImage[];
  /** Per image, one labelled query per proposer region (empty when the proposer found nothing). */
  queries: RegionQuery[][];
  /** The noise levels the renders were resampled from (default POOL_T0S). */
  t0s?: readonly number[];
  /** What the pool was built with, as saved (older pools have none). */
  builtWith?: PoolRecipe;
}

/** What decides a pool's images besides the weights' values; a saved pool is reused only for an equal recipe. */
export interface PoolRecipe {
  n: number;
  seed: number;
  t0s: readonly number[];
  heldOutScenes: boolean;
  /** The weights it was sampled from: the --init-from directory and step, or 'scratch'. */
  from: string;
}

/** The fields where two recipes differ, e.g. ['t0s'] (empty when equal). */
export function recipeDifferences(a: PoolRecipe, b: PoolRecipe): string[] {
  return (Object.keys(a) as (keyof PoolRecipe)[]).filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

/** Labelled region queries of one generated image of `scene`: the proposer's boxes, the scene's labels (file comment). */
export function generatedQueries(image: RgbImage, scene: Scene): RegionQuery[] {
  if (image.width !== scene.width || image.height !== scene.height)
    throw new Error(`generatedQueries: image ${image.width}x${image.height} vs scene ${scene.width}x${scene.height}`);
  const masks = scene.objects.map((o) => visibleMask(o, scene));
  return objectRegions(image).map(({ pixels, box: [x1, y1, x2, y2] }) => {
    const box: RegionQuery['box'] = [x1 / image.width, y1 / image.height, x2 / image.width, y2 / image.height];
    const cover = masks.map((mask) => pixels.filter((i) => mask[i] === 1).length);
    const best = cover.indexOf(Math.max(0, ...cover));
    return best >= 0 && cover[best] >= MIN_COVER * pixels.length
      ? { box, ...objectLabels(scene.objects[best]) }
      : { box, ...BACKGROUND_LABELS };
  });
}

/** The noise levels a pool resamples from, batch by batch in turn: the training option generatedT0, or POOL_T0S when it is 0. */
export function poolT0s(generatedT0: number): readonly number[] {
  return generatedT0 > 0 ? [generatedT0] : POOL_T0S;
}

/** n resampled train scenes (noise from `seed`), the renders noised to t0s in turn (default POOL_T0S). */
export function buildGeneratedPool(
  model: UnifiedModel,
  options: { n: number; seed: number; t0s?: readonly number[]; heldOutScenes?: boolean; onProgress?: (done: number) => void },
): GeneratedPool {
  const t0s = options.t0s ?? POOL_T0S;
  const pool: GeneratedPool = { images: [], queries: [], t0s };
  for (let k = 0; pool.images.length < options.n; k++) {
    const batchSize = Math.min(POOL_BATCH, options.n - pool.images.length);
    const batch = generationBatch(POOL_BATCH_OFFSET + k, {
      batchSize,
      seed: options.seed,
      config: model.config,
      heldOutScenes: options.heldOutScenes,
    });
    const renders = batch.scenes.map(renderScene);
    const t0 = t0s[k % t0s.length];
    const images = generateImages(
      model,
      batch.prompts.map((p) => p.text),
      // 25 steps: the sampler default when the shipped base's stage-4 pool was built (the default is 10 since 2026-12-06).
      { seed: options.seed + k, think: false, steps: POOL_SAMPLING_STEPS, from: { images: renders, t0 } },
    );
    images.forEach((image, b) => {
      pool.images.push(image);
      pool.queries.push(generatedQueries(image, batch.scenes[b]));
    });
    options.onProgress?.(pool.images.length);
  }
  return pool;
}

export function saveGeneratedPool(dir: string, pool: GeneratedPool, builtWith?: PoolRecipe): void {
  const { width, height } = pool.images[0] ?? { width: 0, height: 0 };
  const data = new Float32Array(pool.images.length * width * height * 3);
  pool.images.forEach((image, i) => data.set(image.data, i * width * height * 3));
  writeFileAtomic(path.join(dir, POOL_BIN), new Uint8Array(data.buffer));
  writeJsonAtomic(path.join(dir, POOL_JSON), {
    n: pool.images.length,
    width,
    height,
    t0s: pool.t0s ?? POOL_T0S,
    ...(builtWith === undefined ? {} : { built_with: builtWith }),
    queries: pool.queries,
  });
}

/** The pool saved in dir, or undefined when there is none; a torn or mismatched pair of files is an error. */
export function loadGeneratedPool(dir: string): GeneratedPool | undefined {
  const jsonFile = path.join(dir, POOL_JSON);
  if (!fs.existsSync(jsonFile)) return undefined;
  const meta = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as {
    n: number;
    width: number;
    height: number;
    t0s?: number[];
    built_with?: PoolRecipe;
    queries: RegionQuery[][];
  };
  const bytes = fs.readFileSync(path.join(dir, POOL_BIN));
  const side = meta.width * meta.height * 3;
  if (bytes.byteLength !== meta.n * side * 4 || meta.queries.length !== meta.n)
    throw new Error(
      `${dir}: ${POOL_BIN} holds ${bytes.byteLength} bytes, ${POOL_JSON} says ${meta.n} images of ${meta.width}x${meta.height}: ` +
        'delete both to rebuild the pool from a fresh start (--restart)',
    );
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const images = Array.from({ length: meta.n }, (_, i): RgbImage => ({
    width: meta.width,
    height: meta.height,
    data: data.slice(i * side, (i + 1) * side),
  }));
  return {
    images,
    queries: meta.queries,
    ...(meta.t0s === undefined ? {} : { t0s: meta.t0s }),
    ...(meta.built_with === undefined ? {} : { builtWith: meta.built_with }),
  };
}

/**
 * Replaces the first round(share * B) images of an understanding batch with pool images and one of their region
 * queries each (drawn with rng); their verdict and count targets become -1 (no text query is asked of them).
 */
export function mixGenerated(batch: UnderstandingBatch, pool: GeneratedPool, share: number, rng: Rng, config: ModelConfig): void {
  const usable = pool.queries.map((q, i) => (q.length > 0 ? i : -1)).filter((i) => i >= 0);
  if (usable.length === 0) throw new Error('mixGenerated: no pool image has a proposer region');
  const count = Math.round(share * batch.batchSize);
  const perImage = batch.x0.length / batch.batchSize;
  const Np = batch.region.patchCoverage.length / batch.batchSize;
  for (let b = 0; b < count; b++) {
    const i = rng.pick(usable);
    const q = rng.pick(pool.queries[i]);
    batch.x0.set(patchify([pool.images[i]], config), b * perImage);
    batch.region.boxes.set(q.box, b * 4);
    batch.region.patchCoverage.set(patchCoverage(q.box, config), b * Np);
    [batch.region.shape[b], batch.region.color[b], batch.region.texture[b], batch.region.size[b], batch.region.distorted[b]] = [
      q.shape,
      q.color,
      q.texture,
      q.size,
      q.distorted,
    ];
    batch.verdict.label[b] = -1;
    batch.count.label[b] = -1;
  }
}
