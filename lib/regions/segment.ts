// Colour segmentation: pixels -> colour labels -> cleaned connected regions. Class-agnostic image analysis shared by the
// region proposer (SAM's stand-in, lib/regions) and the independent evaluator (lib/eval), which sits below it.
// Why hue: the world's background is grey, and the two things that change an object's pixels without changing
// its colour name, darkening (textures) and mixing with the grey background (blurred edges), both keep the
// hue. Unmixing each pixel into object colour, black and background (objectShare) then says how much of it
// is object, whatever its texture shade.
import { WORLD } from '../world/config';
import { COLORS, Color, RgbImage } from '../world/types';

/** A pixel is foreground when it holds at least this much of its colour (strength, see Segmentation). */
export const MIN_STRENGTH = 0.5;
/** ... and its chroma (max - min channel) at least this (guards very dark, noisy pixels). */
export const MIN_CHROMA = 0.1;
/** Regions smaller than this many pixels (after cleaning) are stray pixels, not objects. */
export const MIN_REGION_PIXELS = 10;

/** Per-pixel region id: >= 0 a region, BACKGROUND, or UNKNOWN (saturated but in no region: blends, strays). */
export const BACKGROUND = -1;
export const UNKNOWN = -2;

export interface Region {
  id: number;
  color: Color;
  /** Pixel indices (y * width + x). */
  pixels: number[];
}

export interface Segmentation {
  width: number;
  height: number;
  /** [H, W] colour label per pixel (index into COLORS; -1 when it has no colour at all). */
  labels: Int8Array;
  /** [H, W] the object's share of the pixel, in [0, 1] (the rest is background; see objectShare). */
  strength: Float32Array;
  /** [H, W] region id per pixel. */
  regionOf: Int32Array;
  regions: Region[];
}

function hueOf(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b);
  const chroma = max - Math.min(r, g, b);
  if (chroma === 0) return 0;
  let h: number;
  if (max === r) h = ((g - b) / chroma) % 6;
  else if (max === g) h = (b - r) / chroma + 2;
  else h = (r - g) / chroma + 4;
  return (h * 60 + 360) % 360;
}

const PROTOTYPE_HUES: Array<[Color, number]> = COLORS.map((c) => [c, hueOf(...WORLD.colors[c])]);

const PROTOTYPE_CHROMA: number[] = COLORS.map((c) => Math.max(...WORLD.colors[c]) - Math.min(...WORLD.colors[c]));
const PROTOTYPE_MEAN: number[] = COLORS.map((c) => (WORLD.colors[c][0] + WORLD.colors[c][1] + WORLD.colors[c][2]) / 3);
const BACKGROUND_MEAN = (WORLD.background[0] + WORLD.background[1] + WORLD.background[2]) / 3;

/**
 * How much of a pixel is object: a pixel is a mix of the object colour c (fraction alpha), black (beta: a
 * texture's darkening is a mix with black) and the grey background (gamma). Black and background are grey, so
 * the chroma gives alpha = chroma / chroma(c); what is left is grey, and its brightness gives gamma. The
 * object's share is 1 - gamma, whether the pixel is a light or a dark texture band, sharp or blurred.
 */
function objectShare(mean: number, chroma: number, k: number): number {
  const alpha = chroma / PROTOTYPE_CHROMA[k];
  const gamma = (mean - alpha * PROTOTYPE_MEAN[k]) / BACKGROUND_MEAN;
  return Math.min(1, Math.max(0, 1 - gamma));
}

function nearestColour(hue: number): number {
  let best = 0;
  let bestDistance = Infinity;
  PROTOTYPE_HUES.forEach(([, h], k) => {
    const d = hueDistance(hue, h);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  });
  return best;
}

const hueDistance = (a: number, b: number): number => Math.min(Math.abs(a - b), 360 - Math.abs(a - b));

/** Neighbours whose hue differs by more than this are another colour and are not averaged in. */
const SMOOTHING_HUE_WINDOW = 40;

/**
 * The colour label of each pixel and its colour strength. The label is the prototype hue nearest to the
 * pixel's hue averaged over its 3x3 neighbours of similar hue (an edge-preserving smoothing: noise moves the
 * hue of a dark texture pixel by ~10 degrees, as much as orange is from yellow; averaging nine chroma vectors
 * cuts that by ~3 without mixing two touching objects' colours).
 */
export function colourLabels(image: RgbImage): { labels: Int8Array; strength: Float32Array } {
  const { width, height, data } = image;
  const n = width * height;
  const labels = new Int8Array(n).fill(-1);
  const strength = new Float32Array(n);
  // Chroma vector: the colour's offset from grey in the RGB plane orthogonal to the grey axis.
  const va = new Float32Array(n);
  const vb = new Float32Array(n);
  const hue = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = data[3 * i],
      g = data[3 * i + 1],
      b = data[3 * i + 2];
    va[i] = r - (g + b) / 2;
    vb[i] = (Math.sqrt(3) / 2) * (g - b);
    hue[i] = hueOf(r, g, b);
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const r = data[3 * i],
        g = data[3 * i + 1],
        b = data[3 * i + 2];
      const max = Math.max(r, g, b);
      const chroma = max - Math.min(r, g, b);
      if (chroma <= 0) continue;
      let sa = 0;
      let sb = 0;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(height - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1); xx++) {
          const j = yy * width + xx;
          if (hueDistance(hue[j], hue[i]) > SMOOTHING_HUE_WINDOW) continue;
          sa += va[j];
          sb += vb[j];
        }
      }
      const k = nearestColour(((Math.atan2(sb, sa) * 180) / Math.PI + 360) % 360);
      labels[i] = k;
      strength[i] = chroma < MIN_CHROMA ? 0 : objectShare((r + g + b) / 3, chroma, k);
    }
  }
  return { labels, strength };
}

/** 3x3 erosion or dilation of a binary mask (outside the image counts as 0). */
function morph(mask: Uint8Array, width: number, height: number, erode: boolean): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let all = true;
      let any = false;
      for (let yy = y - 1; yy <= y + 1; yy++) {
        for (let xx = x - 1; xx <= x + 1; xx++) {
          const v = xx >= 0 && yy >= 0 && xx < width && yy < height ? mask[yy * width + xx] : 0;
          if (v) any = true;
          else all = false;
        }
      }
      out[y * width + x] = (erode ? all : any) ? 1 : 0;
    }
  }
  return out;
}

/** 4-connected components of a mask; returns component id per pixel (-1 outside). */
function components(mask: Uint8Array, width: number): { ids: Int32Array; count: number } {
  const ids = new Int32Array(mask.length).fill(-1);
  let count = 0;
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || ids[start] >= 0) continue;
    ids[start] = count;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop() as number;
      const x = i % width;
      const neighbours = [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width];
      for (const j of neighbours) {
        if (j < 0 || j >= mask.length || !mask[j] || ids[j] >= 0) continue;
        ids[j] = count;
        stack.push(j);
      }
    }
    count++;
  }
  return { ids, count };
}

/**
 * Per colour: a 3x3 opening (erode, dilate) cuts one- and two-pixel bridges, blend strips between touching
 * colours and stray noise pixels; the surviving components are grown back within the colour's own mask, until
 * nothing changes, to reclaim the thin parts the opening shaved off (triangle tips). A pixel claimed by two regions, and
 * any saturated pixel left over, is UNKNOWN: the shape fitter neither rewards nor punishes covering it.
 */
export function segment(image: RgbImage): Segmentation {
  const { width, height } = image;
  const { labels, strength } = colourLabels(image);
  const regionOf = new Int32Array(width * height).fill(BACKGROUND);
  for (let i = 0; i < labels.length; i++) if (strength[i] >= MIN_STRENGTH) regionOf[i] = UNKNOWN;
  const regions: Region[] = [];
  COLORS.forEach((color, k) => {
    const mask = new Uint8Array(labels.length);
    let any = false;
    for (let i = 0; i < labels.length; i++) if (labels[i] === k && strength[i] >= MIN_STRENGTH) [mask[i], any] = [1, true];
    if (!any) return;
    const opened = morph(morph(mask, width, height, true), width, height, false);
    for (let i = 0; i < opened.length; i++) opened[i] &= mask[i];
    const { ids, count } = components(opened, width);
    const owner = Int32Array.from(ids);
    while (growWithin(owner, mask, width, height));
    const first = regions.length;
    for (let c = 0; c < count; c++) regions.push({ id: first + c, color, pixels: [] });
    for (let i = 0; i < owner.length; i++) if (owner[i] >= 0) regions[first + owner[i]].pixels.push(i);
  });
  const kept = regions.filter((r) => r.pixels.length >= MIN_REGION_PIXELS);
  kept.forEach((r, id) => {
    r.id = id;
    for (const i of r.pixels) regionOf[i] = id;
  });
  return { width, height, labels, strength, regionOf, regions: kept };
}

/** One step of growth of labelled components into unlabelled pixels of `mask`; contested pixels stay out.
 *  Returns whether any pixel was claimed. */
function growWithin(owner: Int32Array, mask: Uint8Array, width: number, height: number): boolean {
  const claims = new Int32Array(owner.length).fill(-1);
  for (let i = 0; i < owner.length; i++) {
    if (!mask[i] || owner[i] !== -1) continue;
    const x = i % width;
    const y = (i - x) / width;
    let claim = -1;
    for (let yy = Math.max(0, y - 1); yy <= Math.min(height - 1, y + 1); yy++) {
      for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1); xx++) {
        const o = owner[yy * width + xx];
        if (o < 0) continue;
        if (claim === -1) claim = o;
        else if (claim !== o) claim = -3; // two regions reach this pixel: leave it to neither
      }
    }
    claims[i] = claim;
  }
  let changed = false;
  for (let i = 0; i < owner.length; i++) {
    if (claims[i] >= 0 || claims[i] === -3) [owner[i], changed] = [claims[i], true];
  }
  return changed;
}
