// Functional clusters of MLP units and their average activation strength (paper Fig. 5 and Appendix B, Algorithm 1).
// The paper pre-computes an "understanding" and a "generation" cluster (sets of neuron indices) without saying how;
// here, as in functional localisers of language models (AlKhamissi et al. 2024, "The LLM Language Network"), a unit's
// task selectivity is Welch's t of its activations on understanding samples against generation samples of held-aside
// data, and each cluster is the top `fraction` of units by t (understanding) or by -t (generation), only units with
// t > 0 (resp. t < 0): the two clusters are disjoint. Then, per model and task dataset D_T:
//   Eq. 4: S_sample(M, C, x) = 1/|C| sum_{i in C} a_i(x)
//   Eq. 5: S_final(M, C, D_T) = 1/|D_T| sum_{x in D_T} S_sample(M, C, x)
// with a standard error clustered by image (an understanding image gives three samples). a_i(x): activations.ts.
import type { ModelConfig } from '../model/config';
import type { UnifiedModel } from '../model/params';
import { recordTaskActivations, TASK_KINDS, unitLayer, type TaskActivations, type TaskDataOptions, type TaskKind } from './activations';
import { clusteredMean } from './gap';

/** A functional cluster: unit indices (activations.ts numbering) and their selectivity. */
export interface UnitCluster {
  /** Unit indices, most selective first. */
  units: number[];
  /** Welch's t of each unit in `units` (understanding minus generation). */
  t: number[];
}

export interface FunctionalClusters {
  understanding: UnitCluster;
  generation: UnitCluster;
  /** Units the selection ranked (every MLP unit). */
  units: number;
  /** Share of the units each cluster takes. */
  fraction: number;
}

/** Per unit: Welch's t = (mean_u - mean_g) / sqrt(var_u / n_u + var_g / n_g), the task selectivity. */
export function taskSelectivity(understanding: TaskActivations, generation: TaskActivations): Float64Array {
  if (understanding.units !== generation.units) throw new Error(`taskSelectivity: ${understanding.units} vs ${generation.units} units`);
  const [u, g] = [unitMoments(understanding), unitMoments(generation)];
  return u.mean.map((mu, i) => {
    const se = Math.sqrt(u.variance[i] / u.n + g.variance[i] / g.n);
    return se > 0 ? (mu - g.mean[i]) / se : 0;
  });
}

/** Mean and sample variance of every unit over the samples. */
function unitMoments({ units, values }: TaskActivations): { mean: Float64Array; variance: Float64Array; n: number } {
  const n = values.length / units;
  if (n < 2) throw new Error(`unitMoments: ${n} samples (need at least 2)`);
  const mean = new Float64Array(units);
  const squares = new Float64Array(units);
  for (let s = 0; s < n; s++) for (let i = 0; i < units; i++) mean[i] += values[s * units + i] / n;
  for (let s = 0; s < n; s++) for (let i = 0; i < units; i++) squares[i] += (values[s * units + i] - mean[i]) ** 2;
  return { mean, variance: squares.map((q) => q / (n - 1)), n };
}

/** The two clusters from activations on held-aside data: the top `fraction` of units by t and by -t (see above). */
export function selectClusters(understanding: TaskActivations, generation: TaskActivations, fraction: number): FunctionalClusters {
  if (!(fraction > 0 && fraction <= 0.5)) throw new Error(`selectClusters: fraction must lie in (0, 0.5], got ${fraction}`);
  const t = taskSelectivity(understanding, generation);
  const size = Math.max(1, Math.round(fraction * t.length));
  const top = (sign: 1 | -1): UnitCluster => {
    const units = Array.from(t.keys())
      .filter((i) => sign * t[i] > 0)
      .sort((a, b) => sign * (t[b] - t[a]) || a - b) // ties: the lower index first (deterministic)
      .slice(0, size);
    return { units, t: units.map((i) => t[i]) };
  };
  return { understanding: top(1), generation: top(-1), units: t.length, fraction };
}

/** Cluster sizes per block (where in the depth the clusters live). */
export function unitsPerLayer(config: ModelConfig, cluster: UnitCluster): number[] {
  const counts = new Array<number>(config.nLayers).fill(0);
  for (const unit of cluster.units) counts[unitLayer(config, unit)] += 1;
  return counts;
}

export type ClusterName = 'understanding' | 'generation';
export type TaskName = `${TaskKind}_task`;
/** S_final of each cluster (inner key) on each task's dataset (outer key). */
export type StrengthTable = Record<TaskName, Record<ClusterName, number>>;

export interface ClusterStrengths {
  /** Eq. 5 per task and cluster. */
  mean: StrengthTable;
  /** Standard error of each mean over the dataset's images (clustered by image). */
  se: StrengthTable;
}

/** Eq. 4 and 5 of one cluster on one task's samples: mean and standard error clustered by image. */
export function clusterStrength(activations: TaskActivations, cluster: UnitCluster): { mean: number; se: number } {
  const { units, values, imageIds } = activations;
  if (cluster.units.length === 0) throw new Error('clusterStrength: an empty cluster');
  const perSample = imageIds.map((_, s) => cluster.units.reduce((sum, i) => sum + values[s * units + i], 0) / cluster.units.length);
  const { mean, se } = clusteredMean(perSample, imageIds);
  return { mean, se };
}

/** Algorithm 1 for one model: record both tasks' activations on the measurement data, then every cluster's strength. */
export function measureClusterStrengths(model: UnifiedModel, clusters: FunctionalClusters, data: TaskDataOptions): ClusterStrengths {
  const mean = {} as StrengthTable;
  const se = {} as StrengthTable;
  for (const task of TASK_KINDS) {
    const activations = recordTaskActivations(model, task, data);
    if (activations.units !== clusters.units)
      throw new Error(`the clusters rank ${clusters.units} units, this model has ${activations.units}`);
    const name: TaskName = `${task}_task`;
    const understanding = clusterStrength(activations, clusters.understanding);
    const generation = clusterStrength(activations, clusters.generation);
    mean[name] = { understanding: understanding.mean, generation: generation.mean };
    se[name] = { understanding: understanding.se, generation: generation.se };
  }
  return { mean, se };
}

/** Selects the clusters on `model` (the base) from its activations on held-aside data of both tasks. */
export function computeClusters(model: UnifiedModel, selection: TaskDataOptions, fraction: number): FunctionalClusters {
  const understanding = recordTaskActivations(model, 'understanding', selection);
  const generation = recordTaskActivations(model, 'generation', selection);
  return selectClusters(understanding, generation, fraction);
}

/** One model (or the seeds of one arm) in the report: S_final per task and cluster, and its noise. */
export type ModelClusterStrengths = StrengthTable & {
  /** Standard error over the measurement images (one model; with seeds, the root mean square of the seeds' SEs). */
  sampling_se: StrengthTable;
  /** Sample standard deviation over training seeds (arms named name@seed with at least two seeds). */
  sd_over_seeds?: StrengthTable;
  /** Each seed's S_final (arms named name@seed). */
  per_seed?: Record<string, StrengthTable>;
};

/** figures/results/clusters.json. */
export interface ClusterReport {
  command: string;
  /** Where the clusters were selected (held aside from the measurement data) and how large they are. */
  selection: TaskDataOptions & { model: string; fraction: number; units: number };
  measurement: TaskDataOptions;
  clusters: Record<ClusterName, { size: number; per_layer: number[] }>;
  /** Arm name (seeds grouped) -> strengths. */
  models: Record<string, ModelClusterStrengths>;
}

export const TASK_NAMES: readonly TaskName[] = ['understanding_task', 'generation_task'];
export const CLUSTER_NAMES: readonly ClusterName[] = ['understanding', 'generation'];

/** A table whose every cell is f(task, cluster). */
function table(f: (task: TaskName, cluster: ClusterName) => number): StrengthTable {
  const cells = (task: TaskName): Record<ClusterName, number> => ({
    understanding: f(task, 'understanding'),
    generation: f(task, 'generation'),
  });
  return { understanding_task: cells(TASK_NAMES[0]), generation_task: cells(TASK_NAMES[1]) };
}

/**
 * Groups arms named `name@seed` under `name` (lib/eval/compare.ts armGroups): the mean over seeds, their sample sd and
 * each seed's values. An arm without seeds keeps its own numbers.
 */
export function summariseSeeds(
  arms: Record<string, ClusterStrengths>,
  groups: Map<string, string[]>,
): Record<string, ModelClusterStrengths> {
  const out: Record<string, ModelClusterStrengths> = {};
  for (const [group, members] of groups) {
    const k = members.length;
    const cell = (task: TaskName, cluster: ClusterName, of: 'mean' | 'se'): number[] => members.map((m) => arms[m][of][task][cluster]);
    const mean = table((task, cluster) => cell(task, cluster, 'mean').reduce((a, b) => a + b, 0) / k);
    const summary: ModelClusterStrengths = {
      ...mean,
      sampling_se: table((task, cluster) => Math.sqrt(cell(task, cluster, 'se').reduce((a, b) => a + b * b, 0) / k)),
    };
    if (k > 1) {
      summary.sd_over_seeds = table((task, cluster) => {
        const m = mean[task][cluster];
        return Math.sqrt(cell(task, cluster, 'mean').reduce((a, v) => a + (v - m) ** 2, 0) / (k - 1));
      });
      summary.per_seed = Object.fromEntries(members.map((m) => [m, arms[m].mean]));
    }
    out[group] = summary;
  }
  return out;
}
