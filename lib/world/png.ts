// PNG files <-> RgbImage ([H, W, 3] in [0, 1]); 8-bit RGB on disk.
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../io';
import { RgbImage } from './types';

export function encodePng(image: RgbImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  const bytes = Buffer.alloc(image.width * image.height * 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, image.data[i])) * 255);
  png.data = bytes;
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

export function decodePng(buffer: Buffer, source = 'PNG data'): RgbImage {
  let png: PNG;
  try {
    png = PNG.sync.read(buffer);
  } catch (error) {
    throw new Error(`${source} is not a readable PNG: ${(error as Error).message}`, { cause: error });
  }
  const { width, height } = png;
  const data = new Float32Array(width * height * 3);
  // pngjs always hands back RGBA 8-bit; a transparent pixel is composited over white.
  for (let i = 0; i < width * height; i++) {
    const alpha = png.data[4 * i + 3] / 255;
    for (let c = 0; c < 3; c++) data[3 * i + c] = (png.data[4 * i + c] / 255) * alpha + (1 - alpha);
  }
  return { width, height, data };
}

/** Write atomically (writeFileAtomic): no half-written PNG on a crash. */
export function writePng(file: string, image: RgbImage): void {
  writeFileAtomic(file, encodePng(image));
}

export function readPng(file: string): RgbImage {
  if (!fs.existsSync(file)) throw new Error(`image file not found: ${file}`);
  return decodePng(fs.readFileSync(file), file);
}
