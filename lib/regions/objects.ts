// The objects of an image as the SRUM judge sees them: the class-agnostic proposer (SAM's stand-in) says WHERE
// things are, the model's own understanding says WHAT they are. Each proposed object region (one colour component)
// is identified by the region head on its box (shape, colour, texture, size, distorted). Depth (only the 3-D
// relations read it) is occlusion reasoning: depth = visible pixels / the pixels the identified shape and size
// would cover, so of two overlapping objects the whole one is in front. Regions the model calls background
// ('none', not distorted) are dropped. Positions are the boxes' centres, so they are exact for
// unoccluded objects; an occluded object's centre leans towards its visible part.
import { segment } from './segment';
import type { ParsedObject } from '../model/parse';
import type { UnifiedModel } from '../model/params';
import { argmax, identifyRegions, type Box, type RegionIdentity } from '../model/understand';
import { WORLD } from '../world/config';
import { shapeMask } from '../world/geometry';
import { COLORS, SHAPES, SIZES, TEXTURES, type RgbImage, type Shape } from '../world/types';
import { boxOf } from './propose';

/** Pixels a whole object of this shape and size covers (drawn mid-image, so nothing is clipped). */
function fullArea(shape: Shape, diameter: number, side: number): number {
  return shapeMask({ shape, diameter, cx: side / 2, cy: side / 2 }, side, side).reduce((sum, v) => sum + v, 0);
}

/** The named value, or when the head said 'none' the likeliest of the named classes (the classes before 'none'). */
function namedOrLikeliest<T extends string>(value: T | 'none', probabilities: Float32Array, names: readonly T[]): T {
  return value === 'none' ? names[argmax(probabilities.subarray(0, names.length))] : value;
}

/** One object region of the proposer: its pixels and box (x2, y2 exclusive). */
export interface ObjectRegion {
  pixels: number[];
  box: [number, number, number, number];
}

/** The proposer's object regions: the colour components of the segmentation (the background is not one). */
export function objectRegions(image: RgbImage): ObjectRegion[] {
  return segment(image).regions.map((r) => ({ pixels: r.pixels, box: boxOf(r.pixels, image.width) }));
}

/** Parsed objects from regions and what the model saw in each (pure: the rules above, no model call). */
export function objectsFromIdentities(
  regions: readonly ObjectRegion[],
  identities: readonly RegionIdentity[],
  side: number,
): ParsedObject[] {
  const scale = side / WORLD.imageSize;
  const objects: ParsedObject[] = [];
  regions.forEach((region, i) => {
    const id = identities[i];
    const distorted = id.distorted > 0.5;
    if (id.shape === 'none' && !distorted) return; // the model sees background here
    // A distorted object's shape is 'none'; the rules never match it, but it still needs a size for its mask.
    const size = namedOrLikeliest(id.size, id.probabilities.size, SIZES);
    const shape = namedOrLikeliest(id.shape, id.probabilities.shape, SHAPES);
    const diameter = WORLD.diameters[size] * scale;
    const [x1, y1, x2, y2] = region.box;
    objects.push({
      shape,
      color: namedOrLikeliest(id.color, id.probabilities.color, COLORS),
      texture: namedOrLikeliest(id.texture, id.probabilities.texture, TEXTURES),
      size,
      diameter,
      cx: (x1 + x2) / 2,
      cy: (y1 + y2) / 2,
      depth: region.pixels.length / Math.max(1, fullArea(shape, diameter, side)),
      distorted,
      area: region.pixels.length,
      box: region.box,
      confidence: Math.min(...(['shape', 'color', 'texture', 'size'] as const).map((f) => Math.max(...id.probabilities[f]))),
    });
  });
  return objects;
}

/** The objects in one image: proposer regions identified by the model's region head (rules above). */
export function proposedObjects(model: UnifiedModel, image: RgbImage): ParsedObject[] {
  const regions = objectRegions(image);
  if (regions.length === 0) return [];
  const unit = regions.map(({ box: [x1, y1, x2, y2] }): Box => [x1 / image.width, y1 / image.height, x2 / image.width, y2 / image.height]);
  return objectsFromIdentities(regions, identifyRegions(model, image, unit), image.width);
}
