// Layout and detail scores of x0_hat per sampling step (the paper's Figure 4), one panel each: one colour per arm, the
// independent evaluator solid with a band of one clustered standard error, the model's own judge dashed with a fainter
// band. Used by scripts/figures/per-step.ts and notebooks/04-per-step-scores.ipynb.
import type { PerStepArm } from '../eval/per-step';
import { armLabel } from './arm-labels';
import { panelTitle } from './charts';
import type { Figure, Trace } from './figure';

export interface PerStepChartData {
  /** 1-based sampling steps. */
  steps: number[];
  /** `source`, the arm's weights (as the result file records it), names its training seed in the legend. */
  arms: Record<string, PerStepArm & { source?: string }>;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

function rgba(hex: string, alpha: number): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** A line and, where the standard errors are finite, its band of mean ± 1 SE. */
function lineWithBand(
  steps: number[],
  values: { mean: number[]; se: number[] },
  style: { name: string; colour: string; dash: string; bandAlpha: number; axis: string; legend: boolean },
): Trace[] {
  const axes = { xaxis: `x${style.axis}`, yaxis: `y${style.axis}` };
  const line: Trace = {
    type: 'scatter',
    mode: 'lines+markers',
    name: style.name,
    legendgroup: style.name,
    showlegend: style.legend,
    x: steps,
    y: values.mean,
    line: { color: style.colour, dash: style.dash, width: 2 },
    marker: { size: 5 },
    ...axes,
  };
  if (!values.se.every((se) => Number.isFinite(se))) return [line];
  const band: Trace = {
    type: 'scatter',
    mode: 'lines',
    x: [...steps, ...[...steps].reverse()],
    y: [...values.mean.map((m, k) => m + values.se[k]), ...values.mean.map((m, k) => m - values.se[k]).reverse()],
    fill: 'toself',
    fillcolor: rgba(style.colour, style.bandAlpha),
    line: { width: 0 },
    hoverinfo: 'skip',
    showlegend: false,
    legendgroup: style.name,
    ...axes,
  };
  return [band, line];
}

export function perStepChart(data: PerStepChartData, options: { title?: string } = {}): Figure {
  const traces: Trace[] = [];
  const panels = [
    { axis: '', key: 'layout' as const },
    { axis: '2', key: 'detail' as const },
  ];
  Object.entries(data.arms).forEach(([armName, arm], i) => {
    const name = armLabel(armName, arm.source);
    const colour = COLOURS[i % COLOURS.length];
    for (const { axis, key } of panels) {
      const legend = axis === '';
      traces.push(
        ...lineWithBand(
          data.steps,
          { mean: arm[key], se: arm[`${key}_se`] },
          { name, colour, dash: 'solid', bandAlpha: 0.18, axis, legend },
        ),
      );
      const [judgeMean, judgeSe] = [arm[`judge_${key}`], arm[`judge_${key}_se`]];
      if (judgeMean !== undefined && judgeSe !== undefined)
        traces.push(
          ...lineWithBand(
            data.steps,
            { mean: judgeMean, se: judgeSe },
            { name, colour, dash: 'dash', bandAlpha: 0.07, axis, legend: false },
          ),
        );
    }
  });
  // Two legend-only entries explain the line styles once.
  for (const [name, dash] of [
    ['independent evaluator', 'solid'],
    ["model's own judge", 'dash'],
  ])
    traces.push({ type: 'scatter', mode: 'lines', name, x: [null], y: [null], line: { color: '#555', dash }, showlegend: true });
  const steps = data.steps.length;
  const axisTitle = (text: string): { text: string } => ({ text });
  return {
    data: traces,
    layout: {
      title: { text: options.title ?? 'Layout and detail of the predicted clean image at each sampling step' },
      width: 1000,
      height: 500,
      margin: { t: 90, b: 130, l: 70, r: 20 },
      xaxis: { domain: [0, 0.46], title: axisTitle(`sampling step (of ${steps}; noise level t falls from 1)`), dtick: 1 },
      xaxis2: { domain: [0.54, 1], title: axisTitle(`sampling step (of ${steps}; noise level t falls from 1)`), dtick: 1, anchor: 'y2' },
      yaxis: { title: axisTitle('constraints satisfied (%)'), range: [0, 100] },
      yaxis2: { title: axisTitle('constraints satisfied (%)'), range: [0, 100], anchor: 'x2' },
      annotations: [panelTitle('layout: positions, relations, counts', 0.23), panelTitle('detail: colour, shape, texture, size', 0.77)],
      legend: { orientation: 'h', x: 0.5, xanchor: 'center', y: -0.22, yanchor: 'top' },
    },
  };
}
