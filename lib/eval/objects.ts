// Object detection for the independent evaluator: pixels -> objects with shape, colour, texture, size,
// position and depth order. It sees only the image: no scene, no generator state, no learned model.
// Pipeline: resample to the world's size -> colour segmentation (lib/regions/segment.ts) -> template fit per region
// (fit.ts), fragments of one object re-joined (merge.ts) -> texture from brightness pattern (texture.ts) -> size class
// from the fitted diameter -> depth order from who owns the pixels where two fitted shapes overlap.
import { WORLD } from '../world/config';
import { RgbImage, SIZES, SceneObject, Size } from '../world/types';
import { ShapeFit } from './fit';
import { mergeFragments } from './merge';
import { Segmentation, segment } from '../regions/segment';
import { TextureFeatures, classifyTexture, textureFeatures } from './texture';

/** Overlap pixels one object must own (and the other not) before it counts as in front. */
export const MIN_DEPTH_EVIDENCE = 3;

/** cx, cy, diameter: centre and bounding-box side of the fitted shape, in pixels of the world-size (32 px) image. */
export interface DetectedObject extends Pick<SceneObject, 'shape' | 'color' | 'texture' | 'size' | 'cx' | 'cy' | 'diameter'> {
  /** Visible pixels of the object. */
  pixels: number;
  /** Template misfit in pixels (0 = exact). */
  fitCost: number;
  textureFeatures: TextureFeatures;
  /** Indices (into the detected list) of the objects this one hides part of. */
  inFrontOf: number[];
}

export interface Detection {
  /** The analysed image (world size). */
  image: RgbImage;
  objects: DetectedObject[];
  /** [H, W] fitted template mask per object. */
  masks: Uint8Array[];
}

/** Area-average (or nearest, when enlarging) resampling of a square image to WORLD.imageSize. */
export function toWorldSize(image: RgbImage): RgbImage {
  const side = WORLD.imageSize;
  if (image.width === side && image.height === side) return image;
  const data = new Float32Array(side * side * 3);
  const counts = new Float32Array(side * side);
  const sx = image.width / side;
  const sy = image.height / side;
  if (sx >= 1 && sy >= 1) {
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        const o = Math.min(side - 1, Math.floor(y / sy)) * side + Math.min(side - 1, Math.floor(x / sx));
        for (let c = 0; c < 3; c++) data[3 * o + c] += image.data[3 * (y * image.width + x) + c];
        counts[o]++;
      }
    }
    for (let o = 0; o < counts.length; o++) for (let c = 0; c < 3; c++) data[3 * o + c] /= counts[o];
  } else {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const i = Math.floor((y + 0.5) * sy) * image.width + Math.floor((x + 0.5) * sx);
        for (let c = 0; c < 3; c++) data[3 * (y * side + x) + c] = image.data[3 * i + c];
      }
    }
  }
  return { width: side, height: side, data };
}

/** The size class whose world diameter is nearest to a measured one. */
export function sizeClass(diameter: number): Size {
  let best: Size = 'small';
  for (const s of SIZES) if (Math.abs(WORLD.diameters[s] - diameter) < Math.abs(WORLD.diameters[best] - diameter)) best = s;
  return best;
}

/** Is object a in front of b? Counts the pixels where their fitted shapes overlap that each one shows. */
function frontOf(seg: Segmentation, a: { id: number; fit: ShapeFit }, b: { id: number; fit: ShapeFit }): boolean {
  let ownA = 0;
  let ownB = 0;
  for (let i = 0; i < a.fit.mask.length; i++) {
    if (!a.fit.mask[i] || !b.fit.mask[i]) continue;
    if (seg.regionOf[i] === a.id) ownA++;
    else if (seg.regionOf[i] === b.id) ownB++;
  }
  return ownA - ownB >= MIN_DEPTH_EVIDENCE;
}

export function detectObjects(input: RgbImage): Detection {
  const image = toWorldSize(input);
  const { seg, fits } = mergeFragments(segment(image));
  const fitted = seg.regions.map((region, k) => ({ id: region.id, region, fit: fits[k] }));
  const objects: DetectedObject[] = fitted.map(({ region, fit }) => {
    const features = textureFeatures(image, region.pixels, fit);
    return {
      shape: fit.shape,
      color: region.color,
      texture: classifyTexture(features),
      size: sizeClass(fit.diameter),
      cx: fit.cx,
      cy: fit.cy,
      diameter: fit.diameter,
      pixels: region.pixels.length,
      fitCost: Math.round(fit.cost * 100) / 100,
      textureFeatures: features,
      inFrontOf: [],
    };
  });
  fitted.forEach((a, i) =>
    fitted.forEach((b, j) => {
      if (i !== j && frontOf(seg, a, b)) objects[i].inFrontOf.push(j);
    }),
  );
  return { image, objects, masks: fitted.map((f) => f.fit.mask) };
}
