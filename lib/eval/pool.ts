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
import { DEFAULT_BATCH_SIZE, generateImages, type GenerateOptions } from '../generate/generate';
import { evaluateImage } from './evaluate';

/** The options that cross into a worker: everything but the callbacks. */
export type PoolGenerateOptions = Omit<GenerateOptions, 'onProgress' | 'onPlan' | 'onStep'>;

/** A model as plain data: its config and each variable's values by name. */
export interface ModelWeights {
  key: string;
  config: ModelConfig;
  values: Record<string, Float32Array>;
}

export type PoolRequest =
  | { kind: 'job'; id: number; weights: ModelWeights | { key: string }; prompts: readonly string[]; options: PoolGenerateOptions; evaluate: boolean }
  | { kind: 'batch'; id: number; first: number }
  | { kind: 'quit' };

export type PoolReply =
  | { kind: 'ready' }
  | { kind: 'batch'; id: number; first: number; pixels: Float32Array; passed?: boolean[] }
  | { kind: 'error'; message: string };

export interface PooledImages {
  images: RgbImage[];
  /** The independent evaluator's verdict per image (with `evaluate: true`). */
  passed?: boolean[];
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
    const slots = await Promise.all(Array.from({ length: workers }, () => new Promise<Slot>((resolve, reject) => {
      const worker = new Worker(file, { execArgv });
      worker.once('message', (reply: PoolReply) => (reply.kind === 'ready' ? resolve({ worker, models: new Set() }) : reject(new Error(reply.kind === 'error' ? reply.message : 'bad first message'))));
      worker.once('error', reject);
    })));
    return new SamplerPool(slots);
  }

  /** Threads drawing batches (1: this thread). */
  get size(): number {
    return Math.max(1, this.slots.length);
  }

  /** generateImages(model, prompts, options), batches spread over the workers; with `evaluate`, each image's verdict. */
  async generate(model: UnifiedModel, prompts: readonly string[], options: PoolGenerateOptions & { evaluate?: boolean; onProgress?: (done: number) => void }): Promise<PooledImages> {
    const { evaluate = false, onProgress, ...generateOptions } = options;
    if (this.slots.length === 0) return this.generateHere(model, prompts, generateOptions, evaluate, onProgress);
    const id = ++this.jobs;
    const key = weightsDigest(model);
    const batchSize = generateOptions.batchSize ?? DEFAULT_BATCH_SIZE;
    const firsts = Array.from({ length: Math.ceil(prompts.length / batchSize) }, (_, k) => k * batchSize);
    const { imageSize } = model.config;
    const images: RgbImage[] = new Array<RgbImage>(prompts.length);
    const passed: boolean[] = new Array<boolean>(prompts.length);
    let done = 0;
    await Promise.all(this.slots.map((slot) => new Promise<void>((resolve, reject) => {
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
          if (reply.passed !== undefined) passed[reply.first + k] = reply.passed[k];
        }
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
      slot.worker.postMessage({ kind: 'job', id, weights, prompts, options: generateOptions, evaluate } satisfies PoolRequest);
      next();
    })));
    return evaluate ? { images, passed } : { images };
  }

  private async generateHere(model: UnifiedModel, prompts: readonly string[], options: PoolGenerateOptions, evaluate: boolean, onProgress?: (done: number) => void): Promise<PooledImages> {
    const images = generateImages(model, prompts, { ...options, onProgress });
    if (!evaluate) return { images };
    return { images, passed: images.map((image, k) => evaluateImage(image, prompts[k]).passed) };
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
    this.slots.length = 0;
  }
}

function modelWeights(model: UnifiedModel, key: string): ModelWeights {
  const values: Record<string, Float32Array> = {};
  for (const { name, variable } of namedVariables(model.params)) values[name] = variable.dataSync() as Float32Array;
  return { key, config: model.config, values };
}
