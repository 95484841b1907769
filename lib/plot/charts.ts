// Small generic figure builders. Each returns a plain Figure; notebooks and scripts add the
// research-specific meaning (which images, which scores) and may edit the figure before showing it.
import { encodePng } from '../world/png';
import { RgbImage } from '../world/types';
import { Figure, Trace } from './figure';

export interface ImageGridOptions {
  /** One caption per image (drawn above it). */
  titles?: string[];
  /** Figure title. */
  title?: string;
  /** Images per row (default: all in one row, at most 8). */
  columns?: number;
  /** Drawn side of each image in pixels (small images are upscaled without smoothing). */
  cellSize?: number;
}

/** Plotly breaks annotation text only at `<br>`, so captions are wrapped here, at words, to the cell width.
 *  A character of the 11-px caption font is about 6.2 px wide on average; a line is 14 px high. */
const CAPTION_CHAR_PX = 6.2;
const CAPTION_LINE_PX = 14;

function wrapCaption(text: string, maxChars: number): string[] {
  const visibleLength = (s: string): number => s.replace(/<[^>]*>/g, '').length;
  const lines: string[] = [];
  for (const paragraph of text.split('<br>')) {
    let line = '';
    for (const word of paragraph.split(' ').filter((w) => w.length > 0)) {
      const longer = line ? `${line} ${word}` : word;
      if (line && visibleLength(longer) > maxChars) {
        lines.push(line);
        line = word;
      } else line = longer;
    }
    lines.push(line);
  }
  return lines;
}

/** Images side by side, one subplot each, pixels kept sharp. Images travel as PNG data URIs (compact JSON). */
export function imageGrid(images: RgbImage[], options: ImageGridOptions = {}): Figure {
  if (images.length === 0) throw new Error('imageGrid: no images');
  if (options.titles && options.titles.length !== images.length) {
    throw new Error(`imageGrid: ${images.length} images but ${options.titles.length} titles`);
  }
  const columns = Math.max(1, Math.min(options.columns ?? Math.min(images.length, 8), images.length));
  const rows = Math.ceil(images.length / columns);
  const cellSize = options.cellSize ?? 128;
  const captions = options.titles?.map((title) => wrapCaption(title, Math.max(8, Math.floor((cellSize + 8) / CAPTION_CHAR_PX))));
  const captionHeight = captions ? 8 + CAPTION_LINE_PX * Math.max(...captions.map((lines) => lines.length)) : 4;
  const margin = { l: 10, r: 10, t: options.title ? 50 : 10, b: 10 };
  const width = margin.l + margin.r + columns * (cellSize + 8);
  const height = margin.t + margin.b + rows * (cellSize + captionHeight);
  const plotHeight = height - margin.t - margin.b;
  const layout: Figure['layout'] = {
    width,
    height,
    margin,
    showlegend: false,
    annotations: [] as unknown[],
  };
  if (options.title) layout.title = { text: options.title };
  const data: Trace[] = images.map((image, i) => {
    const axis = i === 0 ? '' : String(i + 1);
    const column = i % columns;
    const row = Math.floor(i / columns);
    const gap = 4 / (width - margin.l - margin.r);
    const top = 1 - (row * (cellSize + captionHeight) + captionHeight) / plotHeight;
    const bottom = 1 - ((row + 1) * (cellSize + captionHeight)) / plotHeight;
    layout[`xaxis${axis}`] = { domain: [column / columns + gap, (column + 1) / columns - gap], visible: false };
    layout[`yaxis${axis}`] = { domain: [Math.max(0, bottom), top], visible: false, scaleanchor: `x${axis}` };
    const caption = captions?.[i].join('<br>');
    if (caption !== undefined) {
      (layout.annotations as unknown[]).push({
        text: caption,
        showarrow: false,
        xref: `x${axis} domain`,
        yref: `y${axis} domain`,
        x: 0.5,
        y: 1,
        yanchor: 'bottom',
        font: { size: 11 },
      });
    }
    const png = encodePng(image).toString('base64');
    return { type: 'image', source: `data:image/png;base64,${png}`, xaxis: `x${axis}`, yaxis: `y${axis}`, hoverinfo: 'x+y' };
  });
  return { data, layout };
}

export interface BarSeries {
  name: string;
  values: number[];
  /** Optional symmetric error bars (e.g. a standard deviation over seeds). */
  errors?: number[];
}

export interface ChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Fixed value range of the y axis. */
  yRange?: [number, number];
}

/**
 * A wide bar chart with its legend in the top margin, above the plot area, so it never covers bars that reach the top.
 * `top`: the margin the legend's rows need.
 */
export function legendAbove(figure: Figure, width: number, height: number, top: number): Figure {
  figure.layout = { ...figure.layout, width, height, margin: { t: top }, legend: { orientation: 'h', yanchor: 'bottom', y: 1.02 } };
  return figure;
}

export interface BarChartOptions extends ChartOptions {
  /** 'h': horizontal bars, labels down the y axis (first at the top) and values along x (xTitle names them). */
  orientation?: 'v' | 'h';
}

/** Grouped bars: one group per label, one bar per series. */
export function barChart(labels: string[], series: BarSeries[], options: BarChartOptions = {}): Figure {
  for (const s of series) {
    if (s.values.length !== labels.length)
      throw new Error(`barChart: series '${s.name}' has ${s.values.length} values for ${labels.length} labels`);
    if (s.errors && s.errors.length !== labels.length)
      throw new Error(`barChart: series '${s.name}' has ${s.errors.length} errors for ${labels.length} labels`);
  }
  const horizontal = options.orientation === 'h';
  const data: Trace[] = series.map((s) => ({
    type: 'bar',
    name: s.name,
    ...(horizontal ? { orientation: 'h', x: s.values, y: labels } : { x: labels, y: s.values }),
    ...(s.errors ? { [horizontal ? 'error_x' : 'error_y']: { type: 'data', array: s.errors, visible: true } } : {}),
  }));
  const layout: Figure['layout'] = { barmode: 'group', ...axisLayout(options), showlegend: series.length > 1 };
  if (horizontal) layout.yaxis = { ...(layout.yaxis as object), autorange: 'reversed' };
  return { data, layout };
}

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** Optional symmetric error bars (e.g. a clustered standard error). */
  errors?: number[];
}

/** Lines with markers, one per series (loss curves, per-step scores, sweeps). */
export function lineChart(series: LineSeries[], options: ChartOptions = {}): Figure {
  for (const s of series) {
    if (s.x.length !== s.y.length) throw new Error(`lineChart: series '${s.name}' has ${s.x.length} x and ${s.y.length} y values`);
    if (s.errors && s.errors.length !== s.y.length)
      throw new Error(`lineChart: series '${s.name}' has ${s.errors.length} errors for ${s.y.length} values`);
  }
  const data: Trace[] = series.map((s) => ({
    type: 'scatter',
    mode: 'lines+markers',
    name: s.name,
    x: s.x,
    y: s.y,
    ...(s.errors ? { error_y: { type: 'data', array: s.errors, visible: true } } : {}),
  }));
  return { data, layout: { ...axisLayout(options), showlegend: series.length > 1 } };
}

export interface HeatmapOptions extends ChartOptions {
  /** Value range mapped to the colour scale (default: the data's range). */
  zRange?: [number, number];
  /** A plotly colour scale name ('RdBu', 'Viridis', ...). */
  colorscale?: string;
}

/** A matrix as coloured cells, row 0 at the top (image convention): reward maps, confusion matrices. */
export function heatmap(values: number[][], options: HeatmapOptions = {}): Figure {
  const trace: Trace = { type: 'heatmap', z: values, colorscale: options.colorscale ?? 'Viridis' };
  if (options.zRange) Object.assign(trace, { zmin: options.zRange[0], zmax: options.zRange[1] });
  const layout = axisLayout(options);
  // Square cells, no grid lines or zero lines across the cells.
  const cellAxis = { showgrid: false, zeroline: false, constrain: 'domain' };
  layout.xaxis = { ...(layout.xaxis as object), ...cellAxis };
  layout.yaxis = { ...(layout.yaxis as object), ...cellAxis, autorange: 'reversed', scaleanchor: 'x' };
  return { data: [trace], layout };
}

/** A subplot's title: an annotation centred at `x` (paper coordinates) just above the plot area. */
export function panelTitle(text: string, x: number): Record<string, unknown> {
  return { text, x, y: 1.02, xref: 'paper', yref: 'paper', xanchor: 'center', yanchor: 'bottom', showarrow: false, font: { size: 14 } };
}

function axisLayout(options: ChartOptions): Figure['layout'] {
  return {
    ...(options.title ? { title: { text: options.title } } : {}),
    xaxis: options.xTitle ? { title: { text: options.xTitle } } : {},
    yaxis: { ...(options.yTitle ? { title: { text: options.yTitle } } : {}), ...(options.yRange ? { range: options.yRange } : {}) },
  };
}
