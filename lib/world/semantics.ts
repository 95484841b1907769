// The scene-level truth oracle: does a constraint hold in a scene? This is ground truth for the world
// (layout sampling, contradicting prompts, understanding labels). The independent evaluator (lib/eval)
// applies the same rules to objects it detects from pixels alone.
import { WORLD } from './config';
import { shapeMask } from './geometry';
import { Constraint, ObjectDesc, Prompt, Relation, Scene, SceneObject } from './types';

type Attributes = Pick<SceneObject, 'shape' | 'color' | 'texture' | 'size' | 'distorted'>;

/** A description matches an object when every field it states is equal; a distorted object matches none. */
export function matches(desc: ObjectDesc, object: Partial<Attributes>): boolean {
  return (
    object.distorted !== true &&
    desc.shape === object.shape &&
    (desc.color === undefined || desc.color === object.color) &&
    (desc.texture === undefined || desc.texture === object.texture) &&
    (desc.size === undefined || desc.size === object.size)
  );
}

/** Geometry an object needs for relations: centre, bounding-box side, depth and its pixel mask. */
export interface Placed {
  cx: number;
  cy: number;
  diameter: number;
  depth: number;
  mask: Uint8Array;
}

/** The rule of each relation between a subject s and an object o (one place for the oracle and the evaluator). */
export function relationHolds(relation: Relation, s: Placed, o: Placed): boolean {
  const dx = o.cx - s.cx; // > 0: the subject is left of the object
  const dy = o.cy - s.cy; // > 0: the subject is above the object (y grows downwards)
  const m = WORLD.spatialMargin;
  switch (relation) {
    case 'left of':
      return dx >= m && Math.abs(dx) >= Math.abs(dy);
    case 'right of':
      return -dx >= m && Math.abs(dx) >= Math.abs(dy);
    case 'above':
      return dy >= m && Math.abs(dy) >= Math.abs(dx);
    case 'below':
      return -dy >= m && Math.abs(dy) >= Math.abs(dx);
    case 'behind':
      return s.depth < o.depth && overlaps(s.mask, o.mask);
    case 'in front of':
      return s.depth > o.depth && overlaps(s.mask, o.mask);
    case 'bigger than':
      return s.diameter >= WORLD.sizeRatio * o.diameter;
    case 'smaller than':
      return o.diameter >= WORLD.sizeRatio * s.diameter;
    case 'inside':
      return s.depth > o.depth && contains(o.mask, s.mask);
  }
}

function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] && b[i]) return true;
  return false;
}

/** Every pixel of `inner` lies in `outer` (and inner is not empty). */
function contains(outer: Uint8Array, inner: Uint8Array): boolean {
  let any = false;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i]) {
      any = true;
      if (!outer[i]) return false;
    }
  }
  return any;
}

function placed(object: SceneObject, scene: Scene): Placed {
  return {
    cx: object.cx,
    cy: object.cy,
    diameter: object.diameter,
    depth: object.depth,
    mask: shapeMask(object, scene.width, scene.height),
  };
}

export function holds(constraint: Constraint, scene: Scene): boolean {
  switch (constraint.kind) {
    case 'exists':
      return scene.objects.some((o) => matches(constraint.object, o));
    case 'count':
      return scene.objects.filter((o) => matches(constraint.object, o)).length === constraint.count;
    case 'relation': {
      const subjects = scene.objects.filter((o) => matches(constraint.subject, o));
      const objects = scene.objects.filter((o) => matches(constraint.object, o));
      if (subjects.length !== 1 || objects.length !== 1 || subjects[0] === objects[0]) return false;
      return relationHolds(constraint.relation, placed(subjects[0], scene), placed(objects[0], scene));
    }
  }
}

export function sceneSatisfies(prompt: Prompt, scene: Scene): boolean {
  return prompt.constraints.every((c) => holds(c, scene));
}
