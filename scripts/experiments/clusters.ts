// Cluster activations (paper Fig. 5, Appendix B Algorithm 1): the understanding and generation clusters of MLP units
// are selected on the base model from held-aside data (train-split scenes of their own seed), then every model's
// average activation strength of each cluster is measured on understanding and on generation inputs of the val split
// (the same inputs for every model). Models: --model name=DIR (repeatable), DIR a checkpoint or a `srum run`
// directory (post-trained weights read as their EMA, lib/eval/compare.ts loadArm); seeds of one arm as name@seed=DIR,
// reported as their mean with the sd over seeds. The clusters come from the model named by --base (default base).
// Regenerate:
//   npx ts-node --transpile-only scripts/experiments/clusters.ts --model base=data/base --out figures/results/clusters.json
//   (with trained arms: --model sft@0=runs/gain/sft@0 --model srum@0=runs/gain/srum@0 ... as they exist)
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { writeJsonAtomic } from '../../lib/io';
import {
  computeClusters,
  measureClusterStrengths,
  summariseSeeds,
  unitsPerLayer,
  type ClusterReport,
  type ClusterStrengths,
  type UnitCluster,
} from '../../lib/eval/clusters';
import type { TaskDataOptions } from '../../lib/eval/activations';
import { armGroups, loadArm } from '../../lib/eval/compare';
import { disposeModel, type UnifiedModel } from '../../lib/model/params';
import type { Split } from '../../lib/world/types';
import { runScript } from '../lib/run-script';

/** name=DIR pairs, in the order given. */
function parseModels(specs: readonly string[]): [string, string][] {
  return specs.map((spec) => {
    const at = spec.indexOf('=');
    if (at <= 0 || at === spec.length - 1)
      throw new Error(`--model ${spec}: expected name=DIR (e.g. base=data/base, srum@0=runs/gain/srum@0)`);
    return [spec.slice(0, at), spec.slice(at + 1)];
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', multiple: true, default: ['base=data/base'] },
      base: { type: 'string', default: 'base' },
      fraction: { type: 'string', default: '0.05' },
      'selection-n': { type: 'string', default: '512' },
      'selection-seed': { type: 'string', default: '0' },
      'selection-split': { type: 'string', default: 'train' },
      n: { type: 'string', default: '512' },
      seed: { type: 'string', default: '1' },
      split: { type: 'string', default: 'val' },
      out: { type: 'string', default: 'figures/results/clusters.json' },
    },
    strict: true,
  });
  const models = parseModels(values.model);
  const baseSource = models.find(([name]) => name === values.base)?.[1];
  if (baseSource === undefined)
    throw new Error(`no --model named ${values.base} to select the clusters on (models: ${models.map(([n]) => n).join(', ')})`);
  const selection: TaskDataOptions = {
    n: Number(values['selection-n']),
    seed: Number(values['selection-seed']),
    split: values['selection-split'] as Split,
  };
  const measurement: TaskDataOptions = { n: Number(values.n), seed: Number(values.seed), split: values.split as Split };
  if (selection.split === measurement.split && selection.seed === measurement.seed)
    throw new Error('the selection data must be held aside from the measurement data: give it another split or seed');
  const fraction = Number(values.fraction);
  await initBackend({ quiet: true });
  const started = performance.now();
  const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;

  const base = loadArm(baseSource);
  const clusters = (() => {
    try {
      return computeClusters(base, selection, fraction);
    } finally {
      disposeModel(base);
    }
  })();
  const size = (cluster: UnitCluster): { size: number; per_layer: number[] } => ({
    size: cluster.units.length,
    per_layer: unitsPerLayer(base.config, cluster),
  });
  console.log(
    `clusters on ${values.base} (${elapsed()}): ${clusters.units} units, understanding ${clusters.understanding.units.length}, ` +
      `generation ${clusters.generation.units.length}`,
  );
  const strengths: Record<string, ClusterStrengths> = {};
  for (const [name, source] of models) {
    const model: UnifiedModel = loadArm(source);
    try {
      strengths[name] = measureClusterStrengths(model, clusters, measurement);
    } finally {
      disposeModel(model);
    }
    const { understanding_task: u, generation_task: g } = strengths[name].mean;
    const f = (x: number): string => x.toFixed(4);
    console.log(
      `${name} (${elapsed()}): understanding task: und ${f(u.understanding)} gen ${f(u.generation)}; ` +
        `generation task: und ${f(g.understanding)} gen ${f(g.generation)}`,
    );
  }
  const report: ClusterReport = {
    command: `npx ts-node --transpile-only scripts/experiments/clusters.ts ${process.argv.slice(2).join(' ')}`,
    selection: { ...selection, model: `${values.base}=${baseSource}`, fraction, units: clusters.units },
    measurement,
    clusters: { understanding: size(clusters.understanding), generation: size(clusters.generation) },
    models: summariseSeeds(strengths, armGroups(Object.keys(strengths))),
  };
  writeJsonAtomic(values.out, report);
  console.log(`wrote ${values.out} (${elapsed()})`);
}

runScript(main);
