import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  barChart,
  closeExporter,
  displayBundle,
  exportFigure,
  findChromium,
  imageGrid,
  imageWithBoxes,
  lineChart,
  overlayGrid,
  PLOTLY_MIME,
} from '../lib/plot';
import { sendDisplayData } from '../lib/plot/tslab';
import { RgbImage } from '../lib/world/types';

function solidImage(rgb: [number, number, number], size = 4): RgbImage {
  const data = new Float32Array(size * size * 3); // [H, W, 3] in [0, 1]
  for (let i = 0; i < size * size; i++) data.set(rgb, 3 * i);
  return { width: size, height: size, data };
}

/** Width and height from a PNG's IHDR chunk (bytes 16-23). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('figure builders', () => {
  it('imageGrid puts each image on its own axes with a caption', () => {
    const figure = imageGrid([solidImage([1, 0, 0]), solidImage([0, 0, 1])], { titles: ['red', 'blue'], cellSize: 50 });
    expect(figure.data.map((trace) => [trace.type, trace.xaxis, trace.yaxis])).toEqual([
      ['image', 'x', 'y'],
      ['image', 'x2', 'y2'],
    ]);
    expect(String(figure.data[0].source)).toMatch(/^data:image\/png;base64,/);
    expect(figure.layout.xaxis2).toBeDefined();
    expect((figure.layout.annotations as { text: string }[]).map((a) => a.text)).toEqual(['red', 'blue']);
    expect(() => imageGrid([solidImage([1, 0, 0])], { titles: ['a', 'b'] })).toThrow(/1 images but 2 titles/);
  });

  it('imageGrid wraps long captions at words to the cell width and makes room for the lines', () => {
    const caption = 'a large striped purple square below a large plain blue circle';
    const short = imageGrid([solidImage([1, 0, 0])], { titles: ['red'], cellSize: 100 });
    const long = imageGrid([solidImage([1, 0, 0])], { titles: [caption], cellSize: 100 });
    const lines = (long.layout.annotations as { text: string }[])[0].text.split('<br>');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join(' ')).toBe(caption);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(Math.floor(108 / 6.2));
    expect(Number(long.layout.height)).toBeGreaterThan(Number(short.layout.height));
  });

  it('barChart and lineChart reject series of the wrong length', () => {
    expect(barChart(['a', 'b'], [{ name: 's', values: [1, 2] }]).data[0]).toMatchObject({ type: 'bar', x: ['a', 'b'], y: [1, 2] });
    expect(() => barChart(['a', 'b'], [{ name: 's', values: [1] }])).toThrow(/1 values for 2 labels/);
    expect(() => lineChart([{ name: 'l', x: [0, 1], y: [0] }])).toThrow(/2 x and 1 y/);
  });
});

describe('overlay builders', () => {
  it('imageWithBoxes draws each box on pixel edges with its label, axes pinned to the image', () => {
    const figure = imageWithBoxes(
      solidImage([1, 1, 1], 8),
      [
        [0, 0, 8, 8],
        [2, 3, 5, 7],
      ],
      { labels: ['background', 'circle'], dashed: [1] },
    );
    const shapes = figure.layout.shapes as { x0: number; x1: number; y0: number; y1: number; line: { dash: string } }[];
    expect(shapes.map(({ x0, x1, y0, y1 }) => [x0, x1, y0, y1])).toEqual([
      [-0.5, 7.5, -0.5, 7.5],
      [1.5, 4.5, 2.5, 6.5],
    ]);
    expect(shapes.map((shape) => shape.line.dash)).toEqual(['solid', 'dash']);
    expect((figure.layout.annotations as { text: string }[]).map((a) => a.text)).toEqual(['background', 'circle']);
    expect(figure.layout.yaxis).toMatchObject({ range: [7.5, -0.5] });
    expect(() => imageWithBoxes(solidImage([1, 1, 1]), [[0, 0, 1, 1]], { labels: [] })).toThrow(/1 boxes but 0 labels/);
  });

  it('overlayGrid lays one heatmap over each copy of the image, sharing one colour scale', () => {
    const image = solidImage([1, 1, 1], 8);
    const coarse = [
      [0, 1],
      [0.5, 0.25],
    ]; // 2 x 2 cells over an 8 x 8 image
    const fine = Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => -1));
    const figure = overlayGrid(image, [coarse, fine], { titles: ['coarse', 'fine'] });
    const heatmaps = figure.data.filter((trace) => trace.type === 'heatmap');
    expect(figure.data.filter((trace) => trace.type === 'image')).toHaveLength(2);
    expect(heatmaps.map((trace) => [trace.xaxis, trace.yaxis, trace.coloraxis])).toEqual([
      ['x', 'y', 'coloraxis'],
      ['x2', 'y2', 'coloraxis'],
    ]);
    expect(heatmaps.map((trace) => [trace.x0, trace.dx, trace.y0, trace.dy])).toEqual([
      [1.5, 4, 1.5, 4],
      [0, 1, 0, 1],
    ]);
    expect(figure.layout.coloraxis).toMatchObject({ cmin: -1, cmax: 1 });
    expect(overlayGrid(image, [coarse], { zRange: [-2, 2] }).layout.coloraxis).toMatchObject({ cmin: -2, cmax: 2 });
    expect(() => overlayGrid(image, [])).toThrow(/no maps/);
    expect(() => overlayGrid(image, [[[0, 1], [0]]])).toThrow(/not a non-empty rectangle/);
  });
});

describe.skipIf(!findChromium())('static export through headless Chromium', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-plot-test-'));
  afterAll(async () => {
    await closeExporter();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const figure = barChart(['layout', 'detail'], [{ name: 'score', values: [0.25, 0.75] }], { title: 'Scores' });
  figure.layout.width = 320;
  figure.layout.height = 200;

  it('writes a PNG at the figure size times the scale', async () => {
    const file = path.join(dir, 'bars.png');
    await exportFigure(figure, file, { scale: 2 });
    const bytes = fs.readFileSync(file);
    expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(pngSize(bytes)).toEqual({ width: 640, height: 400 });
    expect(fs.readdirSync(dir)).toEqual(['bars.png']); // no temporary file left behind
  });

  it('writes an SVG holding the figure text', async () => {
    const file = path.join(dir, 'bars.svg');
    await exportFigure(figure, file);
    const svg = fs.readFileSync(file, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('width="320"');
    expect(svg).toContain('Scores');
    expect(svg).toContain('detail');
  });

  it('refuses an unknown extension', async () => {
    await expect(exportFigure(figure, path.join(dir, 'bars.jpg'))).rejects.toThrow(/\.png or \.svg/);
  });

  it('builds one display bundle with plotly JSON (an object), a PNG and text, and no HTML', async () => {
    const bundle = await displayBundle(imageGrid([solidImage([0, 1, 0])], { titles: ['green'], cellSize: 40 }));
    expect(Object.keys(bundle.data).sort()).toEqual([PLOTLY_MIME, 'image/png', 'text/plain'].sort());
    expect(typeof bundle.data[PLOTLY_MIME]).toBe('object');
    const png = Buffer.from(String(bundle.data['image/png']), 'base64');
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(bundle.metadata['image/png']).toEqual(pngSize(png));
    expect(bundle.data['text/plain']).toBe('Figure: 1 trace (image)');
  });
});

describe('display outside a kernel', () => {
  it('sendDisplayData reports that no tslab kernel is there', () => {
    expect(sendDisplayData({ data: { 'text/plain': 'x' }, metadata: {} })).toBe(false);
  });
});
