// End-to-end sampling throughput of the toolkit as an evaluation runs it (issue 38): the shipped base model, the
// default sampler (DEFAULT_SAMPLING, think mode), val-split prompts of the evaluation protocol with their keyed noise,
// every image generated AND scored by the independent evaluator through SamplerPool on all cores.
// bench/train-throughput.ts runs a round of it beside a round of the PyTorch sampler (torch_sampler.py).
import * as path from 'node:path';
import { loadCheckpoint } from '../lib/model/checkpoint';
import { disposeModel, type UnifiedModel } from '../lib/model/params';
import { predictPlan } from '../lib/model/plan';
import { DEFAULT_SAMPLING, type SamplingSettings } from '../lib/generate/generate';
import { SamplerPool } from '../lib/eval/pool';
import { DEFAULT_PROTOCOL, protocolImages, type ProtocolImage } from '../lib/eval/protocol';
import { encodeBatch } from '../lib/world/tokenizer';
import { runTorchSampler, type TorchSamplerOptions, type TorchSamplerSuccess } from './torch-runner';

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

  get workers(): number {
    return this.pool.size;
  }

  /** One round: every image drawn and scored; the first round also pays the workers' start-up (weights, kernels). */
  async round(): Promise<SampleRound> {
    const prompts = this.images.map((image) => image.prompt);
    const started = performance.now();
    const { passed = [] } = await this.pool.generate(this.model, prompts, {
      ...this.settings,
      seed: DEFAULT_PROTOCOL.seed,
      noiseKeys: this.images.map((image) => image.noiseKey),
      batchSize: this.batchSize,
      evaluate: true,
    });
    const seconds = (performance.now() - started) / 1000;
    return { imagesPerSecond: prompts.length / seconds, seconds, passRate: passed.filter(Boolean).length / prompts.length };
  }

  /**
   * Milliseconds of think mode's plan prediction (predictPlan) for one batch on this thread, best of 3: the part of
   * the toolkit's work the PyTorch twin does not mirror.
   */
  planPredictionMs(): number {
    if (!this.settings.think) return 0;
    const textTokens = encodeBatch(this.images.slice(0, this.batchSize).map((image) => image.prompt), this.model.config.maxTextTokens);
    const times: number[] = [];
    for (let i = 0; i < 4; i++) { // the first call sets up kernels
      const started = performance.now();
      predictPlan(this.model, textTokens);
      times.push(performance.now() - started);
    }
    return Math.min(...times.slice(1));
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

/** Rounds of the toolkit's and the torch sampler's throughput, alternating; each keeps its best round. */
export class SamplingComparison {
  toolkit?: SampleRound;
  torch?: TorchSamplerSuccess & { policy: string };
  /** Best images per second under each OMP_WAIT_POLICY tried. */
  torchByPolicy: Record<string, number> = {};
  torchError?: string;

  constructor(readonly bench: SampleBench, private readonly options: { torch: boolean; log: (line: string) => void }) {}

  async round(index: number): Promise<void> {
    const { bench, options } = this;
    const sample = await bench.round();
    if (this.toolkit === undefined || sample.imagesPerSecond > this.toolkit.imagesPerSecond) this.toolkit = sample;
    const perSecond = sample.imagesPerSecond.toFixed(2);
    options.log(`round ${index}: toolkit sampling ${perSecond} images/s generated and evaluated (${bench.workers} workers, `
      + `${sample.seconds.toFixed(1)} s, pass rate ${sample.passRate.toFixed(3)})`);
    if (!options.torch || this.torchError !== undefined) return;
    // OpenMP's default (spinning) and PASSIVE waits: with more than one thread either can be the faster (torch-runner.ts).
    const policies = bench.workers > 1 ? [undefined, 'PASSIVE' as const] : [undefined];
    for (const ompWaitPolicy of policies) {
      const torch = runTorchSampler({ ...this.torchOptions(), ompWaitPolicy });
      if ('error' in torch) {
        this.torchError = torch.error;
        return options.log(torch.error);
      }
      const policy = ompWaitPolicy ?? process.env.OMP_WAIT_POLICY ?? 'default';
      options.log(`round ${index}: torch sampling ${torch.images_per_s.toFixed(2)} images/s (${torch.threads} thread(s), `
        + `OMP_WAIT_POLICY ${policy}, ${torch.images_per_round} images)`);
      if (this.torch === undefined || torch.images_per_s > this.torch.images_per_s) this.torch = { ...torch, policy };
      this.torchByPolicy[policy] = Math.max(this.torchByPolicy[policy] ?? 0, torch.images_per_s);
    }
  }

  /** The toolkit's model config, settings and batch, one torch thread per pool worker. */
  private torchOptions(): TorchSamplerOptions {
    const { bench } = this;
    // Two batches per round: the torch side has no start-up inside its timing to amortise.
    const images = Math.min(bench.images.length, 2 * bench.batchSize);
    const { model, settings, batchSize, workers } = bench;
    return { config: model.config, settings, batchSize, images, rounds: 1, threads: workers };
  }

  /** The sampling part of the bench's JSON; planMs from SampleBench.planPredictionMs. */
  fields(planMs: number | undefined) {
    const { bench, toolkit, torch } = this;
    return {
      sample_images_per_second: toolkit ? round(toolkit.imagesPerSecond, 3) : null,
      torch_sample_images_per_second: torch ? round(torch.images_per_s, 3) : null,
      sample_throughput_ratio: toolkit && torch ? round(toolkit.imagesPerSecond / torch.images_per_s, 4) : null,
      sample_images: bench.images.length,
      sample_batch: bench.batchSize,
      sample_workers: bench.workers,
      sample_settings: bench.settings as SamplingSettings | null,
      sample_round_seconds: toolkit ? round(toolkit.seconds, 1) : null,
      sample_pass_rate: toolkit ? round(toolkit.passRate, 4) : null,
      toolkit_plan_prediction_ms_per_batch: planMs !== undefined ? round(planMs, 1) : null,
      toolkit_plan_prediction_share: toolkit && planMs !== undefined ? round(bench.planPredictionShare(toolkit, planMs), 4) : null,
      torch_sample_threads: torch?.threads ?? null,
      torch_sample_omp_wait_policy: torch?.policy ?? null,
      torch_sample_images_per_second_by_omp_wait_policy: torch ? mapValues(this.torchByPolicy, (v) => round(v, 3)) : null,
      torch_sample_images_per_round: torch?.images_per_round ?? null,
      torch_sample_plan_prediction: torch?.plan_prediction ?? null,
      torch_sample_error: this.torchError ?? null,
    };
  }

  /** The same fields with --no-sample: all null. */
  static skipped(): Record<keyof ReturnType<SamplingComparison['fields']>, null> {
    const keys = ['sample_images_per_second', 'torch_sample_images_per_second', 'sample_throughput_ratio', 'sample_images', 'sample_batch',
      'sample_workers', 'sample_settings', 'sample_round_seconds', 'sample_pass_rate', 'toolkit_plan_prediction_ms_per_batch',
      'toolkit_plan_prediction_share', 'torch_sample_threads', 'torch_sample_omp_wait_policy',
      'torch_sample_images_per_second_by_omp_wait_policy', 'torch_sample_images_per_round', 'torch_sample_plan_prediction',
      'torch_sample_error'] as const;
    return Object.fromEntries(keys.map((key) => [key, null])) as Record<(typeof keys)[number], null>;
  }
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function mapValues(record: Record<string, number>, f: (value: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}
