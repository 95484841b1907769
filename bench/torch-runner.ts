// Runs bench/torch_reference.py with a Python that has torch, or explains how to get one.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { PLAN_FIELDS, PLAN_SLOTS, planClasses } from '../lib/model/classes';
import type { ModelConfig } from '../lib/model/config';
import type { FlowConfig } from '../lib/model/flow';
import type { SamplingSettings } from '../lib/generate/generate';
import { MAX_EXTRA_TOKENS } from '../lib/model/params';
import { WORLD } from '../lib/world/config';
import { SIZES } from '../lib/world/types';

export interface TorchSuccess {
  torch_version: string;
  threads: number;
  /** Every parameter of the twin (it holds only what a generation step trains). */
  params: number;
  /** Parameters that received a gradient in the twin's warm-up step. */
  params_trained: number;
  samples_per_s: number;
  samples_per_cpu_s: number;
  sampling_images_per_s: number;
  peak_rss_mb: number;
  /** With profile: self CPU ms of the top torch ops in one step, and best-of-3 forward / whole-step ms. */
  top_ops_ms?: Record<string, number>;
  forward_ms?: number;
  step_ms?: number;
}
export type TorchResult = TorchSuccess | { error: string };

export interface TorchRunOptions {
  /** The resolved model config, passed verbatim so both sides build the same architecture. */
  config: ModelConfig;
  flow: FlowConfig;
  /** Share of rows conditioned on their plan (the rest read the null plan). */
  thinkProb: number;
  batchSize: number;
  steps: number;
  sampleSteps: number;
  /** torch.set_num_threads value; torch's default when undefined. */
  threads?: string;
  profile?: boolean;
}

/** The think-mode plan layout the twin needs to build its plan embeddings (lib/model/classes.ts) and boxes (plan.ts). */
export interface PlanSpec {
  fields: readonly string[];
  /** Per field, for the config's planGrid (the cell table has planGrid^2 rows). */
  classes: Record<string, number>;
  slots: number;
  maxExtraTokens: number;
  /** World image side and each size class's diameter there (SIZES order): the box radii of planMap / planCanvas. */
  worldImageSize: number;
  sizeDiameters: number[];
}

export function planSpec(config: ModelConfig): PlanSpec {
  return {
    fields: PLAN_FIELDS,
    classes: planClasses(config.planGrid),
    slots: PLAN_SLOTS,
    maxExtraTokens: MAX_EXTRA_TOKENS,
    worldImageSize: WORLD.imageSize,
    sizeDiameters: SIZES.map((size) => WORLD.diameters[size]),
  };
}

const INSTALL_HINT =
  'PyTorch not found. On Debian/Ubuntu: sudo apt-get install python3-torch libopenblas0-pthread ' +
  '(or pip install torch), or set SRUM_PYTHON to a python that has torch; --no-torch skips the comparison.';

/** The first of SRUM_PYTHON, python3, /usr/bin/python3 that can import torch. */
export function findPython(): string | undefined {
  const candidates = [process.env.SRUM_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

const script = path.join(__dirname, 'torch_reference.py');

export function runTorchReference(options: TorchRunOptions): TorchResult {
  const python = findPython();
  if (python === undefined) return { error: INSTALL_HINT };
  const argv = [
    script,
    '--config',
    JSON.stringify(options.config),
    '--plan',
    JSON.stringify(planSpec(options.config)),
    '--flow',
    JSON.stringify(options.flow),
  ];
  argv.push(
    '--think-prob',
    String(options.thinkProb),
    '--batch',
    String(options.batchSize),
    '--steps',
    String(options.steps),
    '--sample-steps',
    String(options.sampleSteps),
  );
  if (options.threads !== undefined) argv.push('--threads', options.threads);
  if (options.profile === true) argv.push('--profile');
  return runScript<TorchSuccess>(python, argv);
}

/** Runs torch_reference.py with `argv` (script first) and parses its last stdout line. */
function runScript<T>(python: string, argv: string[], env: NodeJS.ProcessEnv = process.env): T | { error: string } {
  const run = spawnSync(python, argv, { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (run.status !== 0) return { error: `torch reference failed (${python}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  const lastLine = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(lastLine) as T;
}

/** What torch_reference.py --sample prints (bench/torch_sampler.py sample_throughput). */
export interface TorchSamplerSuccess {
  torch_version: string;
  threads: number;
  /** Best round. */
  images_per_s: number;
  rounds_images_per_s: number[];
  images_per_round: number;
  batch: number;
  think: boolean;
  plan_prediction: string;
}

export interface TorchSamplerOptions {
  /** The sampled model's config (the shipped base's), verbatim. */
  config: ModelConfig;
  settings: SamplingSettings;
  batchSize: number;
  /** Images per round, in batches of batchSize. */
  images: number;
  rounds: number;
  /** torch.set_num_threads: the toolkit's worker count, so both use the same cores. */
  threads: number;
  /**
   * OMP_WAIT_POLICY of the run (unset: OpenMP's default, threads spin between parallel regions). Measured on the 2-core
   * machine with another job running: 2 spinning threads drew 10 images/s where 1 thread drew 21 and 2 PASSIVE threads
   * 41 (batch 32, 2 steps), so the bench tries both and keeps the faster.
   */
  ompWaitPolicy?: 'PASSIVE' | 'ACTIVE';
}

/** The PyTorch twin of sampleTokens on the same CPU: images per second (bench/torch_sampler.py). */
export function runTorchSampler(options: TorchSamplerOptions): TorchSamplerSuccess | { error: string } {
  const python = findPython();
  if (python === undefined) return { error: INSTALL_HINT };
  const { settings } = options;
  if (settings.stochasticity !== 0)
    return { error: `the torch sampler is deterministic; stochasticity ${settings.stochasticity} is not mirrored` };
  const argv = [script, '--sample', '--config', JSON.stringify(options.config), '--plan', JSON.stringify(planSpec(options.config))];
  argv.push('--batch', String(options.batchSize), '--sample-images', String(options.images), '--rounds', String(options.rounds));
  argv.push('--threads', String(options.threads), '--sample-steps', String(settings.steps), '--solver', settings.solver);
  argv.push('--guidance-scale', String(settings.guidanceScale), '--guidance-interval', settings.guidanceInterval.join(','));
  argv.push('--timestep-shift', String(settings.timestepShift), settings.think ? '--think' : '--no-think');
  const env = options.ompWaitPolicy === undefined ? process.env : { ...process.env, OMP_WAIT_POLICY: options.ompWaitPolicy };
  return runScript<TorchSamplerSuccess>(python, argv, env);
}
