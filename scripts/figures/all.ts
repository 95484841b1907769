// `npm run figures`: redraw every figure in figures/ whose inputs are committed (the result JSONs in figures/results/,
// or nothing but the toolkit's own code), each by its own script, two at a time through the sweep runner
// (lib/run/sweep.ts). A figure whose result file is not committed yet is skipped with a line saying so.
// Measured on the 2-core machine beside a training run: 38 s for seven figures (each script starts a headless browser).
// Plotly gives every SVG random element ids, so a redraw rewrites the .svg files even when the figure is unchanged
// (the PNGs come out byte-identical).
//
// Not redrawn here, because their inputs are not committed (each script's header says how to make them):
//   figures/model-samples       generates 28 images with the checkpoint data/base (scripts/figures/model-samples.ts;
//                               minutes of CPU, not a redraw of stored results)
//   figures/shape-disagreements reads the PNGs that scripts/experiments/agreement-diag.ts saves (not committed)
//   figures/quickstart.png      drawn by `srum quickstart` from its run directory (runs/quickstart, not committed)
//   figures/archive/            superseded figures kept for docs/history.md; their results are in figures/archive/results/
// Regenerate: npm run figures [-- --jobs N]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_JOBS, runSweep, sweepSummary, type SweepRun } from '../../lib/run/sweep';
import { runScript } from '../lib/run-script';

interface FigureScript {
  /** The figure's path without extension (the script writes .png and .svg). */
  figure: string;
  /** The script in scripts/figures/ that draws it. */
  script: string;
  /** Options beyond the script's defaults. */
  args?: string[];
  /** Committed files it reads (none: drawn from the toolkit's code alone). */
  inputs: string[];
}

export const FIGURES_FROM_RESULTS: FigureScript[] = [
  { figure: 'figures/gap', script: 'gap-chart.ts', inputs: ['figures/results/gap-base.json'] },
  { figure: 'figures/pass-curve', script: 'pass-curve.ts', inputs: ['figures/results/pass-curve.json'] },
  { figure: 'figures/reader-boundaries', script: 'reader-boundaries.ts', inputs: ['figures/results/reader-boundaries.json'] },
  { figure: 'figures/table1', script: 'table1.ts', inputs: ['figures/results/srum-main.json'] },
  {
    figure: 'figures/table1-heldout-v2',
    script: 'table1.ts',
    args: ['--in', 'figures/results/srum-main-heldout-v2.json', '--out', 'figures/table1-heldout-v2'],
    inputs: ['figures/results/srum-main-heldout-v2.json'],
  },
  {
    figure: 'figures/unbound-screen',
    script: 'table1.ts',
    args: [
      ...['--in', 'figures/results/unbound-screen-val.json', '--out', 'figures/unbound-screen', '--arms'],
      'shipped-base=shipped base,base=unbound base,sft-think=SFT (think term),rft-think=RFT oracle (think term),srum-think=SRUM (think term)',
    ],
    inputs: ['figures/results/unbound-screen-val.json'],
  },
  {
    figure: 'figures/unbound-think',
    script: 'table1.ts',
    args: [
      ...['--in', 'figures/results/unbound-think-val.json', '--out', 'figures/unbound-think', '--arms'],
      'base=base (planner on unbound captions),sft-think=SFT: every plan,rft-think=oracle: images the evaluator passes,srum-think=SRUM: plans its own judge accepts',
    ],
    inputs: ['figures/results/unbound-think-val.json'],
  },
  {
    figure: 'figures/unbound-think-nr',
    script: 'table1.ts',
    args: [
      ...['--in', 'figures/results/unbound-think-nr-val.json', '--out', 'figures/unbound-think-nr', '--arms'],
      'base=base (planner on unbound captions),sft-think-nr=SFT: every plan,rft-think-nr=oracle: images the evaluator passes,srum-think-nr=SRUM: plans its own judge accepts',
    ],
    inputs: ['figures/results/unbound-think-nr-val.json'],
  },
  {
    figure: 'figures/unbound-ceilings',
    script: 'table1.ts',
    args: [
      ...['--in', 'figures/results/unbound-rounds-val.json', '--out', 'figures/unbound-ceilings', '--arms'],
      'base=base (planner on unbound captions),sft-think-nr=SFT: every plan,rft-think-nr=oracle: images the evaluator passes,' +
        'rft-plan-nr=oracle: plans the evaluator passes,srum-think-nr=SRUM: plans its own judge accepts',
    ],
    inputs: ['figures/results/unbound-rounds-val.json'],
  },
  {
    figure: 'figures/unbound-rounds',
    script: 'rounds.ts',
    args: [
      '--in',
      'figures/results/unbound-rounds-val.json',
      '--rounds',
      'base,srum-think-nr,round1,round2,round3',
      '--out',
      'figures/unbound-rounds',
    ],
    inputs: ['figures/results/unbound-rounds-val.json'],
  },
  {
    figure: 'figures/srum-gain',
    script: 'table1.ts',
    args: [
      ...['--in', 'figures/results/srum-gain.json', '--out', 'figures/srum-gain', '--arms'],
      'base=base (think mode),sft-bb1-u10=SFT: every plan,rft-bb3-u10=oracle: evaluator-passed images,' +
        'srum-bb1-u10=SRUM: plans its judge accepts,srum-think-nr=SRUM at the plan head only,' +
        "srum_released=SRUM + image loss (released),srum_paper=SRUM + image loss (paper's)," +
        'base_normal=base (normal mode),srum_normal=SRUM (normal mode)',
    ],
    inputs: ['figures/results/srum-gain.json'],
  },
  {
    figure: 'figures/srum-gain-backbone',
    script: 'table1.ts',
    args: [
      ...['--in', 'figures/results/srum-gain-backbone.json', '--out', 'figures/srum-gain-backbone', '--arms'],
      'base=base (think mode),sft-think-bb1=SFT: every plan,rft-think-bb1=oracle: evaluator-passed images,' +
        'srum-think-bb1=SRUM: plans its judge accepts,srum-think-nr=SRUM at the plan head only,' +
        'base_normal=base (normal mode),srum_normal=SRUM (normal mode),shipped_base=shipped base',
    ],
    inputs: ['figures/results/srum-gain-backbone.json'],
  },
  {
    figure: 'figures/srum-gain-unbound',
    script: 'table1.ts',
    args: [
      ...['--in', 'figures/results/srum-gain-unbound.json', '--out', 'figures/srum-gain-unbound', '--arms'],
      'base=base (think mode),sft-think-nr=SFT: every plan,rft-think-nr=oracle: evaluator-passed images,' +
        'srum-think-nr=SRUM: plans its judge accepts,srum-released=SRUM + image loss (released),' +
        "srum-paper=SRUM + image loss (paper's),base_normal=base (normal mode)",
    ],
    inputs: ['figures/results/srum-gain-unbound.json'],
  },
  {
    figure: 'figures/backbone-rounds',
    script: 'rounds.ts',
    args: [
      ...['--in', 'figures/results/backbone-rounds-val.json', '--rounds', 'base,srum-bb1-u10,round1,round2,round3'],
      ...['--labels', 'base,0,1,2,3', '--out', 'figures/backbone-rounds'],
    ],
    inputs: ['figures/results/backbone-rounds-val.json'],
  },
  { figure: 'figures/world-grid', script: 'world-grid.ts', inputs: [] }, // the world's renderer and evaluator only
  { figure: 'figures/per-step', script: 'per-step.ts', inputs: ['figures/results/per-step.json'] },
  { figure: 'figures/clusters', script: 'clusters.ts', inputs: ['figures/results/clusters.json'] },
  { figure: 'figures/lambda-sweep', script: 'lambda-sweep.ts', inputs: ['figures/results/lambda-sweep.json'] },
  { figure: 'figures/ablations', script: 'ablations.ts', inputs: ['figures/results/ablations.json'] },
  { figure: 'figures/generalisation', script: 'generalisation.ts', inputs: ['figures/results/generalisation.json'] },
];

export const FIGURES_NOT_FROM_RESULTS: { figure: string; why: string }[] = [
  { figure: 'figures/model-samples', why: 'generates 28 images with the checkpoint data/base (minutes of CPU)' },
  { figure: 'figures/shape-disagreements', why: 'reads the PNGs scripts/experiments/agreement-diag.ts saves (not committed)' },
  { figure: 'figures/quickstart.png', why: '`srum quickstart` draws it from its run directory (not committed)' },
  { figure: 'figures/archive/', why: 'superseded figures kept for docs/history.md' },
];

const TS_NODE = require.resolve('ts-node/dist/bin.js');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: 'string', default: String(DEFAULT_JOBS) } }, strict: true });
  const started = performance.now();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-figures-'));
  const runs: SweepRun[] = [];
  for (const entry of FIGURES_FROM_RESULTS) {
    const script = path.join('scripts', 'figures', entry.script);
    const missing = [script, ...entry.inputs].filter((file) => !fs.existsSync(file));
    if (missing.length > 0) {
      console.log(`skipped ${entry.figure}: ${missing.join(', ')} not committed yet`);
      continue;
    }
    const name = path.basename(entry.figure);
    // Markers and logs in a fresh folder: every figure is redrawn, none counts as finished from an earlier call.
    runs.push({
      name,
      argv: ['node', TS_NODE, '--transpile-only', script, ...(entry.args ?? [])],
      done: path.join(scratch, `${name}.done`),
      doneBy: 'sweep',
    });
  }
  const result = await runSweep({ runs }, { jobs: Number(values.jobs) });
  console.log(sweepSummary(result));
  console.log('not redrawn (their inputs are not committed result files):');
  for (const { figure, why } of FIGURES_NOT_FROM_RESULTS) console.log(`  ${figure.padEnd(28)}${why}`);
  console.log(`${((performance.now() - started) / 1000).toFixed(0)} s in all`);
  const failed = Object.values(result.outcomes).filter((outcome) => outcome !== 'finished').length;
  if (failed > 0 || result.interrupted) throw new Error(`${failed} figure(s) not redrawn; their logs are in ${scratch}`);
  fs.rmSync(scratch, { recursive: true, force: true });
}

if (require.main === module) runScript(main);
