// Generalisation across category groups (the design of the paper's Figure 6) from its result file
// (lib/eval/generalisation.ts): a row per group trained on, a column per category evaluated on (grouped as the
// groups are), then the held-out colour-shape pairs and, when computed, the row's own group and the other groups.
// Each cell is the arm minus the base in percentage points, paired on the protocol's images, written in the cell
// with ± 1 SE clustered by prompt (and on hover); the categories a row trained on are outlined.
// Used by scripts/figures/generalisation.ts.
import { generalisationColumns, type GeneralisationResult } from '../eval/generalisation';
import { heatmap } from './charts';
import type { Figure } from './figure';
import { protocolLine } from './sweep';

const CELL_PX = 84;
/** Red below the base, white at no change, blue above (ColorBrewer RdBu). */
const DIVERGING = [
  [0, '#b2182b'],
  [0.25, '#ef8a62'],
  [0.5, '#f7f7f7'],
  [0.75, '#67a9cf'],
  [1, '#2166ac'],
];
const MARGIN = { t: 110, b: 110, l: 110, r: 130 };

export function generalisationChart(result: GeneralisationResult, options: { title?: string } = {}): Figure {
  const columns = generalisationColumns(result);
  const cells = result.trained_on.map((group) => columns.map((c) => result.minus_base[group][c.key] ?? { mean: NaN, se: NaN }));
  const means = cells.map((row) => row.map((d) => d.mean));
  // Symmetric about 0, so white is no change; 1.5x the largest cell keeps the cell text readable on the darkest colour.
  const extent = 1.5 * Math.max(1, ...means.flat().filter(Number.isFinite).map(Math.abs));
  const figure = heatmap(means, { zRange: [-extent, extent], xTitle: 'evaluated on', yTitle: 'trained on' });
  const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
  Object.assign(figure.data[0], {
    x: columns.map((c) => c.label),
    y: result.trained_on,
    text: cells.map((row) => row.map((d) => (Number.isNaN(d.mean) ? '' : `${signed(d.mean)}<br>± ${d.se.toFixed(1)}`))),
    texttemplate: '%{text}',
    customdata: cells.map((row) => row.map((d) => d.se)),
    hovertemplate: 'trained on %{y}, evaluated on %{x}: %{z:+.1f} ± %{customdata:.1f} points<extra></extra>',
    colorscale: DIVERGING,
    colorbar: { title: { text: 'points' } },
  });
  // The categories each row trained on: one outlined block (the columns list each group's categories together).
  const trainedOn = (group: string, key: string): boolean => (result.groups[group] as readonly string[]).includes(key);
  const outlines = result.trained_on.map((group, row) => {
    const own = columns.map((c, k) => (trainedOn(group, c.key) ? k : -1)).filter((k) => k >= 0);
    const [x0, x1] = [Math.min(...own) - 0.5, Math.max(...own) + 0.5];
    return { type: 'rect', xref: 'x', yref: 'y', x0, x1, y0: row - 0.5, y1: row + 0.5, line: { color: '#222', width: 3 } };
  });
  // A line between the categories and the aggregate columns after them.
  const x = columns.filter((c) => Object.keys(result.groups).some((group) => trainedOn(group, c.key))).length - 0.5;
  const divider = { type: 'line', xref: 'x', yref: 'paper', x0: x, x1: x, y0: 0, y1: 1, line: { color: '#888', width: 2, dash: 'dot' } };
  const title =
    options.title ??
    `Trained on one group of categories, evaluated on all: pass rate − base (points)<br><sup>${protocolLine(result, 'cells')}; ` +
      'outlined: the categories the row trained on</sup>';
  figure.layout = {
    ...figure.layout,
    title: { text: title },
    width: MARGIN.l + MARGIN.r + CELL_PX * columns.length,
    height: MARGIN.t + MARGIN.b + CELL_PX * result.trained_on.length,
    margin: MARGIN,
    shapes: [...outlines, ...(x < columns.length - 1 ? [divider] : [])],
  };
  return figure;
}
