// Functional cluster activations as grouped bars (paper Fig. 5): for each task (understanding, generation) and each
// cluster, one bar per model at its average activation strength S_final, with the sd over training seeds where an
// arm has seeds, else one standard error over the measurement images. Used by notebooks/07-cluster-activations.ipynb
// and scripts/figures/clusters.ts.
import { CLUSTER_NAMES, TASK_NAMES, type ClusterReport } from '../eval/clusters';
import { armLabel } from './arm-labels';
import { barChart } from './charts';
import type { Figure } from './figure';

export function clusterActivationChart(report: Pick<ClusterReport, 'clusters' | 'models'>, title?: string): Figure {
  const cells = TASK_NAMES.flatMap((task) => CLUSTER_NAMES.map((cluster) => ({ task, cluster })));
  const labels = cells.map(
    ({ task, cluster }) => `${task === 'understanding_task' ? 'understanding' : 'generation'} tasks<br>${cluster} cluster`,
  );
  const series = Object.entries(report.models).map(([name, model]) => {
    const seeds = model.per_seed === undefined ? 0 : Object.keys(model.per_seed).length;
    const spread = model.sd_over_seeds ?? model.sampling_se;
    const label = armLabel(name);
    return {
      name: seeds > 1 ? `${label} (mean ± sd over ${seeds} seeds)` : `${label} (± 1 SE over images)`,
      values: cells.map(({ task, cluster }) => model[task][cluster]),
      errors: cells.map(({ task, cluster }) => spread[task][cluster]),
    };
  });
  const { understanding, generation } = report.clusters;
  const sizes =
    understanding.size === generation.size
      ? `${understanding.size} units each`
      : `understanding ${understanding.size}, generation ${generation.size} units`;
  const figure = barChart(labels, series, {
    title: title ?? `Average activation strength of the functional clusters (${sizes})`,
    yTitle: 'mean GELU output per unit (unitless)',
  });
  figure.layout = {
    ...figure.layout,
    showlegend: true,
    width: 900,
    height: 480,
    margin: { t: 110 },
    legend: { orientation: 'h', yanchor: 'bottom', y: 1.02 },
  };
  return figure;
}
