// The sampling part of `npm run bench` (issue 38): rounds of the toolkit's end-to-end sampling (sample-throughput.ts)
// alternating with rounds of the same sampler in PyTorch (torch_sampler.py) on the same CPU: the same model config,
// settings and batch, one torch thread per pool worker. Each side keeps its best round.
import type { SamplingSettings } from '../lib/generate/generate';
import type { SampleBench, SampleRound } from './sample-throughput';
import { runTorchSampler, type TorchSamplerOptions, type TorchSamplerSuccess } from './torch-runner';

type WaitPolicy = TorchSamplerOptions['ompWaitPolicy'];

/** Solver steps of the wait-policy probe: the policy acts on every parallel region, so a short run tells them apart. */
const PROBE_STEPS = 2;

export class SamplingComparison {
  toolkit?: SampleRound;
  torch?: TorchSamplerSuccess;
  torchError?: string;
  /** The OMP_WAIT_POLICY the torch rounds run under, and each policy's probe images per second (PROBE_STEPS steps). */
  waitPolicy?: { chosen: WaitPolicy; probe: Record<string, number> };

  constructor(
    readonly bench: SampleBench,
    private readonly options: { torch: boolean; log: (line: string) => void },
  ) {}

  async round(index: number): Promise<void> {
    const { bench, options } = this;
    const sample = await bench.round();
    if (this.toolkit === undefined || sample.imagesPerSecond > this.toolkit.imagesPerSecond) this.toolkit = sample;
    const perSecond = sample.imagesPerSecond.toFixed(2);
    options.log(
      `round ${index}: toolkit sampling ${perSecond} images/s generated and evaluated (${bench.workers} workers, ` +
        `${sample.seconds.toFixed(1)} s, pass rate ${sample.passRate.toFixed(3)})`,
    );
    if (!options.torch || this.torchError !== undefined) return;
    this.waitPolicy ??= this.probeWaitPolicies();
    if (this.torchError !== undefined) return;
    const torch = this.runTorch({ ompWaitPolicy: this.waitPolicy.chosen });
    if (torch === undefined) return;
    options.log(
      `round ${index}: torch sampling ${torch.images_per_s.toFixed(2)} images/s (${torch.threads} thread(s), ` +
        `OMP_WAIT_POLICY ${policyName(this.waitPolicy.chosen)}, ${torch.images_per_round} images)`,
    );
    if (this.torch === undefined || torch.images_per_s > this.torch.images_per_s) this.torch = torch;
  }

  /**
   * OpenMP's default wait (threads spin between parallel regions) or PASSIVE: with more than one thread either can be
   * the faster (torch-runner.ts), so one batch of PROBE_STEPS steps under each decides, once.
   */
  private probeWaitPolicies(): NonNullable<SamplingComparison['waitPolicy']> {
    if (this.bench.workers === 1) return { chosen: undefined, probe: {} };
    const probe: Record<string, number> = {};
    const steps = Math.min(PROBE_STEPS, this.bench.settings.steps);
    for (const policy of [undefined, 'PASSIVE'] as const) {
      const torch = this.runTorch({ ompWaitPolicy: policy, images: this.bench.batchSize, steps });
      if (torch === undefined) return { chosen: undefined, probe };
      probe[policyName(policy)] = round(torch.images_per_s, 3);
    }
    const chosen = (probe.PASSIVE ?? 0) > (probe[policyName(undefined)] ?? 0) ? 'PASSIVE' : undefined;
    this.options.log(`torch OMP_WAIT_POLICY probe (${steps} steps, images/s): ${JSON.stringify(probe)}; rounds use ${policyName(chosen)}`);
    return { chosen, probe };
  }

  /** One torch sampler run with the toolkit's config, settings and batch; undefined (and torchError set) on failure. */
  private runTorch(overrides: { ompWaitPolicy: WaitPolicy; images?: number; steps?: number }): TorchSamplerSuccess | undefined {
    const { model, settings, batchSize, workers, images } = this.bench;
    const result = runTorchSampler({
      config: model.config,
      settings: { ...settings, steps: overrides.steps ?? settings.steps },
      batchSize,
      // Two batches per round: the torch side has no start-up inside its timing to amortise.
      images: overrides.images ?? Math.min(images.length, 2 * batchSize),
      rounds: 1,
      threads: workers,
      ompWaitPolicy: overrides.ompWaitPolicy,
    });
    if (!('error' in result)) return result;
    this.torchError = result.error;
    this.options.log(result.error);
    return undefined;
  }

  /** The sampling part of the bench's JSON; planMs from SampleBench.planPredictionMs, evaluateMs from evaluationMsPerImage. */
  fields(planMs: number | undefined, evaluateMs?: number) {
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
      // The evaluator's share of the toolkit's time: its ms per image over the pool's wall ms per image and worker.
      toolkit_evaluate_ms_per_image: evaluateMs !== undefined && Number.isFinite(evaluateMs) ? round(evaluateMs, 1) : null,
      toolkit_evaluate_share:
        toolkit && evaluateMs !== undefined && Number.isFinite(evaluateMs)
          ? round(evaluateMs / 1000 / ((bench.workers * toolkit.seconds) / bench.images.length), 4)
          : null,
      torch_sample_threads: torch?.threads ?? null,
      torch_sample_omp_wait_policy: torch && this.waitPolicy ? policyName(this.waitPolicy.chosen) : null,
      torch_sample_omp_probe_images_per_second: torch ? (this.waitPolicy?.probe ?? null) : null,
      torch_sample_images_per_round: torch?.images_per_round ?? null,
      torch_sample_plan_prediction: torch?.plan_prediction ?? null,
      torch_sample_error: this.torchError ?? null,
    };
  }

  /** The same fields with --no-sample: all null. */
  static skipped(): Record<keyof ReturnType<SamplingComparison['fields']>, null> {
    const keys = [
      'sample_images_per_second',
      'torch_sample_images_per_second',
      'sample_throughput_ratio',
      'sample_images',
      'sample_batch',
      'sample_workers',
      'sample_settings',
      'sample_round_seconds',
      'sample_pass_rate',
      'toolkit_plan_prediction_ms_per_batch',
      'toolkit_plan_prediction_share',
      'toolkit_evaluate_ms_per_image',
      'toolkit_evaluate_share',
      'torch_sample_threads',
      'torch_sample_omp_wait_policy',
      'torch_sample_omp_probe_images_per_second',
      'torch_sample_images_per_round',
      'torch_sample_plan_prediction',
      'torch_sample_error',
    ] as const;
    return Object.fromEntries(keys.map((key) => [key, null])) as Record<(typeof keys)[number], null>;
  }
}

/** The policy's name in logs and JSON: unset means OpenMP's default (or whatever the environment sets). */
function policyName(policy: WaitPolicy): string {
  return policy ?? process.env.OMP_WAIT_POLICY ?? 'default';
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
