// Checks that the PyTorch sampler (bench/torch_sampler.py, reached through torch_reference.py --check-sample) draws
// the SAME images as lib/generate/sampler.ts sampleTokens: the model's weights, the prompts, the plans and the
// initial noise go to PyTorch, which samples with the same settings and compares its tokens with the toolkit's.
//   npx ts-node --transpile-only bench/check-sampling.ts [--preset tiny] [--steps 3] [--solver euler|heun]
//     [--guidance-scale 2] [--guidance-interval lo,hi] [--no-plan] [--base-architecture]
// Prints one JSON line; exits 1 when the tokens differ by more than the tolerance.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Tensor } from '../lib/backend/tf';
import { randomNormal } from '../lib/backend/random';
import { initBackend } from '../lib/backend/select';
import { modelDims, type ModelPreset } from '../lib/model/config';
import { disposeModel, namedVariables } from '../lib/model/params';
import { sampleTokens, type Solver } from '../lib/generate/sampler';
import { makeRng } from '../lib/rng';
import { comparisonModel, type EquivalenceOptions } from './check-equivalence';
import { findPython, planSpec } from './torch-runner';
import { generationStepBatch } from './workload';

export interface SamplingCheckOptions {
  /** The architecture (check-equivalence.ts options: preset and overrides). */
  architecture: EquivalenceOptions;
  steps: number;
  solver: Solver;
  guidanceScale: number;
  guidanceInterval: [number, number];
  timestepShift: number;
  /** Condition every row on a plan (think mode with given plans); false: every row reads the null plan. */
  withPlan: boolean;
  /** Images drawn. */
  batchSize: number;
  /** Largest allowed |torch - toolkit| over every token value. */
  tolerance: number;
}

export const DEFAULT_SAMPLING_CHECK: Omit<SamplingCheckOptions, 'architecture'> = {
  steps: 3,
  solver: 'euler',
  guidanceScale: 2,
  guidanceInterval: [0, 1],
  timestepShift: 1,
  withPlan: true,
  batchSize: 3,
  tolerance: 1e-4,
};

interface TorchSamplingCheck {
  max_abs_diff_tokens: number;
  max_abs_tokens: number;
  params_torch: number;
}

export interface SamplingCheckReport extends Omit<SamplingCheckOptions, 'architecture'> {
  preset: ModelPreset;
  max_abs_diff: number;
  max_abs_tokens: number;
  params_torch: number;
  failures: string[];
}

/**
 * Runs sampleTokens on a comparison model (weights of std `initStd`, so every part of the network matters) and the
 * twin on the same inputs. Throws when PyTorch is missing or the twin fails to run. Leaks no tensors.
 */
export function checkSampling(options: SamplingCheckOptions, initStd = 0.1): SamplingCheckReport {
  const { architecture, batchSize, tolerance, ...settings } = options;
  const model = comparisonModel(architecture, initStd);
  const { imageTokens, patchDim } = modelDims(model.config);
  const batch = generationStepBatch(model, batchSize, 5); // rendered scenes' prompts and plans
  const plan = options.withPlan ? (batch.plan as Int32Array) : undefined;
  const noiseTensor = randomNormal([batchSize, imageTokens, patchDim], makeRng(9));
  const noise = noiseTensor.dataSync() as Float32Array;
  noiseTensor.dispose();
  const out = sampleTokens({ model, textTokens: batch.textTokens, noise, plan, rng: makeRng(0), ...settings });
  const payload = {
    config: model.config,
    planSpec: planSpec(model.config),
    weights: Object.fromEntries(namedVariables(model.params).map(({ name, variable }) => [name, tensorJson(variable)])),
    tokens: Array.from(batch.textTokens),
    plan: plan === undefined ? null : Array.from(plan),
    noise: Array.from(noise),
    settings,
    out: Array.from(out),
  };
  disposeModel(model);
  const torch = runCheck(payload);
  const failures = [
    !(torch.max_abs_diff_tokens <= tolerance) && `tokens differ by ${torch.max_abs_diff_tokens} > ${tolerance}`,
    !(torch.max_abs_tokens > 0) && 'the toolkit drew all-zero tokens (nothing compared)',
  ].filter((f): f is string => typeof f === 'string');
  return {
    preset: architecture.preset,
    batchSize,
    tolerance,
    ...settings,
    max_abs_diff: torch.max_abs_diff_tokens,
    max_abs_tokens: torch.max_abs_tokens,
    params_torch: torch.params_torch,
    failures,
  };
}

const tensorJson = (x: Tensor): { shape: number[]; values: number[] } => ({ shape: x.shape, values: Array.from(x.dataSync()) });

function runCheck(payload: object): TorchSamplingCheck {
  const python = findPython();
  if (python === undefined) throw new Error('PyTorch not found (see bench/torch-runner.ts for how to install it)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-sample-equiv-'));
  const file = path.join(dir, 'payload.json');
  fs.writeFileSync(file, JSON.stringify(payload));
  const script = path.join(__dirname, 'torch_reference.py');
  const run = spawnSync(python, [script, '--check-sample', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  fs.rmSync(dir, { recursive: true });
  if (run.status !== 0) throw new Error(`torch sampler check failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as TorchSamplingCheck;
}

/** The shipped model's architecture on tiny dims: conv stem and 2-layer refine, x-prediction, plan map and canvas. */
export const BASE_ARCHITECTURE_ON_TINY: EquivalenceOptions = {
  preset: 'tiny',
  mixtureOfTransformers: false,
  textCausal: false,
  convChannels: 4,
  refineLayers: 2,
  cleanPrediction: true,
  planMap: true,
  planGrid: 16,
  planCanvas: true,
};

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      preset: { type: 'string', default: 'tiny' },
      steps: { type: 'string', default: String(DEFAULT_SAMPLING_CHECK.steps) },
      solver: { type: 'string', default: DEFAULT_SAMPLING_CHECK.solver },
      'guidance-scale': { type: 'string', default: String(DEFAULT_SAMPLING_CHECK.guidanceScale) },
      'guidance-interval': { type: 'string', default: DEFAULT_SAMPLING_CHECK.guidanceInterval.join(',') },
      'no-plan': { type: 'boolean', default: false },
      'base-architecture': { type: 'boolean', default: false },
    },
    strict: true,
  });
  await initBackend({ prefer: 'wasm', quiet: true });
  const [lo, hi] = args['guidance-interval'].split(',').map(Number);
  const plain: EquivalenceOptions = { preset: args.preset as ModelPreset, mixtureOfTransformers: false, textCausal: false };
  const report = checkSampling({
    ...DEFAULT_SAMPLING_CHECK,
    architecture: args['base-architecture'] ? { ...BASE_ARCHITECTURE_ON_TINY, preset: args.preset as ModelPreset } : plain,
    steps: Number(args.steps),
    solver: args.solver as Solver,
    guidanceScale: Number(args['guidance-scale']),
    guidanceInterval: [lo, hi],
    withPlan: !args['no-plan'],
  });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  if (report.failures.length > 0) {
    process.stderr.write(`sampler equivalence FAILED: ${report.failures.join(', ')}\n`);
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === __filename) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
