// End-to-end sampling throughput of the toolkit as an evaluation runs it (issue 38): the shipped base model, the
// default sampler (DEFAULT_SAMPLING, think mode), val-split prompts of the evaluation protocol with their keyed noise,
// every image generated AND scored by the independent evaluator through SamplerPool on all cores.
// bench/train-throughput.ts runs a round of it beside a round of the PyTorch sampler (sample-comparison.ts).
import * as path from 'node:path';
import { loadCheckpoint } from '../lib/model/checkpoint';
import { disposeModel, type UnifiedModel } from '../lib/model/params';
import { predictPlan } from '../lib/model/plan';
import { DEFAULT_SAMPLING, type SamplingSettings } from '../lib/generate/generate';
import { SamplerPool } from '../lib/eval/pool';
import { DEFAULT_PROTOCOL, protocolImages, type ProtocolImage } from '../lib/eval/protocol';
import { encodeBatch } from '../lib/world/tokenizer';
import type { RgbImage } from '../lib/world/types';
import { evaluateImage } from '../lib/eval/evaluate';

/** The shipped base checkpoint. */
export const BASE_MODEL_DIR = path.join(__dirname, '..', 'data', 'base');

export interface SampleBenchOptions {
  /** Images per round (generated and evaluated). */
  images: number;
  batchSize: number;
  /** Pool workers (autoWorkers(): one per core on wasm). */
  workers: number;
  /** Sampler settings over DEFAULT_SAMPLING (a smoke run's fewer steps; the real measurement passes none). */
  overrides?: Partial<SamplingSettings>;
  modelDir?: string;
}

export interface SampleRound {
  imagesPerSecond: number;
  seconds: number;
  /** Share of the round's images the evaluator passed (a sanity check: the base passes ~0.3 on val). */
  passRate: number;
}

/**
 * `images` images of the val protocol spread evenly over its prompts and draws (every category, both domains), each
 * with its protocol noise key; with more images than the protocol holds, some repeat.
 */
export function benchImages(images: number): ProtocolImage[] {
  const all = protocolImages({ ...DEFAULT_PROTOCOL, split: 'val' });
  return Array.from({ length: images }, (_, k) => all[Math.floor((k * all.length) / images)]);
}

/** A pool and the shipped model, opened once; each round draws and scores the same images (the best round counts). */
export class SampleBench {
  private constructor(
    readonly model: UnifiedModel,
    readonly settings: SamplingSettings,
    private readonly pool: SamplerPool,
    readonly images: ProtocolImage[],
    readonly batchSize: number,
  ) {}

  static async open(options: SampleBenchOptions): Promise<SampleBench> {
    const { model } = loadCheckpoint(options.modelDir ?? BASE_MODEL_DIR);
    const pool = await SamplerPool.open(options.workers);
    const settings = { ...DEFAULT_SAMPLING, ...options.overrides };
    return new SampleBench(model, settings, pool, benchImages(options.images), options.batchSize);
  }

  /** The first batch of the last round's images, for evaluationMsPerImage. */
  private lastImages: RgbImage[] = [];

  get workers(): number {
    return this.pool.size;
  }

  /** One round: every image drawn and scored; the first round also pays the workers' start-up (weights, kernels). */
  async round(): Promise<SampleRound> {
    const prompts = this.images.map((image) => image.prompt);
    const started = performance.now();
    const { images, passed = [] } = await this.pool.generate(this.model, prompts, {
      ...this.settings,
      seed: DEFAULT_PROTOCOL.seed,
      noiseKeys: this.images.map((image) => image.noiseKey),
      batchSize: this.batchSize,
      evaluate: true,
    });
    const seconds = (performance.now() - started) / 1000;
    this.lastImages = images.slice(0, this.batchSize);
    return { imagesPerSecond: prompts.length / seconds, seconds, passRate: passed.filter(Boolean).length / prompts.length };
  }

  /**
   * Milliseconds of think mode's plan prediction (predictPlan) for one batch on this thread, best of 3: the part of
   * the toolkit's work the PyTorch twin does not mirror.
   */
  planPredictionMs(): number {
    if (!this.settings.think) return 0;
    const textTokens = encodeBatch(
      this.images.slice(0, this.batchSize).map((image) => image.prompt),
      this.model.config.maxTextTokens,
    );
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      // the first call sets up kernels
      const started = performance.now();
      predictPlan(this.model, textTokens);
      times.push(performance.now() - started);
    }
    return Math.min(...times.slice(1));
  }

  /** Milliseconds the independent evaluator takes per image on this thread (the last round's first batch, scored again). */
  evaluationMsPerImage(): number {
    if (this.lastImages.length === 0) return NaN;
    const started = performance.now();
    this.lastImages.forEach((image, k) => evaluateImage(image, this.images[k].prompt));
    return (performance.now() - started) / this.lastImages.length;
  }

  /** Share of a round's time that plan prediction takes: one predictPlan per batch, the batches spread over the workers. */
  planPredictionShare(round: SampleRound, msPerBatch: number): number {
    const batches = Math.ceil(this.images.length / this.batchSize);
    return (batches * msPerBatch) / 1000 / this.workers / round.seconds;
  }

  async close(): Promise<void> {
    await this.pool.close();
    disposeModel(this.model);
  }
}
