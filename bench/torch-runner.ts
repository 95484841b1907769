// Runs bench/torch_reference.py with a Python that has torch, or explains how to get one.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { ModelConfig } from '../lib/model/config';

export interface TorchSuccess {
  torch_version: string;
  threads: number;
  params: number;
  samples_per_s: number;
  samples_per_cpu_s: number;
  sampling_images_per_s: number;
  peak_rss_mb: number;
}
export type TorchResult = TorchSuccess | { error: string };

export interface TorchRunOptions {
  /** The resolved model config, passed verbatim so both sides build the same architecture. */
  config: ModelConfig;
  batchSize: number;
  steps: number;
  sampleSteps: number;
  /** torch.set_num_threads value; torch's default when undefined. */
  threads?: string;
}

const INSTALL_HINT =
  'PyTorch not found. On Debian/Ubuntu: sudo apt-get install python3-torch libopenblas0-pthread ' +
  '(or pip install torch), or set SRUM_PYTHON to a python that has torch; --no-torch skips the comparison.';

/** The first of SRUM_PYTHON, python3, /usr/bin/python3 that can import torch. */
export function findPython(): string | undefined {
  const candidates = [process.env.SRUM_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

export function runTorchReference(options: TorchRunOptions): TorchResult {
  const python = findPython();
  if (python === undefined) return { error: INSTALL_HINT };
  const script = path.join(__dirname, 'torch_reference.py');
  const argv = [script, '--config', JSON.stringify(options.config), '--batch', String(options.batchSize), '--steps', String(options.steps), '--sample-steps', String(options.sampleSteps)];
  if (options.threads !== undefined) argv.push('--threads', options.threads);
  const run = spawnSync(python, argv, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) return { error: `torch reference failed (${python}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  const lastLine = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(lastLine) as TorchSuccess;
}
