// Shape fitting by template matching: which shape, where and how big explains a region's pixels best?
// A candidate is a circle, square or triangle (geometry.ts, the world's one definition of each) with its
// bounding box at whole pixels. Its cost counts the region's pixels it leaves out plus the background it
// covers. Covering pixels of another colour costs little, because a nearer object may hide part of this one
// (occlusion): so a back object with a bite taken out is still fitted by its full shape, and the hidden part
// it claims is later the evidence of depth order.
import { shapeContains } from '../world/geometry';
import { COLORS, SHAPES, Shape } from '../world/types';
import { BACKGROUND, Region, Segmentation, UNKNOWN } from '../regions/segment';

/** Cost of claiming a pixel of another region (it may hide this object). */
export const OCCLUDED_COST = 0.05;
/** Size prior: the world's smallest object is 8 px across; a fitted shape narrower than this many pixels
 *  pays SMALL_SHAPE_COST per missing pixel, so fragments of one object are not explained as tiny objects. */
export const MIN_PLAUSIBLE_DIAMETER = 7;
export const SMALL_SHAPE_COST = 2;

export interface ShapeFit {
  shape: Shape;
  /** Bounding-box corner and side, pixels. */
  left: number;
  top: number;
  diameter: number;
  cx: number;
  cy: number;
  /** Misfit in pixels (0 = the template explains the region exactly). */
  cost: number;
  /** [H, W] pixels of the fitted template. */
  mask: Uint8Array;
}

const templates = new Map<string, Uint8Array>();
/** [d, d] pixel pattern of a shape whose bounding box starts at a pixel corner. */
function template(shape: Shape, d: number): Uint8Array {
  const key = `${shape}:${d}`;
  let t = templates.get(key);
  if (!t) {
    t = new Uint8Array(d * d);
    for (let v = 0; v < d; v++)
      for (let u = 0; u < d; u++) t[v * d + u] = shapeContains({ shape, cx: d / 2, cy: d / 2, diameter: d }, u + 0.5, v + 0.5) ? 1 : 0;
    templates.set(key, t);
  }
  return t;
}

/**
 * Soft evidence per pixel: e = how much it shows this region's colour (its strength, for the region's pixels
 * and same-coloured pixels next to them: blurred edges count in part), o = how much it shows another object.
 * A template covering the pixel pays 1 - e - o for background, OCCLUDED_COST * o for another object, and
 * saves e; leaving it out costs e. Blur then spreads cost evenly on both sides of an edge, so the best fit
 * keeps the object's true size instead of shrinking to the pixels above a threshold.
 */
function pixelWeights(seg: Segmentation, region: Region): { weights: Float32Array; ownTotal: number } {
  const { width, height, regionOf, labels, strength } = seg;
  const colorIndex = COLORS.indexOf(region.color);
  const own = new Float32Array(regionOf.length);
  for (const i of region.pixels) {
    own[i] = Math.max(strength[i], 0.5);
    const x = i % width;
    const y = (i - x) / width;
    for (let yy = Math.max(0, y - 1); yy <= Math.min(height - 1, y + 1); yy++) {
      for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1); xx++) {
        const j = yy * width + xx;
        if (regionOf[j] < 0 && labels[j] === colorIndex) own[j] = Math.max(own[j], strength[j]);
      }
    }
  }
  const weights = new Float32Array(regionOf.length);
  let ownTotal = 0;
  for (let i = 0; i < weights.length; i++) {
    const id = regionOf[i];
    const e = own[i];
    const sameColourObject = id >= 0 && id !== region.id && seg.regions[id].color === region.color;
    const o = e > 0 || sameColourObject ? 0 : id >= 0 || id === UNKNOWN ? strength[i] : 0;
    weights[i] = sameColourObject ? 1 : 1 - 2 * e - (1 - OCCLUDED_COST) * o;
    ownTotal += e;
  }
  return { weights, ownTotal };
}

/** Does the region touch (8-neighbourhood) any pixel of another region or an unknown pixel? */
function touchesOthers(seg: Segmentation, region: Region): boolean {
  const { width, height, regionOf } = seg;
  for (const i of region.pixels) {
    const x = i % width;
    const y = (i - x) / width;
    for (let yy = Math.max(0, y - 1); yy <= Math.min(height - 1, y + 1); yy++) {
      for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1); xx++) {
        const id = regionOf[yy * width + xx];
        if (id !== region.id && id !== BACKGROUND) return true;
      }
    }
  }
  return false;
}

export function fitShape(seg: Segmentation, region: Region): ShapeFit {
  const { width, height } = seg;
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (const i of region.pixels) {
    const x = i % width;
    const y = (i - x) / width;
    [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
  }
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  // A partly hidden object may be much larger than what shows of it.
  const extra = touchesOthers(seg, region) ? 8 : 2;
  const { weights, ownTotal } = pixelWeights(seg, region);
  let best: Omit<ShapeFit, 'mask' | 'cx' | 'cy'> | undefined;
  for (let d = Math.max(3, side - 2); d <= side + extra; d++) {
    for (const shape of SHAPES) {
      const t = template(shape, d);
      // The template must cover the region's extent, give or take one pixel.
      for (let top = y1 + 1 - d - 1; top <= y0 + 1; top++) {
        for (let left = x1 + 1 - d - 1; left <= x0 + 1; left++) {
          let cost = ownTotal + SMALL_SHAPE_COST * Math.max(0, MIN_PLAUSIBLE_DIAMETER - d);
          for (let v = 0; v < d; v++) {
            const y = top + v;
            for (let u = 0; u < d; u++) {
              if (!t[v * d + u]) continue;
              const x = left + u;
              cost += x < 0 || y < 0 || x >= width || y >= height ? 1 : weights[y * width + x];
            }
          }
          if (!best || cost < best.cost - 1e-6) best = { shape, left, top, diameter: d, cost };
        }
      }
    }
  }
  if (!best) throw new Error('fitShape: empty region');
  const mask = new Uint8Array(width * height);
  const t = template(best.shape, best.diameter);
  for (let v = 0; v < best.diameter; v++) {
    for (let u = 0; u < best.diameter; u++) {
      const x = best.left + u;
      const y = best.top + v;
      if (t[v * best.diameter + u] && x >= 0 && y >= 0 && x < width && y < height) mask[y * width + x] = 1;
    }
  }
  return { ...best, cx: best.left + best.diameter / 2, cy: best.top + best.diameter / 2, mask };
}
