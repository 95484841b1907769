// A plotly figure as plain JSON: what the builders return, what `show` displays and `exportFigure` draws.
// Traces and layouts stay open records (plotly has hundreds of attributes); the builders in charts.ts
// are the typed way in, and any figure can still be tweaked by hand before it is shown.

/** One plotly trace: its `type` ('bar', 'scatter', 'image', 'heatmap', ...) and plotly attributes. */
export interface Trace {
  type: string;
  [attribute: string]: unknown;
}

/** Plotly layout attributes (title, axes, grid, width, height, annotations, ...). */
export type Layout = Record<string, unknown>;

export interface Figure {
  data: Trace[];
  layout: Layout;
}

/** Size used when a figure's layout sets none (pixels). */
export const DEFAULT_FIGURE_SIZE = { width: 700, height: 450 } as const;

/** The figure's drawing size: layout.width/height when set, else the default. */
export function figureSize(figure: Figure): { width: number; height: number } {
  const { width, height } = figure.layout;
  return {
    width: typeof width === 'number' ? width : DEFAULT_FIGURE_SIZE.width,
    height: typeof height === 'number' ? height : DEFAULT_FIGURE_SIZE.height,
  };
}

/** The title text of a figure, if it has one (layout.title is a string or { text }). */
export function figureTitle(figure: Figure): string | undefined {
  const title = figure.layout.title;
  if (typeof title === 'string') return title;
  if (title !== null && typeof title === 'object' && 'text' in title && typeof title.text === 'string') return title.text;
  return undefined;
}

/** A one-line description for text-only outputs: "Figure 'Samples': 8 traces (image)". */
export function describeFigure(figure: Figure): string {
  const types = [...new Set(figure.data.map((trace) => trace.type))].join(', ');
  const title = figureTitle(figure);
  const count = figure.data.length;
  return `Figure${title ? ` '${title}'` : ''}: ${count} trace${count === 1 ? '' : 's'}${types ? ` (${types})` : ''}`;
}
