// The output class spaces of the model's heads: region identity and count (understanding), and the
// think-mode plan. The training targets (lib/train) and the heads (lib/model) both read them here.
import { COLORS, SHAPES, SIZES, TEXTURES } from '../world/types';

/** Class counts of the region head's outputs; the last class of each attribute is 'none'. */
export const REGION_CLASSES = {
  shape: SHAPES.length + 1,
  color: COLORS.length + 1,
  texture: TEXTURES.length + 1,
  size: SIZES.length + 1,
  distorted: 2,
} as const;
export const NONE_SHAPE = SHAPES.length;
export const NONE_COLOR = COLORS.length;
export const NONE_TEXTURE = TEXTURES.length;
export const NONE_SIZE = SIZES.length;
/** Count classes 0..COUNT_CLASSES - 1 (the world has at most 4 objects). */
export const COUNT_CLASSES = 5;

export const PLAN_SLOTS = 4;
/** Cells per side of the plan grid of the default model (ModelConfig.planGrid). */
export const PLAN_GRID = 4;
export const PLAN_FIELDS = ['present', 'shape', 'color', 'texture', 'size', 'cell', 'depthRank'] as const;
export type PlanField = (typeof PLAN_FIELDS)[number];
/** Number of classes of each field (the width of each plan head), for the default plan grid; planClasses for others. */
export const PLAN_CLASSES: Record<PlanField, number> = {
  present: 2,
  shape: SHAPES.length,
  color: COLORS.length,
  texture: TEXTURES.length,
  size: SIZES.length,
  cell: PLAN_GRID * PLAN_GRID,
  depthRank: PLAN_SLOTS,
};
/** Values of one prompt's plan: PLAN_SLOTS rows of PLAN_FIELDS (plans of a batch are [B, PLAN_SLOTS, PLAN_FIELDS]). */
export const PLAN_VALUES = PLAN_SLOTS * PLAN_FIELDS.length;

/** Centre of plan cell `cell` (row-major on a grid x grid plan grid) on a width x height image. */
export function planCellCentre(cell: number, grid: number, width: number, height = width): { cx: number; cy: number } {
  return { cx: ((cell % grid) + 0.5) * (width / grid), cy: (Math.floor(cell / grid) + 0.5) * (height / grid) };
}

/** The plan's class counts for a plan grid of `grid` cells per side (ModelConfig.planGrid). */
export function planClasses(grid: number): Record<PlanField, number> {
  return { ...PLAN_CLASSES, cell: grid * grid };
}
/**
 * The plan canvas (ModelConfig.planCanvas, plan.ts): per pixel, the covering slot's shape, colour, texture and size
 * one-hots, then dx, dy (offset from the box centre in radii) and an inside flag.
 */
export const CANVAS_CHANNELS = SHAPES.length + COLORS.length + TEXTURES.length + SIZES.length + 3;
/** Box-offset features per image token (plan.ts): coverage-weighted dx, dy, dx^2, dy^2 summed over slots. */
export const OFFSET_FEATURES = 4;
/**
 * ModelConfig.planCellDecoder: per earlier slot (present, centre x, centre y, radius), for the PLAN_SLOTS - 1 slots that can
 * precede one.
 */
export const SLOT_CONTEXT_FEATURES = (PLAN_SLOTS - 1) * 4;
/** Hidden width of the cell decoder's MLP. */
export const CELL_DECODER_HIDDEN = 128;
/** Target value of a field that has no label (a slot that is not present): losses skip it. */
export const PLAN_IGNORE = -1;

/**
 * Scene parse (understanding, parse.ts): per image patch, the object covering it (shape, colour, texture, size, each
 * with a last 'none' class), whether it is distorted, its depth rank (0 = farthest) and its centre in PARSE_BINS bins
 * per axis (2 px at 32 px).
 */
export const PARSE_BINS = 16;
export const PARSE_MAX_OBJECTS = 4;
export const PARSE_FIELDS = ['shape', 'color', 'texture', 'size', 'x', 'y', 'depthRank', 'distorted'] as const;
export type ParseField = (typeof PARSE_FIELDS)[number];
export const PARSE_CLASSES: Record<ParseField, number> = {
  shape: SHAPES.length + 1,
  color: COLORS.length + 1,
  texture: TEXTURES.length + 1,
  size: SIZES.length + 1,
  x: PARSE_BINS,
  y: PARSE_BINS,
  depthRank: PARSE_MAX_OBJECTS,
  distorted: 2,
};
