// Colour-shape pairs kept out of the training split (never in a train prompt or a train scene), for out-of-domain tests.
// TrainConfig.heldOutImages relaxes this for understanding images only (lib/train/data.ts, BatchOptions.heldOutScenes).
import { Color, Shape } from './types';

export const HELD_OUT_PAIRS: ReadonlyArray<readonly [Color, Shape]> = [
  ['purple', 'triangle'],
  ['orange', 'square'],
  ['green', 'circle'],
];

export function isHeldOut(color: Color, shape: Shape): boolean {
  return HELD_OUT_PAIRS.some(([c, s]) => c === color && s === shape);
}
