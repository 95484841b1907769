// The synthetic compositional world: the types every stage shares.
// Conventions (stated once, here):
//   - Images are RgbImage: row-major [H, W, C=3], float values in [0, 1]. (The model maps them to [-1, 1].)
//   - Pixel coordinates: x grows to the right, y grows downwards; (0, 0) is the top-left corner.
//   - Depth: a larger `depth` is drawn later, i.e. nearer the viewer ("in front").

export const SHAPES = ['circle', 'square', 'triangle'] as const;
export const COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple'] as const;
export const TEXTURES = ['plain', 'striped', 'checkered'] as const;
export const SIZES = ['small', 'medium', 'large'] as const;

export type Shape = (typeof SHAPES)[number];
export type Color = (typeof COLORS)[number];
export type Texture = (typeof TEXTURES)[number];
export type Size = (typeof SIZES)[number];

/** The eight T2I-CompBench categories, then the six GenEval ones. */
export const COMPBENCH_CATEGORIES = ['color', 'shape', 'texture', 'spatial', '3d_spatial', 'numeracy', 'non-spatial', 'complex'] as const;
export const GENEVAL_CATEGORIES = ['single_object', 'two_objects', 'counting', 'colors', 'position', 'color_attr'] as const;
export const CATEGORIES = [...COMPBENCH_CATEGORIES, ...GENEVAL_CATEGORIES] as const;
export type CompBenchCategory = (typeof COMPBENCH_CATEGORIES)[number];
export type GenEvalCategory = (typeof GENEVAL_CATEGORIES)[number];
export type Category = (typeof CATEGORIES)[number];

/** 2-D relations compare centroids; 3-D ones depth order (occlusion);
 *  the non-spatial ones (this world's stand-in for CompBench's actions) compare size or containment. */
export const SPATIAL_RELATIONS = ['left of', 'right of', 'above', 'below'] as const;
export const DEPTH_RELATIONS = ['in front of', 'behind'] as const;
export const NON_SPATIAL_RELATIONS = ['bigger than', 'smaller than', 'inside'] as const;
export type SpatialRelation = (typeof SPATIAL_RELATIONS)[number];
export type DepthRelation = (typeof DEPTH_RELATIONS)[number];
export type NonSpatialRelation = (typeof NON_SPATIAL_RELATIONS)[number];
export type Relation = SpatialRelation | DepthRelation | NonSpatialRelation;

/** What a prompt says about one object; omitted fields are unconstrained. `shape` is the noun and always present. */
export interface ObjectDesc {
  shape: Shape;
  color?: Color;
  texture?: Texture;
  size?: Size;
}

/** A checkable statement made by a prompt. */
export type Constraint =
  /** At least one object matches `object` ("a red circle"). */
  | { kind: 'exists'; object: ObjectDesc }
  /** Exactly `count` objects match `object` ("three red circles"). */
  | { kind: 'count'; object: ObjectDesc; count: number }
  /** The (unique) object matching `subject` stands in `relation` to the one matching `object`. */
  | { kind: 'relation'; relation: Relation; subject: ObjectDesc; object: ObjectDesc };

/** A prompt of the world's grammar with the structured constraints it states. */
export interface Prompt {
  text: string;
  category: Category;
  constraints: Constraint[];
}

/** One drawn object. Positions and sizes are in pixels of the image the scene is rendered at. */
export interface SceneObject {
  shape: Shape;
  color: Color;
  texture: Texture;
  size: Size;
  /** Centre of the object's bounding box. */
  cx: number;
  cy: number;
  /** Side of the object's bounding box in pixels (set by `size`, see world config). */
  diameter: number;
  /** Draw order: larger is nearer the viewer. */
  depth: number;
  /** Drawn with a seeded deformed mask (distort.ts); such an object matches no description. Default false. */
  distorted?: boolean;
  /**
   * A circle or square drawn as the superellipse |dx/r|^n + |dy/r|^n <= 1 of this exponent n (2 = the circle,
   * large = the square) instead of its ideal shape, drawn only where its pixels stay nearer its own ideal shape's.
   * Undefined: the ideal shape. Only understanding training draws such objects (train/data.ts morphShapes).
   */
  exponent?: number;
}

export interface Scene {
  width: number;
  height: number;
  objects: SceneObject[];
}

export interface RgbImage {
  width: number;
  height: number;
  /** [H, W, 3] row-major, values in [0, 1]. */
  data: Float32Array;
}

export type Split = 'train' | 'val' | 'test';
