// Finished `srum run` directories as the experiment scripts read them: the summary (checked against the base the
// caller means) and CompBench-mini pass/fail per prompt of that base or of a run's EMA weights on it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchmarkPasses, type BenchmarkOptions } from '../../lib/eval/benchmarks';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { disposeModel } from '../../lib/model/params';
import type { RunSummary } from '../../lib/run/pipeline';
import { assignEmaWeights } from '../../lib/train/ema';
import { COMPBENCH_CATEGORIES, type Prompt } from '../../lib/world/types';

/** The fields of RunSummary.config the scripts read (lib/run/pipeline.ts writes them). */
export interface RunConfig {
  eval_n: number;
  eval_seed: number;
  eval_split?: 'val' | 'test';
  think: boolean;
  base_model: string;
}
export type FinishedRun = RunSummary & { config: RunConfig };

/** dir/summary.json; with `checkpoint`, a run trained from another base is an error. */
export function readRun(dir: string, checkpoint?: string): FinishedRun {
  const run = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as FinishedRun;
  const base = run.config.base_model;
  if (checkpoint !== undefined && !base.startsWith(`checkpoint ${checkpoint} `))
    throw new Error(`${dir} was trained from ${base}, not checkpoint ${checkpoint}: pass its --checkpoint`);
  return run;
}

/** CompBench-mini prompts and evaluator verdicts of `checkpoint`, or of run dir's EMA weights on it. */
export function compBenchPasses(
  checkpoint: string,
  runDir: string | undefined,
  options: BenchmarkOptions,
): { prompts: Prompt[]; passed: boolean[] } {
  const { model } = loadCheckpoint(checkpoint);
  try {
    if (runDir !== undefined) assignEmaWeights(model, path.join(runDir, 'train'));
    return benchmarkPasses(model, COMPBENCH_CATEGORIES, options);
  } finally {
    disposeModel(model);
  }
}
