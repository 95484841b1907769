// Real images through sharp: PNG, JPEG and WebP of any size read into an RgbImage, the released loader's sizing
// rule (Python rounding, stride, min / max edges, area), resizing, writing, and reward-map overlays.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loaderSize, overlayRewardMap, pythonRound, readImage, writeImage } from '../lib/world/image';
import { readPng } from '../lib/world/png';
import type { RgbImage } from '../lib/world/types';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interop-images-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A left half red, right half blue image. */
function halves(width: number, height: number): RgbImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(x < width / 2 ? [1, 0, 0] : [0, 0, 1], 3 * (y * width + x));
  return { width, height, data };
}
const pixel = (image: RgbImage, x: number, y: number): number[] => {
  const at = 3 * (y * image.width + x);
  return Array.from(image.data.subarray(at, at + 3));
};

describe('images through sharp', () => {
  it('writes and reads PNG exactly, JPEG and WebP closely, at any size; pngjs reads what sharp writes', async () => {
    const image = halves(300, 170);
    for (const [ext, tolerance] of [
      ['png', 0],
      ['jpg', 0.1],
      ['webp', 0.1],
    ] as const) {
      const file = path.join(dir, `a.${ext}`);
      await writeImage(file, image);
      const back = await readImage(file);
      expect([back.width, back.height]).toEqual([300, 170]);
      for (const [x, y, want] of [
        [10, 10, [1, 0, 0]],
        [290, 160, [0, 0, 1]],
      ] as const) {
        pixel(back, x, y).forEach((v, c) => expect(Math.abs(v - want[c])).toBeLessThanOrEqual(tolerance));
      }
    }
    expect(readPng(path.join(dir, 'a.png')).data).toEqual(image.data);
    await expect(writeImage(path.join(dir, 'a.gif'), image)).rejects.toThrow(/must end in \.png, \.jpg, \.jpeg, \.webp/);
    fs.writeFileSync(path.join(dir, 'bad.png'), 'not an image');
    await expect(readImage(path.join(dir, 'bad.png'))).rejects.toThrow(/not an image sharp can read/);
    await expect(readImage(path.join(dir, 'missing.png'))).rejects.toThrow(/image file not found/);
  });

  it("sizes like the released loader: 512 and 1024 squares unchanged, stride 16 with Python's round-half-even", () => {
    expect([2.5, 3.5, 62.5, 37.5, 1.4, -1.5].map(pythonRound)).toEqual([2, 4, 62, 38, 1, -2]);
    expect(loaderSize(512, 512)).toEqual({ width: 512, height: 512 });
    expect(loaderSize(1024, 1024)).toEqual({ width: 1024, height: 1024 });
    expect(loaderSize(1000, 600)).toEqual({ width: 992, height: 608 }); // 62.5 -> 62, 37.5 -> 38 strides
    expect(loaderSize(256, 256)).toEqual({ width: 512, height: 512 }); // short edge brought up to 512
    expect(loaderSize(2048, 1024)).toEqual({ width: 1024, height: 512 }); // long edge brought down to 1024
    expect(loaderSize(4000, 3000)).toEqual({ width: 1024, height: 768 });
  });

  it('reads an image resized to the loader size or to an explicit size', async () => {
    const file = path.join(dir, 'big.png');
    await writeImage(file, halves(1000, 600));
    const loader = await readImage(file, { resize: 'loader' });
    expect([loader.width, loader.height]).toEqual([992, 608]);
    const small = await readImage(file, { resize: { width: 64, height: 32 } });
    expect([small.width, small.height]).toEqual([64, 32]);
    expect(pixel(small, 2, 16)[0]).toBeGreaterThan(0.95);
    expect(pixel(small, 61, 16)[2]).toBeGreaterThan(0.95);
  });

  it('overlays a reward map: 0.5 leaves grey-white, 1 pushes red, 0 blue', () => {
    const image: RgbImage = { width: 3, height: 1, data: new Float32Array(9).fill(0.5) };
    const over = overlayRewardMap(image, Float32Array.from([0, 0.5, 1]), { alpha: 1 });
    expect(Array.from(over.data)).toEqual([0, 0, 1, 1, 1, 1, 1, 0, 0]);
    expect(() => overlayRewardMap(image, new Float32Array(2))).toThrow(/map has 2 values/);
  });
});
