// The scene layout sampler: a prompt -> a scene that makes every one of its constraints true, and that the
// independent evaluator can read back from pixels. Rules (all in pixels at WORLD.imageSize = 32):
//   - the scene holds exactly the objects the prompt mentions (a count of k gives k objects);
//   - unstated attributes are drawn uniformly (colour avoiding HELD_OUT_PAIRS unless allowHeldOut); when the
//     scene does not fit after half the attempts, unstated sizes fall back to 'small';
//   - bounding boxes sit on whole pixels (crisp shapes) at least BORDER px from the image edge;
//   - objects that no relation makes touch keep OBJECT_GAP px of background between their pixels, so even
//     after a radius-1 blur a background pixel separates them (same-colour objects never merge);
//   - 2-D relations hold with SPATIAL_SAFETY px to spare on both tests (offset >= margin, |dx| >= |dy|), so a
//     one-pixel error in a measured centre cannot flip them;
//   - behind / in front of: the front object takes a corner bite out of the back one: their centres differ
//     by at least BITE_OFFSET px along both axes, the back object's box reaches at least BITE_OFFSET px beyond
//     the front one's along both axes, and the bite covers 20-45% of the back object's pixels, so
//     the back object stays mostly visible and the overlap has a clear owner (the front colour);
//   - inside: the inner object, grown by one pixel, still lies in the outer one (a visible ring remains). A small
//     square fits a large circle only when centred to within a pixel, and the random placement missed that in all
//     400 attempts for 11 of 200 seeds of "a red square inside a blue circle"; so a prompt whose attempts all fail
//     gets a second round that centres the inner object (scenes found in the first round are drawn as before).
import { Rng } from '../rng';
import { WORLD } from './config';
import { shapeMask } from './geometry';
import { isHeldOut } from './heldout';
import { sceneSatisfies } from './semantics';
import { COLORS, Constraint, ObjectDesc, Prompt, Relation, SIZES, Scene, SceneObject, TEXTURES } from './types';

/** Background pixels kept between objects that do not touch. */
export const OBJECT_GAP = 3;
/** Empty pixels kept along the image edge. */
export const BORDER = 1;
/** Slack, in pixels, by which a sampled 2-D relation beats its thresholds. */
export const SPATIAL_SAFETY = 2;
/** Minimum centre offset along each axis between a front and a back object (a corner bite, not a cover). */
export const BITE_OFFSET = 3;
const BITE_FRACTION: [number, number] = [0.2, 0.45];
const MAX_ATTEMPTS = 400;
const TRIES_PER_OBJECT = 60;

export interface LayoutOptions {
  allowHeldOut?: boolean;
  /** Image side in pixels (default WORLD.imageSize); positions and diameters scale with it. */
  size?: number;
  /**
   * Freely placed objects put their bounding box's corner on multiples of this many pixels (default 1: any pixel).
   * A training-data prior (TrainConfig.layoutGrid): with the model's patch size, every such object starts on a patch
   * border, so a generator has far fewer positions to choose among. Touching pairs keep pixel offsets.
   */
  grid?: number;
  /**
   * An "inside" prompt whose 400 attempts all fail gets a second round with the inner object centred (default true).
   * Training data turns it off (lib/train/data.ts), so the shipped weights' training scenes stay as they were drawn.
   */
  centredRetry?: boolean;
}

/** One object the prompt asks for, with the relation role it plays (if any). */
interface Slot {
  desc: ObjectDesc;
  role?: 'subject' | 'object';
}

function slotsOf(prompt: Prompt): { slots: Slot[]; relation?: Relation } {
  const slots: Slot[] = [];
  let relation: Relation | undefined;
  for (const c of prompt.constraints as Constraint[]) {
    if (c.kind === 'relation') {
      relation = c.relation;
      slots.push({ desc: c.subject, role: 'subject' }, { desc: c.object, role: 'object' });
    } else {
      for (let k = 0; k < (c.kind === 'count' ? c.count : 1); k++) slots.push({ desc: c.object });
    }
  }
  return { slots, relation };
}

function fillAttributes(slot: Slot, rng: Rng, options: { allowHeldOut: boolean; compact: boolean }): SceneObject {
  const { shape } = slot.desc;
  const colors = COLORS.filter((c) => options.allowHeldOut || !isHeldOut(c, shape));
  const color = slot.desc.color ?? rng.pick(colors);
  const texture = slot.desc.texture ?? rng.pick(TEXTURES);
  const size = slot.desc.size ?? (options.compact ? 'small' : rng.pick(SIZES));
  return { shape, color, texture, size, cx: 0, cy: 0, diameter: WORLD.diameters[size], depth: 0 };
}

/** Put the object's bounding box at a whole-pixel corner (left, top). */
function moveTo(object: SceneObject, left: number, top: number): void {
  object.cx = left + object.diameter / 2;
  object.cy = top + object.diameter / 2;
}

/** Corner on a random multiple of `grid` inside the border (grid 1: any pixel, the same draw as rng.int(BORDER, hi)). */
function placeRandomly(object: SceneObject, side: number, rng: Rng, grid = 1): void {
  const hi = side - BORDER - object.diameter;
  const lo = Math.ceil(BORDER / grid) * grid;
  // no grid position fits: any pixel
  const coordinate = lo > hi ? () => rng.int(BORDER, hi) : () => lo + grid * rng.int(0, Math.floor((hi - lo) / grid));
  moveTo(object, coordinate(), coordinate());
}

type Mask = Uint8Array;
const maskOf = (o: SceneObject, side: number): Mask => shapeMask(o, side, side);

/** Are two masks at least `gap` background pixels apart (Chebyshev distance > gap)? */
function separated(a: Mask, b: Mask, side: number, gap: number): boolean {
  for (let i = 0; i < a.length; i++) {
    if (!a[i]) continue;
    const x = i % side;
    const y = (i - x) / side;
    for (let yy = Math.max(0, y - gap); yy <= Math.min(side - 1, y + gap); yy++) {
      for (let xx = Math.max(0, x - gap); xx <= Math.min(side - 1, x + gap); xx++) if (b[yy * side + xx]) return false;
    }
  }
  return true;
}

function countOverlap(a: Mask, b: Mask): { overlap: number; areaA: number } {
  let overlap = 0;
  let areaA = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]) areaA++;
    if (a[i] && b[i]) overlap++;
  }
  return { overlap, areaA };
}

/** Is `inner`, grown by one pixel, inside `outer`? */
function containedWithRing(inner: Mask, outer: Mask, side: number): boolean {
  for (let i = 0; i < inner.length; i++) {
    if (!inner[i]) continue;
    const x = i % side;
    const y = (i - x) / side;
    for (let yy = y - 1; yy <= y + 1; yy++) {
      for (let xx = x - 1; xx <= x + 1; xx++) {
        if (xx < 0 || yy < 0 || xx >= side || yy >= side || !outer[yy * side + xx]) return false;
      }
    }
  }
  return true;
}

/** Does the sampled pair show the relation clearly (with the safety margins above)? */
function readable(relation: Relation, s: SceneObject, o: SceneObject, side: number): boolean {
  const dx = o.cx - s.cx;
  const dy = o.cy - s.cy;
  const need = WORLD.spatialMargin + SPATIAL_SAFETY;
  switch (relation) {
    case 'left of':
      return dx >= need && Math.abs(dx) - Math.abs(dy) >= SPATIAL_SAFETY;
    case 'right of':
      return -dx >= need && Math.abs(dx) - Math.abs(dy) >= SPATIAL_SAFETY;
    case 'above':
      return dy >= need && Math.abs(dy) - Math.abs(dx) >= SPATIAL_SAFETY;
    case 'below':
      return -dy >= need && Math.abs(dy) - Math.abs(dx) >= SPATIAL_SAFETY;
    case 'bigger than':
    case 'smaller than':
      return separated(maskOf(s, side), maskOf(o, side), side, OBJECT_GAP);
    case 'behind':
    case 'in front of': {
      const [back, front] = s.depth < o.depth ? [s, o] : [o, s];
      if (Math.abs(dx) < BITE_OFFSET || Math.abs(dy) < BITE_OFFSET) return false;
      // The back object shows at least BITE_OFFSET px beyond the front one's box along both axes (a corner
      // bite, so two of its edges and the corner between them stay visible).
      const beyond = (b0: number, f0: number, db: number, df: number): number => Math.max(f0 - b0, b0 + db - (f0 + df));
      const [bl, bt, fl, ft] = [
        back.cx - back.diameter / 2,
        back.cy - back.diameter / 2,
        front.cx - front.diameter / 2,
        front.cy - front.diameter / 2,
      ];
      if (beyond(bl, fl, back.diameter, front.diameter) < BITE_OFFSET || beyond(bt, ft, back.diameter, front.diameter) < BITE_OFFSET)
        return false;
      const { overlap, areaA } = countOverlap(maskOf(back, side), maskOf(front, side));
      return overlap >= BITE_FRACTION[0] * areaA && overlap <= BITE_FRACTION[1] * areaA;
    }
    case 'inside':
      return containedWithRing(maskOf(s, side), maskOf(o, side), side);
  }
}

/**
 * Place the relation's object, then the subject near it (touching relations; `centred`: inside, within a pixel of its centre)
 * or anywhere.
 */
function placePair(relation: Relation, s: SceneObject, o: SceneObject, side: number, rng: Rng, grid: number, centred: boolean): boolean {
  const touching = relation === 'behind' || relation === 'in front of' || relation === 'inside';
  s.depth = relation === 'behind' ? 0 : 1;
  o.depth = relation === 'behind' ? 1 : 0;
  for (let t = 0; t < TRIES_PER_OBJECT; t++) {
    placeRandomly(o, side, rng, grid);
    if (!touching) placeRandomly(s, side, rng, grid);
    else {
      // Subject's corner within the object's box, give or take its own diameter.
      const corner = (c: number): number =>
        centred
          ? Math.round(c - s.diameter / 2) + rng.int(-1, 1)
          : Math.round(c - o.diameter / 2) + rng.int(-s.diameter + 1, o.diameter - 1);
      const [left, top] = [corner(o.cx), corner(o.cy)];
      if (left < BORDER || top < BORDER || left + s.diameter > side - BORDER || top + s.diameter > side - BORDER) continue;
      moveTo(s, left, top);
    }
    if ((touching || separated(maskOf(s, side), maskOf(o, side), side, OBJECT_GAP)) && readable(relation, s, o, side)) return true;
  }
  return false;
}

/** Place the remaining objects one by one, each clear of everything already placed. */
function placeFree(objects: SceneObject[], placed: SceneObject[], side: number, rng: Rng, grid: number): boolean {
  const masks = placed.map((o) => maskOf(o, side));
  for (const object of objects) {
    let ok = false;
    for (let t = 0; t < TRIES_PER_OBJECT && !ok; t++) {
      placeRandomly(object, side, rng, grid);
      const mask = maskOf(object, side);
      ok = masks.every((m) => separated(mask, m, side, OBJECT_GAP));
      if (ok) masks.push(mask);
    }
    if (!ok) return false;
  }
  return true;
}

function scaled(scene: Scene, size: number): Scene {
  const k = size / scene.width;
  const objects = scene.objects.map((o) => ({ ...o, cx: o.cx * k, cy: o.cy * k, diameter: o.diameter * k }));
  return { width: size, height: size, objects };
}

/** No scene satisfying the prompt was found (e.g. two large squares side by side do not fit in 32 px). */
export class LayoutError extends Error {}

/** A scene in which every constraint of the prompt holds; throws a LayoutError after every attempt failed (file comment). */
export function sceneFor(prompt: Prompt, rng: Rng, options: LayoutOptions = {}): Scene {
  const side = WORLD.imageSize;
  const size = options.size ?? side;
  const { slots, relation } = slotsOf(prompt);
  const attempts = (relation === 'inside' && options.centredRetry !== false ? 2 : 1) * MAX_ATTEMPTS;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const centred = attempt >= MAX_ATTEMPTS; // the second round (file comment)
    const compact = attempt >= MAX_ATTEMPTS / 2 && !centred;
    const objects = slots.map((slot) => fillAttributes(slot, rng, { allowHeldOut: options.allowHeldOut ?? false, compact }));
    objects.forEach((o, i) => (o.depth = i));
    const subject = objects[slots.findIndex((s) => s.role === 'subject')];
    const object = objects[slots.findIndex((s) => s.role === 'object')];
    if (
      relation !== undefined &&
      (relation === 'behind' || relation === 'in front of' || relation === 'inside') &&
      subject.color === object.color
    )
      continue;
    const grid = options.grid ?? 1;
    const pairOk = relation === undefined || placePair(relation, subject, object, side, rng, grid, centred);
    const rest = objects.filter((o) => o !== subject && o !== object);
    if (!pairOk || !placeFree(rest, relation === undefined ? [] : [subject, object], side, rng, grid)) continue;
    const scene = size === side ? { width: side, height: side, objects } : scaled({ width: side, height: side, objects }, size);
    if (sceneSatisfies(prompt, scene)) return scene;
  }
  throw new LayoutError(`could not lay out a scene for "${prompt.text}" in ${attempts} attempts (is the prompt satisfiable?)`);
}

/** sceneFor, or undefined when no scene fits the prompt (a LayoutError); other errors propagate. */
export function sceneIfFits(prompt: Prompt, rng: Rng, options: LayoutOptions = {}): Scene | undefined {
  try {
    return sceneFor(prompt, rng, options);
  } catch (error) {
    if (error instanceof LayoutError) return undefined;
    throw error;
  }
}
