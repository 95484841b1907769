import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRng } from '../lib/rng';
import { WORLD } from '../lib/world/config';
import { maskIou, shapeMask } from '../lib/world/geometry';
import { decodePng, encodePng, readPng, writePng } from '../lib/world/png';
import { TEXTURE_SHADE, boxBlur, corrupt, renderScene } from '../lib/world/render';
import { Scene, SceneObject } from '../lib/world/types';

function object(partial: Partial<SceneObject> & Pick<SceneObject, 'shape' | 'color'>, left: number, top: number): SceneObject {
  const size = partial.size ?? 'medium';
  const diameter = WORLD.diameters[size];
  return { texture: 'plain', size, diameter, depth: 0, cx: left + diameter / 2, cy: top + diameter / 2, ...partial };
}

const scene: Scene = {
  width: 32,
  height: 32,
  objects: [
    object({ shape: 'square', color: 'red', depth: 0 }, 4, 4),
    object({ shape: 'circle', color: 'blue', texture: 'striped', size: 'large', depth: 1 }, 10, 10),
    object({ shape: 'triangle', color: 'yellow', texture: 'checkered', size: 'small', depth: 2 }, 22, 2),
  ],
};

const pixel = (data: Float32Array, x: number, y: number, width = 32): number[] =>
  Array.from(data.slice(3 * (y * width + x), 3 * (y * width + x) + 3));

describe('renderScene', () => {
  it('is deterministic: the same scene gives identical bytes', () => {
    expect(Buffer.compare(encodePng(renderScene(scene)), encodePng(renderScene(scene)))).toBe(0);
  });

  it('paints exact shape pixels in depth order over the background', () => {
    const image = renderScene(scene);
    expect(image.data.length).toBe(32 * 32 * 3);
    expect(pixel(image.data, 0, 0)).toEqual(Array.from(new Float32Array(WORLD.background)));
    expect(pixel(image.data, 5, 5)).toEqual(Array.from(new Float32Array(WORLD.colors.red))); // red square alone
    // The square (4..14) and the circle (10..24) overlap at (13, 13): the circle is in front (depth 1), top band = base colour.
    expect(pixel(image.data, 13, 12)).toEqual(Array.from(new Float32Array(WORLD.colors.blue)));
    // Striped: rows 3-5 of the circle's box (y = 13..15) are the dark band.
    expect(pixel(image.data, 17, 14)).toEqual(Array.from(new Float32Array(WORLD.colors.blue.map((c) => c * TEXTURE_SHADE))));
  });

  it('scales positions and texture with the image size', () => {
    const big = renderScene({
      ...scene,
      width: 64,
      height: 64,
      objects: scene.objects.map((o) => ({ ...o, cx: 2 * o.cx, cy: 2 * o.cy, diameter: 2 * o.diameter })),
    });
    expect(pixel(big.data, 11, 11, 64)).toEqual(Array.from(new Float32Array(WORLD.colors.red)));
  });
});

describe('png', () => {
  it('round-trips an image through a file within 8-bit precision', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-png-'));
    const file = path.join(dir, 'sub', 'scene.png');
    const image = renderScene(scene);
    writePng(file, image);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['scene.png']); // no temp file left behind
    const back = readPng(file);
    expect([back.width, back.height]).toEqual([32, 32]);
    let worst = 0;
    for (let i = 0; i < image.data.length; i++) worst = Math.max(worst, Math.abs(image.data[i] - back.data[i]));
    expect(worst).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });

  it('names a missing or corrupt file', () => {
    expect(() => readPng('/nonexistent/dir/x.png')).toThrow(/not found: \/nonexistent\/dir\/x.png/);
    expect(() => decodePng(Buffer.from('not a png'), 'bad.png')).toThrow(/bad.png is not a readable PNG/);
  });
});

describe('corrupt', () => {
  const image = renderScene(scene);
  it('is deterministic in the seed and changes with it', () => {
    const a = corrupt(image, { noise: 0.05, blur: 1 }, makeRng(3));
    const b = corrupt(image, { noise: 0.05, blur: 1 }, makeRng(3));
    const c = corrupt(image, { noise: 0.05, blur: 1 }, makeRng(4));
    expect(Buffer.compare(Buffer.from(a.data.buffer), Buffer.from(b.data.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(a.data.buffer), Buffer.from(c.data.buffer))).not.toBe(0);
    expect(Math.min(...a.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.data)).toBeLessThanOrEqual(1);
  });

  it('leaves the image alone with no noise and no blur, and the input untouched always', () => {
    const copy = image.data.slice();
    expect(Array.from(corrupt(image, { noise: 0, blur: 0 }, makeRng(1)).data)).toEqual(Array.from(image.data));
    corrupt(image, { noise: 0.1, blur: 2 }, makeRng(1));
    expect(Array.from(image.data)).toEqual(Array.from(copy));
  });

  it('blurs with a (2r+1)^2 box mean: a uniform image stays uniform, an edge softens', () => {
    const blurred = boxBlur(image, 1);
    expect(pixel(blurred.data, 0, 0)[0]).toBeCloseTo(WORLD.background[0], 5);
    // Left edge of the red square (x = 4): the pixel just outside gets a third of it.
    const expected = (2 * WORLD.background[1] + WORLD.colors.red[1]) / 3;
    expect(pixel(blurred.data, 3, 8)[1]).toBeCloseTo(expected, 5);
  });
});

describe('maskIou', () => {
  it('is 1 for the same mask, 0 for disjoint or empty ones, and counts the shared pixels otherwise', () => {
    const square = shapeMask({ shape: 'square', cx: 12, cy: 12, diameter: 8 }, 32, 32); // 64 px
    const circle = shapeMask({ shape: 'circle', cx: 12, cy: 12, diameter: 8 }, 32, 32); // the square less 3 px a corner
    const far = shapeMask({ shape: 'square', cx: 26, cy: 26, diameter: 4 }, 32, 32);
    expect(maskIou(square, square)).toBe(1);
    expect(maskIou(square, far)).toBe(0);
    expect(maskIou(new Uint8Array(16), new Uint8Array(16))).toBe(0);
    expect(maskIou(circle, square)).toBeCloseTo(52 / 64, 12);
    expect(maskIou(square, circle)).toBe(maskIou(circle, square));
  });
});
