// Figures that draw on top of an image: boxes with labels (region proposals, kept regions) and semi-transparent
// maps (reward maps, attention) sharing one colour scale. Both start from imageGrid, so images look the same
// everywhere; coordinates are image pixels, x to the right, y downwards, pixel (x, y) centred on (x, y).
import { RgbImage } from '../world/types';
import { imageGrid } from './charts';
import { Figure, Trace } from './figure';

/** [x1, y1, x2, y2] in image pixels, x1/y1 inclusive, x2/y2 exclusive (the region proposer's convention). */
export type PlotBox = readonly [number, number, number, number];

export interface ImageWithBoxesOptions {
  /** One label per box, drawn at its top-left corner. */
  labels?: string[];
  /** One line colour per box (default: a fixed palette, cycled). */
  colors?: string[];
  /** Dashed outline for these box indices (e.g. the boxes a filter dropped). */
  dashed?: readonly number[];
  title?: string;
  /** Drawn side of the image in pixels (default 320). */
  cellSize?: number;
}

const BOX_COLORS = ['#e41a1c', '#377eb8', '#4daf4a', '#ff7f00', '#984ea3', '#a65628', '#f781bf'];

/** Fix the axes to the image's pixel extent (boxes on the border must not widen them; y downwards). */
function pinAxes(layout: Figure['layout'], axis: string, width: number, height: number): void {
  layout[`xaxis${axis}`] = { ...(layout[`xaxis${axis}`] as object), range: [-0.5, width - 0.5] };
  layout[`yaxis${axis}`] = { ...(layout[`yaxis${axis}`] as object), range: [height - 0.5, -0.5] };
}

/** One image with rectangles and labels over it (plotly shapes in data coordinates). */
export function imageWithBoxes(image: RgbImage, boxes: readonly PlotBox[], options: ImageWithBoxesOptions = {}): Figure {
  if (options.labels && options.labels.length !== boxes.length)
    throw new Error(`imageWithBoxes: ${boxes.length} boxes but ${options.labels.length} labels`);
  const figure = imageGrid([image], { cellSize: options.cellSize ?? 320, title: options.title });
  pinAxes(figure.layout, '', image.width, image.height);
  const colorOf = (i: number): string => options.colors?.[i] ?? BOX_COLORS[i % BOX_COLORS.length];
  figure.layout.shapes = boxes.map(([x1, y1, x2, y2], i) => ({
    type: 'rect',
    xref: 'x',
    yref: 'y',
    // Pixel edges: pixel x spans [x - 0.5, x + 0.5], so [x1, x2) spans [x1 - 0.5, x2 - 0.5].
    x0: x1 - 0.5,
    x1: x2 - 0.5,
    y0: y1 - 0.5,
    y1: y2 - 0.5,
    line: { color: colorOf(i), width: 2, dash: options.dashed?.includes(i) ? 'dash' : 'solid' },
  }));
  const labels = (options.labels ?? []).map((text, i) => ({
    text,
    xref: 'x',
    yref: 'y',
    x: boxes[i][0] - 0.5,
    y: boxes[i][1] - 0.5,
    xanchor: 'left',
    yanchor: 'top',
    showarrow: false,
    font: { size: 11, color: colorOf(i) },
    bgcolor: 'rgba(255, 255, 255, 0.75)',
  }));
  figure.layout.annotations = [...((figure.layout.annotations as unknown[]) ?? []), ...labels];
  return figure;
}

export interface OverlayOptions {
  /** One caption per map. */
  titles?: string[];
  title?: string;
  /** Value range of the shared colour scale (default: the range over all maps). */
  zRange?: [number, number];
  /** A plotly colour scale name (default 'RdBu' reversed: low values red, high values blue). */
  colorscale?: string;
  /** Opacity of the maps over the image (default 0.6). */
  opacity?: number;
  /** Title of the shared colour bar. */
  colorbarTitle?: string;
  cellSize?: number;
}

/**
 * The same image under several maps, side by side, one colour scale for all (so the panels compare).
 * A map has rows of equal length and may be coarser than the image: its cells are stretched over the image.
 */
export function overlayGrid(image: RgbImage, maps: readonly number[][][], options: OverlayOptions = {}): Figure {
  if (maps.length === 0) throw new Error('overlayGrid: no maps');
  const values = maps.flatMap((map) => map.flat());
  const zRange = options.zRange ?? [Math.min(...values), Math.max(...values)];
  const figure = imageGrid(
    maps.map(() => image),
    { titles: options.titles, title: options.title, cellSize: options.cellSize ?? 160, columns: maps.length },
  );
  const extraRight = 90; // room for the colour bar; the plot area keeps its size
  const margin = figure.layout.margin as { r: number };
  figure.layout.margin = { ...margin, r: margin.r + extraRight };
  figure.layout.width = Number(figure.layout.width) + extraRight;
  const traces: Trace[] = maps.map((map, i) => {
    const rows = map.length;
    const columns = map[0]?.length ?? 0;
    if (rows === 0 || columns === 0 || map.some((row) => row.length !== columns))
      throw new Error(`overlayGrid: map ${i} is not a non-empty rectangle`);
    const axis = i === 0 ? '' : String(i + 1);
    pinAxes(figure.layout, axis, image.width, image.height);
    const dx = image.width / columns;
    const dy = image.height / rows;
    return {
      type: 'heatmap',
      z: map,
      xaxis: `x${axis}`,
      yaxis: `y${axis}`,
      coloraxis: 'coloraxis',
      opacity: options.opacity ?? 0.6,
      // Cell centres: cell j spans image pixels [j dx, (j + 1) dx), i.e. x from j dx - 0.5 to (j + 1) dx - 0.5.
      x0: dx / 2 - 0.5,
      dx,
      y0: dy / 2 - 0.5,
      dy,
      hovertemplate: 'x %{x}, y %{y}: %{z:.3f}<extra></extra>',
    };
  });
  figure.data.push(...traces);
  figure.layout.coloraxis = {
    cmin: zRange[0],
    cmax: zRange[1],
    colorscale: options.colorscale ?? 'RdBu',
    reversescale: options.colorscale === undefined,
    colorbar: { title: { text: options.colorbarTitle ?? '' }, len: 0.9 },
  };
  return figure;
}
