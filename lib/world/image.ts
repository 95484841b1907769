// Real images through sharp (libvips): read PNG, JPEG or WebP of any size into an RgbImage ([H, W, 3] in [0, 1],
// transparency composited over white as png.ts does), resize them the way the released loader's image transform
// sizes them, and write PNG, JPEG or WebP figures. Asynchronous, as sharp is; png.ts (pngjs) stays for the
// synchronous paths (the world renderer, the data URLs of the external judge, the training data), which sharp
// cannot serve.
//
// The released loader (Bagel's VAE image transform) resizes an image so that its long edge is at most maxSize,
// its short edge at least minSize, both edges multiples of stride, and its area at most maxPixels; sizes are
// rounded with Python's round() (halves to even), then the image is resampled bicubically with antialiasing.
// The reward map is then built at that size from the record's boxes (which are in the original image's pixels:
// the released code does not rescale them). At 512 or 1024 px square with the defaults below the size is unchanged.
// Resampling here is sharp's cubic kernel: the same size as released, close to but not bit-exact with torchvision.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { RgbImage } from './types';

export interface LoaderResize {
  /** Longest edge at most this (Bagel VAE transform: 1024 here by default). */
  maxSize: number;
  /** Shortest edge at least this (default 512). */
  minSize: number;
  /** Both edges a multiple of this (default 16, the VAE's downsampling times its patch). */
  stride: number;
  /** Area at most this (default 2048 * 2048). */
  maxPixels: number;
}

/** Assumed settings of the released training run (512-1024 px images); pass your run's own when they differ. */
export const DEFAULT_LOADER_RESIZE: LoaderResize = { maxSize: 1024, minSize: 512, stride: 16, maxPixels: 2048 * 2048 };

/** Python 3's round(): halves go to the even neighbour (round(62.5) = 62). */
export function pythonRound(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

const snap = (value: number, stride: number): number => Math.max(stride, pythonRound(value / stride) * stride);

function scaled(width: number, height: number, scale: number, stride: number): [number, number] {
  return [snap(pythonRound(width * scale), stride), snap(pythonRound(height * scale), stride)];
}

/** The size the released loader's transform gives a width x height image. */
export function loaderSize(width: number, height: number, options = DEFAULT_LOADER_RESIZE): { width: number; height: number } {
  let scale = Math.min(options.maxSize / Math.max(width, height), 1);
  scale = Math.max(scale, options.minSize / Math.min(width, height));
  let [w, h] = scaled(width, height, scale, options.stride);
  // As released: the area check rescales by the area ratio itself (not its square root), then the edge check.
  if (w * h > options.maxPixels) [w, h] = scaled(w, h, options.maxPixels / (w * h), options.stride);
  if (Math.max(w, h) > options.maxSize) [w, h] = scaled(w, h, options.maxSize / Math.max(w, h), options.stride);
  return { width: w, height: h };
}

export interface ReadImageOptions {
  /** 'loader': the released transform's size (DEFAULT_LOADER_RESIZE or `loaderResize`); or an explicit size. */
  resize?: 'loader' | { width: number; height: number };
  loaderResize?: LoaderResize;
}

/** Read PNG / JPEG / WebP (any size sharp reads) into an RgbImage, optionally resized. */
export async function readImage(file: string, options: ReadImageOptions = {}): Promise<RgbImage> {
  if (!fs.existsSync(file)) throw new Error(`image file not found: ${file}`);
  let pipeline = sharp(file).flatten({ background: '#ffffff' }).removeAlpha().toColourspace('srgb');
  if (options.resize !== undefined) {
    const meta = await sharp(file).metadata();
    if (meta.width === undefined || meta.height === undefined) throw new Error(`${file}: sharp could not read its size`);
    const size = options.resize === 'loader' ? loaderSize(meta.width, meta.height, options.loaderResize) : options.resize;
    pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'cubic' });
  }
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new Error(`${file} is not an image sharp can read (PNG, JPEG, WebP, ...): ${(error as Error).message}`, { cause: error });
  }
  const { width, height, channels } = raw.info;
  if (channels !== 3) throw new Error(`${file}: expected 3 channels after flattening, got ${channels}`);
  return { width, height, data: Float32Array.from(raw.data, (v) => v / 255) };
}

const FORMATS = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' } as const;

/** Write an RgbImage as PNG, JPEG or WebP (by the file's extension), atomically (temp file, then rename). */
export async function writeImage(file: string, image: RgbImage, options: { quality?: number } = {}): Promise<void> {
  const format = FORMATS[path.extname(file).toLowerCase() as keyof typeof FORMATS];
  if (format === undefined) throw new Error(`writeImage: ${file} must end in ${Object.keys(FORMATS).join(', ')}`);
  const bytes = Buffer.from(Uint8Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  const encoded = sharp(bytes, { raw: { width: image.width, height: image.height, channels: 3 } });
  const quality = options.quality ?? 90;
  const coded = format === 'png' ? encoded.png() : format === 'jpeg' ? encoded.jpeg({ quality }) : encoded.webp({ quality });
  const buffer = await coded.toBuffer();
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temp, buffer);
  fs.renameSync(temp, file);
}

/** A reward map [H * W] drawn over its image: blue (0) through white (0.5) to red (>= 1), blended by `alpha`. */
export function overlayRewardMap(image: RgbImage, map: Float32Array, options: { alpha?: number } = {}): RgbImage {
  if (map.length !== image.width * image.height) {
    throw new Error(`overlayRewardMap: map has ${map.length} values, image is ${image.width} x ${image.height}`);
  }
  const alpha = options.alpha ?? 0.55;
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < map.length; i++) {
    const v = Math.min(1, Math.max(0, map[i]));
    const colour = v < 0.5 ? [2 * v, 2 * v, 1] : [1, 2 - 2 * v, 2 - 2 * v]; // blue -> white -> red
    for (let c = 0; c < 3; c++) data[3 * i + c] = (1 - alpha) * image.data[3 * i + c] + alpha * colour[c];
  }
  return { width: image.width, height: image.height, data };
}
