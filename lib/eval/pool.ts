// Generation and evaluation that use every core: worker threads, each with its own TensorFlow.js backend (wasm runs one thread per
// process, so two workers fill a 2-core machine), draw whole batches of generateImages and, if asked, score them with
// the independent evaluator. A batch is drawn exactly as generateBatch draws it in one thread (same prompts, same
// noise stream, same batch composition), so the pool returns the same images as generateImages, only sooner.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { weightsDigest } from '../model/checkpoint';
import type { ModelConfig } from '../model/config';
import { namedVariables, type UnifiedModel } from '../model/params';
import * as tf from '../backend/tf';
import type { RgbImage } from '../world/types';
import { DEFAULT_BATCH_SIZE, generateBatch, type GenerateOptions } from '../generate/generate';
import { promptVerdict } from '../judge/verdict';
import { PLAN_VALUES } from '../model/classes';
import { parsePrompt } from '../world/grammar';
import { evaluateImage } from './evaluate';

/** The options that cross into a worker: everything but the callbacks. */
export type PoolGenerateOptions = Omit<GenerateOptions, 'onProgress' | 'onPlan' | 'onStep'>;

/** A model as plain data: its config and each variable's values by name. */
export interface ModelWeights {
  key: string;
  config: ModelConfig;
  values: Record<string, Float32Array>;
}

/** What to compute for each image beside its pixels. */
export interface ImageScoring {
  /** The independent evaluator's verdict. */
  evaluate?: boolean;
  /** The model's own verdict on its image (lib/judge/verdict.ts, default source): passed and P(yes) per constraint. */
  selfJudge?: boolean;
  /** The plan the image was drawn from (think mode), as text, to count distinct plans. */
  recordPlans?: boolean;
}

/** Per image, what ImageScoring asked for. */
export interface ImageScores {
  passed?: boolean[];
  selfPassed?: boolean[];
  /** Product of the model's P(yes) over the prompt's constraints. */
  selfScore?: number[];
  plan?: string[];
}

export type PoolRequest =
  | {
      kind: 'job';
      id: number;
      weights: ModelWeights | { key: string };
      prompts: readonly string[];
      options: PoolGenerateOptions;
      scoring: ImageScoring;
    }
  | { kind: 'batch'; id: number; first: number }
  | { kind: 'quit' };

export type PoolReply =
  | { kind: 'ready' }
  | { kind: 'batch'; id: number; first: number; pixels: Float32Array; scores: ImageScores }
  | { kind: 'error'; message: string };

export interface PooledImages extends ImageScores {
  images: RgbImage[];
}

/** Models a worker holds at most (each ~6 MB); the first sent goes first, in the pool's books and in the worker. */
export const KEEP_MODELS = 4;

/** One worker per core on wasm (one thread per process, at most 4); native backends already use every core. */
export function autoWorkers(): number {
  return tf.getBackend() === 'wasm' ? Math.max(1, Math.min(4, os.cpus().length)) : 1;
}

/** The worker's script: the compiled file next to this one, or the TypeScript source under ts-node. */
function workerScript(): { file: string; execArgv: string[] } {
  const compiled = path.join(__dirname, 'pool-worker.js');
  if (fs.existsSync(compiled)) return { file: compiled, execArgv: [] };
  return { file: path.join(__dirname, 'pool-worker.ts'), execArgv: ['--require', 'ts-node/register/transpile-only'] };
}

interface Slot {
  worker: Worker;
  /** Model keys this worker holds already (their weights are not sent again). */
  models: Set<string>;
}

/**
 * A pool of sampling workers. `SamplerPool.open(1)` or a pool on a native backend draws in this thread. Always `close()`
 * it (workers keep the process alive).
 */
export class SamplerPool {
  private jobs = 0;

  private constructor(private readonly slots: Slot[]) {}

  static async open(workers = autoWorkers()): Promise<SamplerPool> {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`SamplerPool: workers must be a positive integer, got ${workers}`);
    if (workers === 1) return new SamplerPool([]);
    const { file, execArgv } = workerScript();
    const slots = await Promise.all(
      Array.from(
        { length: workers },
        () =>
          new Promise<Slot>((resolve, reject) => {
            const worker = new Worker(file, { execArgv });
            worker.once('message', (reply: PoolReply) =>
              reply.kind === 'ready'
                ? resolve({ worker, models: new Set() })
                : reject(new Error(reply.kind === 'error' ? reply.message : 'bad first message')),
            );
            worker.once('error', reject);
          }),
      ),
    );
    return new SamplerPool(slots);
  }

  /** Threads drawing batches (1: this thread). */
  get size(): number {
    return Math.max(1, this.slots.length);
  }

  /** generateImages(model, prompts, options), batches spread over the workers, with the scores ImageScoring asks for. */
  async generate(
    model: UnifiedModel,
    prompts: readonly string[],
    options: PoolGenerateOptions & ImageScoring & { onProgress?: (done: number) => void },
  ): Promise<PooledImages> {
    const { evaluate, selfJudge, recordPlans, onProgress, ...generateOptions } = options;
    const scoring: ImageScoring = { evaluate, selfJudge, recordPlans };
    if (this.slots.length === 0) {
      const images: RgbImage[] = [];
      const scores: ImageScores = {};
      const batchSize = generateOptions.batchSize ?? DEFAULT_BATCH_SIZE;
      for (let first = 0; first < prompts.length; first += batchSize) {
        const batch = drawAndScore(model, prompts, first, generateOptions, scoring);
        images.push(...batch.images);
        appendScores(scores, batch.scores);
        onProgress?.(images.length);
      }
      return { images, ...scores };
    }
    const id = ++this.jobs;
    const key = weightsDigest(model);
    const batchSize = generateOptions.batchSize ?? DEFAULT_BATCH_SIZE;
    const firsts = Array.from({ length: Math.ceil(prompts.length / batchSize) }, (_, k) => k * batchSize);
    const { imageSize } = model.config;
    const images: RgbImage[] = new Array<RgbImage>(prompts.length);
    const byFirst = new Map<number, ImageScores>();
    let done = 0;
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve, reject) => {
            const weights = slot.models.has(key) ? { key } : modelWeights(model, key);
            slot.models.add(key);
            if (slot.models.size > KEEP_MODELS) slot.models.delete(slot.models.values().next().value as string); // as the worker evicts
            const next = (): void => {
              const first = firsts.shift();
              if (first === undefined) return finish();
              slot.worker.postMessage({ kind: 'batch', id, first } satisfies PoolRequest);
            };
            const onMessage = (reply: PoolReply): void => {
              if (reply.kind === 'error') return fail(new Error(`sampling worker: ${reply.message}`));
              if (reply.kind !== 'batch' || reply.id !== id) return;
              const per = imageSize * imageSize * 3;
              for (let k = 0; k * per < reply.pixels.length; k++) {
                images[reply.first + k] = { width: imageSize, height: imageSize, data: reply.pixels.slice(k * per, (k + 1) * per) };
              }
              byFirst.set(reply.first, reply.scores);
              done += reply.pixels.length / per;
              onProgress?.(done);
              next();
            };
            const onError = (error: Error): void => fail(error);
            const finish = (): void => {
              slot.worker.off('message', onMessage);
              slot.worker.off('error', onError);
              resolve();
            };
            const fail = (error: Error): void => {
              finish();
              firsts.length = 0; // the other workers stop after their current batch
              reject(error);
            };
            slot.worker.on('message', onMessage);
            slot.worker.on('error', onError);
            slot.worker.postMessage({ kind: 'job', id, weights, prompts, options: generateOptions, scoring } satisfies PoolRequest);
            next();
          }),
      ),
    );
    const scores: ImageScores = {};
    for (const first of [...byFirst.keys()].sort((a, b) => a - b)) appendScores(scores, byFirst.get(first)!);
    return { images, ...scores };
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
    this.slots.length = 0;
  }
}

/** One batch drawn as generateBatch draws it, and scored: what a worker does, and the pool in this thread. */
export function drawAndScore(
  model: UnifiedModel,
  prompts: readonly string[],
  first: number,
  options: PoolGenerateOptions,
  scoring: ImageScoring,
): { images: RgbImage[]; scores: ImageScores } {
  let plans: Int32Array | undefined;
  const images = generateBatch(model, prompts, first, {
    ...options,
    onPlan: ({ plan }) => {
      plans = plan;
    },
  });
  const asked = images.map((_, k) => parsePrompt(prompts[first + k]));
  const scores: ImageScores = {};
  if (scoring.evaluate === true) scores.passed = images.map((image, k) => evaluateImage(image, asked[k]).passed);
  if (scoring.selfJudge === true) {
    const verdicts = images.map((image, k) => promptVerdict(model, image, asked[k]));
    scores.selfPassed = verdicts.map((v) => v.passed);
    scores.selfScore = verdicts.map((v) => v.probabilities.reduce((a, b) => a * b, 1));
  }
  if (scoring.recordPlans === true)
    scores.plan = images.map((_, k) => (plans === undefined ? 'none' : plans.subarray(k * PLAN_VALUES, (k + 1) * PLAN_VALUES).join(',')));
  return { images, scores };
}

function appendScores(into: ImageScores, more: ImageScores): void {
  for (const key of ['passed', 'selfPassed', 'selfScore', 'plan'] as const) {
    const values = more[key];
    if (values !== undefined) ((into[key] ??= []) as unknown[]).push(...values); // in place: one copy per batch, not per image so far
  }
}

function modelWeights(model: UnifiedModel, key: string): ModelWeights {
  const values: Record<string, Float32Array> = {};
  for (const { name, variable } of namedVariables(model.params)) values[name] = variable.dataSync() as Float32Array;
  return { key, config: model.config, values };
}
