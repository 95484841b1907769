// The output class spaces of the model's heads: region identity and count (understanding), and the
// think-mode plan. The training targets (lib/train) and the heads (lib/model) both read them here.
import { COLORS, SHAPES, SIZES, TEXTURES } from '../world/types';

/** Class counts of the region head's outputs; the last class of each attribute is 'none'. */
export const REGION_CLASSES = { shape: SHAPES.length + 1, color: COLORS.length + 1, texture: TEXTURES.length + 1, size: SIZES.length + 1, distorted: 2 } as const;
export const NONE_SHAPE = SHAPES.length;
export const NONE_COLOR = COLORS.length;
export const NONE_TEXTURE = TEXTURES.length;
export const NONE_SIZE = SIZES.length;
/** Count classes 0..COUNT_CLASSES - 1 (the world has at most 4 objects). */
export const COUNT_CLASSES = 5;

export const PLAN_SLOTS = 4;
export const PLAN_GRID = 4;
export const PLAN_FIELDS = ['present', 'shape', 'color', 'texture', 'size', 'cell', 'depthRank'] as const;
export type PlanField = (typeof PLAN_FIELDS)[number];
/** Number of classes of each field (the width of each plan head). */
export const PLAN_CLASSES: Record<PlanField, number> = {
  present: 2,
  shape: SHAPES.length,
  color: COLORS.length,
  texture: TEXTURES.length,
  size: SIZES.length,
  cell: PLAN_GRID * PLAN_GRID,
  depthRank: PLAN_SLOTS,
};
/** Target value of a field that has no label (a slot that is not present): losses skip it. */
export const PLAN_IGNORE = -1;
