// Fixed facts of the synthetic world. Image size: 32x32 keeps a training step of the unified model
// (64 image tokens of 4x4 patches + ~16 text tokens) affordable on a 2-core CPU with the wasm backend,
// while objects of 8-14 px still show shape, colour and a 6-px texture period clearly.
import { Color, Size } from './types';

export const WORLD = {
  /** Image side in pixels (square images). */
  imageSize: 32,
  /** Bounding-box side of an object of each size, in pixels at imageSize. */
  diameters: { small: 8, medium: 11, large: 14 } as Record<Size, number>,
  /** Background colour (light grey: unsaturated, so colour segmentation separates it by saturation). */
  background: [0.93, 0.93, 0.93] as [number, number, number],
  /** Fully saturated object colours (RGB in [0, 1]), hues spread around the wheel. All have HSV saturation
   *  0.86-0.89 (green, blue and purple were raised from 0.75-0.83: their dark texture shades drowned in
   *  noise sigma = 0.05 more often than the other colours' in world-check). */
  colors: {
    red: [0.9, 0.1, 0.1],
    orange: [0.95, 0.55, 0.1],
    yellow: [0.92, 0.85, 0.1],
    green: [0.1, 0.75, 0.2],
    blue: [0.1, 0.3, 0.95],
    purple: [0.62, 0.12, 0.88],
  } as Record<Color, [number, number, number]>,
  /** Minimum centre offset (pixels) along the dominant axis for a 2-D relation such as "left of". */
  spatialMargin: 3,
  /** Minimum diameter ratio for "bigger than" / "smaller than". */
  sizeRatio: 1.25,
} as const;
