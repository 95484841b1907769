// Throughput of a pretraining generation step of the unified model on the embedded backend (wasm): flowTrainStep
// over [text ; 4 plan tokens ; image] on a rendered batch where half the rows think (THINK_PROB), against the same
// step in PyTorch on the same CPU (bench/torch_reference.py; `npm run bench:equivalence` checks they match).
//   npm run bench -- --json                 (one JSON object on the last line)
//   npm run bench -- --profile              (per-kernel time of one training step, both sides; forward/step split)
//   npm run bench -- --json --preset tiny --batch 4 --steps 1 --rounds 1 --sample-steps 1 --sample-batch 4 --sample-images 8
//                                           (a smoke run: seconds of training, then the shipped base samples 8 images)
// Options: --preset base|tiny|large, --batch N, --steps N (per round), --rounds N (alternating tfjs/torch,
// best round kept: the CI machine is shared), --sample-steps N, --no-torch, --torch-threads N, --replicas N (data-parallel
// threads as pretraining runs them, lib/train/parallel.ts; default auto: one per core on wasm, at most 4; 1 skips that measurement).
// train_throughput_ratio is the toolkit's training throughput as pretraining runs it (the replicas) over PyTorch's;
// train_throughput_ratio_one_thread compares a single wasm thread.
// Sampling (issue 38; --no-sample skips it): sample_images_per_second is the toolkit end to end as an evaluation runs
// it (bench/sample-throughput.ts: the shipped base from data/base, DEFAULT_SAMPLING with think mode, val protocol
// prompts, generated and scored by the evaluator through SamplerPool on all cores; --sample-images N per round, default
// 256, --sample-batch B, default 32); torch_sample_images_per_second is the same sampler in PyTorch on the same CPU with
// as many threads as the pool has workers, the same batch and settings, under the faster OMP_WAIT_POLICY of a short probe
// (bench/sample-comparison.ts, torch_sampler.py; plan prediction not mirrored: toolkit_plan_prediction_share says how
// much of the toolkit's time it is); sample_throughput_ratio is the
// first over the second. Rounds alternate with the training rounds; each side keeps its best. --sample-steps N, when
// given, replaces DEFAULT_SAMPLING's steps there too (smoke runs); the real measurement gives none.
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { resolveModelConfig, type ModelPreset } from '../lib/model/config';
import { DEFAULT_FLOW_CONFIG } from '../lib/model/flow';
import { AdamW, type StepStats } from '../lib/model/optimizer';
import { initModel, namedVariables, parameterCount } from '../lib/model/params';
import { flowTrainStep } from '../lib/model/train-step';
import { sampleTokens } from '../lib/generate/sampler';
import { makeRng } from '../lib/rng';
import { generationSeqLen, trainingStepFlops, generationStepBatch, THINK_PROB } from './workload';
import { forwardBackwardSplit, profileTrainStep } from './profile';
import { autoReplicas } from '../lib/train/parallel';
import { replicaThroughput } from './replicas';
import { runTorchReference, type TorchSuccess } from './torch-runner';
import { SampleBench } from './sample-throughput';
import { SamplingComparison } from './sample-comparison';
import { autoWorkers } from '../lib/eval/pool';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    preset: { type: 'string', default: 'base' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '8' },
    // Steps of the raw sampling measure (default 10) and, when given, of the end-to-end one (default DEFAULT_SAMPLING's).
    'sample-steps': { type: 'string' },
    'no-sample': { type: 'boolean', default: false },
    'sample-images': { type: 'string', default: '256' },
    'sample-batch': { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    'no-torch': { type: 'boolean', default: false },
    'torch-threads': { type: 'string', default: '' },
    replicas: { type: 'string', default: 'auto' },
  },
  strict: true,
});

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** AdamW that records the parameters its last update changed: a generation step leaves the understanding heads and the plan-prediction queries without gradient. */
class CountingAdamW extends AdamW {
  trainedParameters = 0;

  override applyGradients(gradients: readonly (tf.Tensor | undefined)[], learningRate?: number): StepStats {
    this.trainedParameters = gradients.reduce((sum, g, i) => sum + (g == null ? 0 : this.variables[i].size), 0);
    return super.applyGradients(gradients, learningRate);
  }
}

async function main(): Promise<void> {
  const backend = await initBackend({ prefer: 'wasm', quiet: true });
  const preset = args.preset as ModelPreset;
  const config = resolveModelConfig(preset);
  const batchSize = Number(args.batch);
  const steps = Number(args.steps);
  const model = initModel(config, 0);
  const optimizer = new CountingAdamW(
    namedVariables(model.params).map((n) => n.variable),
    { learningRate: 1e-4 },
  );
  const rng = makeRng(1);
  const batch = generationStepBatch(model, batchSize, 1);
  const params = parameterCount(model.params);
  const flow = DEFAULT_FLOW_CONFIG;

  const step = (): number => flowTrainStep({ model, optimizer, batch, rng, flow }).loss;
  step(); // warm-up: kernel setup, weight packing, wasm heap growth
  const trainedParams = optimizer.trainedParameters;
  log(
    `backend ${backend.description}; preset ${preset}; ${params} parameters, ${trainedParams} trained by a generation step; batch ${batchSize}; sequence ${generationSeqLen(config)} tokens`,
  );
  const sampleSteps = Number(args['sample-steps'] ?? '10');
  const sampleComparison = args['no-sample']
    ? undefined
    : new SamplingComparison(
        await SampleBench.open({
          images: Number(args['sample-images']),
          batchSize: Number(args['sample-batch']),
          workers: autoWorkers(),
          overrides: args['sample-steps'] === undefined ? {} : { steps: sampleSteps },
        }),
        { torch: !args['no-torch'], log },
      );
  const flopsPerSample = trainingStepFlops(config);
  // Rounds alternate tfjs and PyTorch so both see the same machine load; each side reports its best round.
  const tensorsBefore = tf.memory().numTensors; // the base model is loaded: its weights are not a leak
  let best = { wall: 0, cpu: 0, sampling: 0, replicas: 0 };
  const replicas = args.replicas === 'auto' ? autoReplicas() : Number(args.replicas);
  let torch: TorchSuccess | undefined;
  let torchError: string | undefined;
  for (let round = 0; round < Number(args.rounds); round++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    for (let i = 0; i < steps; i++) step();
    const wall = (steps * batchSize) / ((performance.now() - started) / 1000);
    const cpuUsed = process.cpuUsage(cpuStarted);
    const cpu = (steps * batchSize) / ((cpuUsed.user + cpuUsed.system) / 1e6);
    const sampleStarted = performance.now();
    sampleTokens({ model, textTokens: batch.textTokens, steps: sampleSteps, guidanceScale: 4, timestepShift: 1, rng: makeRng(2) });
    const sampling = batchSize / ((performance.now() - sampleStarted) / 1000);
    const parallel = replicas > 1 ? await replicaThroughput(preset, batchSize, steps, replicas) : 0;
    best = {
      wall: Math.max(best.wall, wall),
      cpu: Math.max(best.cpu, cpu),
      sampling: Math.max(best.sampling, sampling),
      replicas: Math.max(best.replicas, parallel),
    };
    log(
      `round ${round}: tfjs ${wall.toFixed(2)} samples/s (${cpu.toFixed(2)} per CPU-s)${replicas > 1 ? `, ${replicas} replicas ${parallel.toFixed(2)} samples/s` : ''}, sampling ${sampling.toFixed(2)} images/s, load ${os.loadavg()[0].toFixed(1)}`,
    );
    await sampleComparison?.round(round);
    if (args['no-torch'] || torchError !== undefined) continue;
    const result = runTorchReference({
      config,
      flow,
      thinkProb: THINK_PROB,
      batchSize,
      steps,
      sampleSteps,
      threads: args['torch-threads'] || undefined,
      profile: args.profile,
    });
    if ('error' in result) {
      torchError = result.error;
      log(torchError);
      continue;
    }
    log(
      `round ${round}: torch ${result.torch_version} (${result.threads} thread(s)) ${result.samples_per_s.toFixed(2)} samples/s (${result.samples_per_cpu_s.toFixed(2)} per CPU-s)`,
    );
    torch =
      torch === undefined
        ? result
        : {
            ...result,
            samples_per_s: Math.max(torch.samples_per_s, result.samples_per_s),
            samples_per_cpu_s: Math.max(torch.samples_per_cpu_s, result.samples_per_cpu_s),
            sampling_images_per_s: Math.max(torch.sampling_images_per_s, result.sampling_images_per_s),
            peak_rss_mb: Math.max(torch.peak_rss_mb, result.peak_rss_mb),
          };
  }
  const planMs = sampleComparison?.bench.planPredictionMs();
  const evaluateMs = sampleComparison?.bench.evaluationMsPerImage();
  const leaked = tf.memory().numTensors - tensorsBefore;
  const profile = args.profile ? await profileTrainStep(() => step()) : undefined;
  if (profile) for (const line of profile.lines) log(line);
  const split = args.profile ? forwardBackwardSplit(model, batch, step) : undefined;
  if (split)
    log(
      `split: forward ${split.forwardMs.toFixed(0)} ms, whole step ${split.stepMs.toFixed(0)} ms (backward + optimizer ${(split.stepMs - split.forwardMs).toFixed(0)} ms)`,
    );
  if (torch?.top_ops_ms !== undefined) {
    log(
      `torch profile (self CPU ms of one step): ${Object.entries(torch.top_ops_ms)
        .map(([name, ms]) => `${name} ${ms}`)
        .join(', ')}`,
    );
    log(`torch split: forward ${torch.forward_ms?.toFixed(0)} ms, whole step ${torch.step_ms?.toFixed(0)} ms`);
  }
  const tfjsSamplesPerSecond = best.wall;
  const trainingSamplesPerSecond = Math.max(best.wall, best.replicas); // what pretraining gets
  const samplingImagesPerSecond = best.sampling;
  const torchOk = torch;
  const result = {
    preset,
    backend: backend.description,
    batch: batchSize,
    steps,
    rounds: Number(args.rounds),
    seq_len: generationSeqLen(config),
    think_prob: THINK_PROB,
    // All of the model vs what a generation step updates (the twin holds only the latter).
    params_tfjs_total: params,
    params_tfjs_trained: trainedParams,
    params_torch: torchOk?.params ?? null,
    params_torch_trained: torchOk?.params_trained ?? null,
    replicas,
    tfjs_samples_per_s: round(trainingSamplesPerSecond),
    tfjs_samples_per_s_one_thread: round(tfjsSamplesPerSecond),
    tfjs_samples_per_s_replicas: replicas > 1 ? round(best.replicas) : null,
    torch_samples_per_s: torchOk ? round(torchOk.samples_per_s) : null,
    train_throughput_ratio: torchOk ? round(trainingSamplesPerSecond / torchOk.samples_per_s, 4) : null,
    train_throughput_ratio_one_thread: torchOk ? round(tfjsSamplesPerSecond / torchOk.samples_per_s, 4) : null,
    // Per CPU-second of the process (one wasm thread): robust to other jobs sharing the cores.
    tfjs_samples_per_cpu_s: round(best.cpu),
    torch_samples_per_cpu_s: torchOk ? round(torchOk.samples_per_cpu_s) : null,
    train_throughput_ratio_cpu_time: torchOk ? round(best.cpu / torchOk.samples_per_cpu_s, 4) : null,
    load_average_1min: round(os.loadavg()[0]),
    torch_threads: torchOk?.threads ?? null,
    tfjs_gflops: round((trainingSamplesPerSecond * flopsPerSample) / 1e9),
    tfjs_gflops_one_thread: round((tfjsSamplesPerSecond * flopsPerSample) / 1e9),
    torch_gflops: torchOk ? round((torchOk.samples_per_s * flopsPerSample) / 1e9) : null,
    train_mflop_per_sample: round(flopsPerSample / 1e6),
    tfjs_sampling_images_per_s: round(samplingImagesPerSecond),
    torch_sampling_images_per_s: torchOk ? round(torchOk.sampling_images_per_s) : null,
    sampling_steps: sampleSteps,
    tfjs_peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 0),
    torch_peak_rss_mb: torchOk ? round(torchOk.peak_rss_mb, 0) : null,
    leaked_tensors_per_run: leaked,
    ...(sampleComparison?.fields(planMs, evaluateMs) ?? SamplingComparison.skipped()),
    sample_settings_are_default: sampleComparison ? args['sample-steps'] === undefined : null,
    profile_top_kernels_ms: profile?.topKernels ?? null,
    profile_forward_ms: split ? round(split.forwardMs, 0) : null,
    profile_step_ms: split ? round(split.stepMs, 0) : null,
    torch_profile_top_ops_ms: torchOk?.top_ops_ms ?? null,
    torch_profile_forward_ms: torchOk?.forward_ms !== undefined ? round(torchOk.forward_ms, 0) : null,
    torch_profile_step_ms: torchOk?.step_ms !== undefined ? round(torchOk.step_ms, 0) : null,
  };
  await sampleComparison?.bench.close();
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else log(JSON.stringify(result, null, 2));
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
