// The region head's zoomed view (lib/model/zoom.ts) and the training rows asked on it (lib/train/data.ts zoomRows).
import { describe, expect, it } from 'vitest';
import { resolveModelConfig } from '../lib/model/config';
import { unpatchify } from '../lib/model/patches';
import { MIN_ZOOM_SIDE, ZOOM_MARGIN, zoomView } from '../lib/model/zoom';
import { makeRng } from '../lib/rng';
import { understandingBatch, zoomRows } from '../lib/train/data';
import { renderScene } from '../lib/world/render';
import type { RgbImage, Scene } from '../lib/world/types';

const config = resolveModelConfig('tiny');
const pixel = (image: RgbImage, x: number, y: number): number[] => Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));

describe('zoomView', () => {
  const scene: Scene = {
    width: 32, height: 32,
    objects: [{ shape: 'square', color: 'red', texture: 'plain', size: 'small', cx: 8, cy: 20, diameter: 8, depth: 0, distorted: false }],
  };
  const image = renderScene(scene);
  const box = [4 / 32, 16 / 32, 12 / 32, 24 / 32] as const;

  it('centres the box with ZOOM_MARGIN of background on every side and fills the canvas', () => {
    const zoomed = zoomView(image, box);
    const inner = ZOOM_MARGIN / (1 + 2 * ZOOM_MARGIN);
    zoomed.box.forEach((v, i) => expect(v).toBeCloseTo(i < 2 ? inner : 1 - inner, 6));
    // The square (8 px) now spans 32 / 12 * 8 = 21 px: its centre and a point 8 px off it are red, the corners not.
    expect(pixel(zoomed.image, 16, 16)).toEqual(pixel(image, 8, 20));
    expect(pixel(zoomed.image, 24, 16)).toEqual(pixel(image, 8, 20));
    expect(pixel(zoomed.image, 1, 1)).toEqual(pixel(image, 0, 0));
    expect(zoomed.image.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('keeps a tiny box at MIN_ZOOM_SIDE px and clamps crops past the image edge', () => {
    const zoomed = zoomView(image, [0, 0, 1 / 32, 1 / 32]);
    const side = MIN_ZOOM_SIDE;
    expect(zoomed.box[2] - zoomed.box[0]).toBeCloseTo(1 / side, 6);
    expect(zoomed.box[0]).toBeCloseTo((side / 2 - 0.5) / side, 6);
    expect(zoomed.image.data.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe('zoomRows', () => {
  it('asks the chosen rows on the zoomed view, masks their size, verdict and count targets, and leaves the rest', () => {
    const plain = understandingBatch(0, { batchSize: 6, seed: 3, config });
    const none = understandingBatch(0, { batchSize: 6, seed: 3, config });
    zoomRows(none, 0, makeRng(1), config);
    expect(Array.from(none.x0)).toEqual(Array.from(plain.x0));
    const all = understandingBatch(0, { batchSize: 6, seed: 3, config });
    zoomRows(all, 1, makeRng(1), config);
    const before = unpatchify(plain.x0, config);
    const after = unpatchify(all.x0, config);
    for (let b = 0; b < 6; b++) {
      const box = Array.from(plain.region.boxes.subarray(4 * b, 4 * b + 4)) as [number, number, number, number];
      const expected = zoomView(before[b], box);
      expect(Array.from(all.region.boxes.subarray(4 * b, 4 * b + 4))).toEqual(Array.from(new Float32Array(expected.box)));
      after[b].data.forEach((v, i) => expect(Math.abs(v - expected.image.data[i])).toBeLessThan(1e-5));
      expect([all.region.size[b], all.verdict.label[b], all.count.label[b]]).toEqual([-1, -1, -1]);
      expect(all.region.shape[b]).toBe(plain.region.shape[b]);
    }
  });
});
