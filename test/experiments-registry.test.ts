// The experiment registry (scripts/experiments/registry.ts) stays in step with the committed results: every
// figures/results/*.json is named by one experiment, every script it runs exists, and every experiment that has
// commands makes a valid sweep whose steps wait for what they need.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSweepSpec } from '../lib/run/sweep';
import { EXPERIMENTS, experimentSweep, findExperiment } from '../scripts/experiments/registry';

const repo = path.resolve(__dirname, '..');

describe('experiment registry', () => {
  it('names every committed result file once', () => {
    const committed = fs
      .readdirSync(path.join(repo, 'figures', 'results'))
      .filter((name) => name.endsWith('.json'))
      .map((name) => `figures/results/${name}`);
    const named = EXPERIMENTS.flatMap((e) => e.results);
    expect(new Set(named).size).toBe(named.length);
    expect(committed.filter((file) => !named.includes(file))).toEqual([]);
  });

  it('runs only scripts that exist, and every experiment with commands is a valid sweep', () => {
    expect(new Set(EXPERIMENTS.map((e) => e.name)).size).toBe(EXPERIMENTS.length);
    for (const experiment of EXPERIMENTS) {
      const scripts = experiment.steps.flatMap((step) => step.argv.filter((arg) => /^scripts\/.*\.ts$/.test(arg)));
      for (const script of scripts) expect(fs.existsSync(path.join(repo, script)), script).toBe(true);
      if (experiment.steps.length === 0) {
        expect(experiment.note, `${experiment.name} says why it has no commands`).toBeDefined();
        expect(() => experimentSweep(experiment)).toThrow('cannot be rerun by commands');
      } else {
        expect(() => checkSweepSpec({ runs: experimentSweep(experiment) }, experiment.name)).not.toThrow();
      }
    }
  });

  it('puts the steps an experiment needs before its own, and parallel steps side by side', () => {
    const runs = experimentSweep(findExperiment('sampler-val'));
    expect(runs.map((run) => run.name)).toEqual([
      'controls/train-replay',
      'controls/train-gt_sft',
      'controls/score',
      'sampler-val/compare',
    ]);
    expect(runs[1].after).toEqual([]);
    expect(runs[2].after).toEqual(['controls/train-replay', 'controls/train-gt_sft']);
    expect(runs[3].after).toEqual(['controls/train-replay', 'controls/train-gt_sft', 'controls/score']);
    expect(runs.every((run) => run.doneBy === 'sweep' && run.done.startsWith('runs/experiments/'))).toBe(true);
  });
});
