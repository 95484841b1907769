// The lambda sweep and the ablations (the paper's Figure 3, right and left) from their result files
// (lib/eval/sweep-results.ts): each point or bar is the seed-averaged arm minus the base, paired on the protocol's
// images, with ± 1 SE clustered by prompt; a dot per training seed shows the seeds' spread beside it.
// Used by scripts/figures/lambda-sweep.ts, scripts/figures/ablations.ts and notebooks 05 and 06.
import type { AblationResult, ArmRows, Difference, LambdaSweepResult, Provenance } from '../eval/sweep-results';
import { mean, std } from '../run/results';
import { armLabel } from './arm-labels';
import { barChart, lineChart, panelTitle } from './charts';
import type { Figure, Trace } from './figure';

const THINK_COLOUR = '#1f77b4';
const NORMAL_COLOUR = '#ff7f0e';
const UNDERSTANDING_COLOUR = '#2ca02c';
const GAIN_AXIS = 'evaluator pass rate − base (percentage points)';

const signed = (d: Difference): string => `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(1)} ± ${d.se.toFixed(1)}`;

/** Each training seed's pass rate minus the base's (the same images, so its paired mean), [row][seed]. */
const seedGains = (rows: ArmRows): number[][] => rows.overall.map((seeds) => seeds.map((v) => v - rows.base.overall));

/** Open markers, one per training seed, at (x, y) pairs. */
function seedDots(name: string, colour: string, x: Array<number | string>, y: Array<number | string>): Trace {
  return { type: 'scatter', mode: 'markers', name, x, y, marker: { color: colour, size: 7, symbol: 'circle-open', opacity: 0.7 } };
}

/** The protocol under a figure's title: split, prompts, draws, training seeds, and what carries the SE. */
export function protocolLine(r: Provenance, errors = 'error bars'): string {
  const { split, n_prompts, draws } = r.protocol;
  const seeds = r.seeds.length === 1 ? '1 training seed' : `${r.seeds.length} training seeds`;
  return `${split} split, ${n_prompts} prompts x ${draws} draws, ${seeds}; ${errors} ± 1 SE clustered by prompt`;
}

/**
 * Pass rate minus base against lambda_c (evenly spaced ticks), think mode and, when scored, normal mode (against the
 * base in normal mode), with a dot per seed; a small panel beside it: understanding accuracy of the same checkpoints.
 */
export function lambdaSweepChart(result: LambdaSweepResult, options: { title?: string } = {}): Figure {
  const ticks = result.lambdas.map((_, i) => i);
  const modes = [
    { name: 'think mode', rows: result as ArmRows, colour: THINK_COLOUR, shift: result.normal === undefined ? 0 : -0.08 },
    ...(result.normal === undefined
      ? []
      : [{ name: 'normal mode (vs base in normal mode)', rows: result.normal, colour: NORMAL_COLOUR, shift: 0.08 }]),
  ];
  const jitter = (s: number): number => (s - (result.seeds.length - 1) / 2) * 0.03;
  const gains = lineChart(
    modes.map((m) => ({
      name: `${m.name}: mean ± 1 SE`,
      x: ticks.map((i) => i + m.shift),
      y: m.rows.minus_base.map((d) => d.mean),
      errors: m.rows.minus_base.map((d) => d.se),
    })),
  );
  gains.data.forEach((trace, k) => Object.assign(trace, { line: { color: modes[k].colour }, marker: { color: modes[k].colour, size: 8 } }));
  const dots = modes.map((m) => {
    const perSeed = seedGains(m.rows);
    const x = ticks.flatMap((i) => perSeed[i].map((_, s) => i + m.shift + jitter(s)));
    return seedDots(`${m.name}: each training seed`, m.colour, x, perSeed.flat());
  });
  // Understanding reads no sampler: the think-mode rows stand for both modes' checkpoints.
  const understanding = lineChart([
    {
      name: result.seeds.length > 1 ? 'understanding: mean ± sd over seeds' : 'understanding',
      x: ticks,
      y: result.understanding.map((u) => mean(u)),
      ...(result.seeds.length > 1 ? { errors: result.understanding.map((u) => std(u)) } : {}),
    },
  ]).data.map((trace) => ({
    ...trace,
    line: { color: UNDERSTANDING_COLOUR },
    marker: { color: UNDERSTANDING_COLOUR },
    xaxis: 'x2',
    yaxis: 'y2',
  }));
  const baseUnderstanding: Trace = {
    type: 'scatter',
    mode: 'lines',
    name: `base understanding (${result.base.understanding.toFixed(1)}%)`,
    x: [-0.4, ticks.length - 0.6],
    y: [result.base.understanding, result.base.understanding],
    line: { color: '#555', dash: 'dash', width: 1.5 },
    xaxis: 'x2',
    yaxis: 'y2',
  };
  const lambdaAxis = {
    title: { text: 'λ<sub>c</sub>, weight of the reference term' },
    tickmode: 'array',
    tickvals: ticks,
    ticktext: result.lambdas.map(String),
    range: [-0.5, ticks.length - 0.5],
    zeroline: false, // x is the tick index, not a value
  };
  const title = options.title ?? `Generation against the base by reference weight λ<sub>c</sub><br><sup>${protocolLine(result)}</sup>`;
  return {
    data: [...gains.data, ...dots, ...understanding, baseUnderstanding],
    layout: {
      title: { text: title },
      width: 1000,
      height: 540,
      margin: { t: 100, b: 160, l: 80, r: 30 },
      xaxis: { ...lambdaAxis, domain: [0, 0.62] },
      yaxis: { title: { text: GAIN_AXIS }, zeroline: true, zerolinecolor: '#888' },
      xaxis2: { ...lambdaAxis, title: { text: 'λ<sub>c</sub>' }, domain: [0.72, 1], anchor: 'y2' },
      yaxis2: { title: { text: 'understanding accuracy (%)' }, anchor: 'x2' },
      annotations: [panelTitle('generation: pass rate − base', 0.31), panelTitle('understanding, same checkpoints', 0.86)],
      legend: { orientation: 'h', x: 0.5, xanchor: 'center', y: -0.2, yanchor: 'top' },
      showlegend: true,
    },
  };
}

/** Horizontal bars, full SRUM first: each row's pass rate minus base, its difference to full and understanding beside. */
export function ablationChart(result: AblationResult, options: { title?: string } = {}): Figure {
  const labels = result.rows.map((row, i) => {
    const d = result.minus_full[i];
    const understanding = `understanding ${mean(result.understanding[i]).toFixed(1)}%`;
    return d === null ? `<b>${armLabel(row)}</b><br>${understanding}` : `${armLabel(row)}<br>vs full ${signed(d)}, ${understanding}`;
  });
  const seedNote = result.seeds.length > 1 ? 'mean over seeds' : 'one seed';
  const figure = barChart(
    labels,
    [
      {
        name: `${seedNote} ± 1 SE clustered by prompt`,
        values: result.minus_base.map((d) => d.mean),
        errors: result.minus_base.map((d) => d.se),
      },
    ],
    {
      orientation: 'h',
      title:
        options.title ??
        `Ablations of SRUM: pass rate against the base<br><sup>${protocolLine(result)}; base understanding ${result.base.understanding.toFixed(1)}%</sup>`,
      xTitle: GAIN_AXIS,
    },
  );
  figure.data[0].marker = { color: result.rows.map((row) => (row === 'full' ? THINK_COLOUR : '#9ecae1')) };
  const perSeed = seedGains(result);
  const dotRows = labels.flatMap((label, i) => perSeed[i].map(() => label)); // the dots sit on their bars
  figure.data.push(seedDots('each training seed', '#333', perSeed.flat(), dotRows));
  const margin = { t: 100, b: 120, l: 300, r: 30 };
  const rowHeight = 80;
  figure.layout = {
    ...figure.layout,
    width: 900,
    height: margin.t + margin.b + rowHeight * result.rows.length,
    margin,
    xaxis: { ...(figure.layout.xaxis as object), zeroline: true, zerolinecolor: '#888' },
    // 70 px below the plot area, under the axis title, however many rows
    legend: { orientation: 'h', x: 0.5, xanchor: 'center', y: -70 / (rowHeight * result.rows.length), yanchor: 'top' },
    showlegend: true,
  };
  return figure;
}
