// Understanding queries about one scene, with labels from the scene oracle (semantics.ts), never from pixels:
//   region  - "what object is inside box [x1, y1, x2, y2]": shape / colour / texture / size (each with a
//             trailing 'none' class) and distorted yes/no;
//   verdict - "does the image satisfy this one constraint" (its canonical CompBench text): yes/no;
//   count   - "how many <description>": 0..4.
// Distorted objects match no description, so they are 'none' in shape (their colour, texture and size stay
// visible and labelled) and they never count and never satisfy a constraint.
// Train-split hygiene: every text a train query uses must itself be trainable: no held-out colour-shape pair,
// and read as a one-constraint CompBench prompt its split must include 'train' (so no val/test prompt text is
// ever a training query).
import { COUNT_CLASSES, NONE_COLOR, NONE_SHAPE, NONE_SIZE, NONE_TEXTURE } from '../model/classes';
import { boxOf } from '../regions/propose';
import type { Rng } from '../rng';
import { makePrompt, promptText } from '../world/grammar';
import { distortedMask } from '../world/distort';
import { shapeMask } from '../world/geometry';
import { contradict, samplePrompt, wellFormed } from '../world/sample';
import { holds, matches } from '../world/semantics';
import { mentionsHeldOut, splitsOf } from '../world/splits';
import {
  COLORS,
  SHAPES,
  SIZES,
  TEXTURES,
  type Constraint,
  type ObjectDesc,
  type Prompt,
  type Scene,
  type SceneObject,
  type Split,
} from '../world/types';

/** The region head's targets for a box that holds no object. */
export const BACKGROUND_LABELS: Omit<RegionQuery, 'box'> = {
  shape: NONE_SHAPE,
  color: NONE_COLOR,
  texture: NONE_TEXTURE,
  size: NONE_SIZE,
  distorted: 0,
};

/** Largest random shift of each box edge, in pixels at the scene's size. */
export const BOX_JITTER_PX = 1;

export interface RegionQuery {
  /** [x1, y1, x2, y2] in [0, 1] of the image side (x right, y down). */
  box: [number, number, number, number];
  shape: number;
  color: number;
  texture: number;
  size: number;
  /** 1 when the box holds a distorted object. */
  distorted: number;
}

export interface TextQuery<L> {
  text: string;
  label: L;
}

/** "a red circle" form of a description (the count and verdict heads read this text). */
export function descriptionText(desc: ObjectDesc): string {
  return promptText([{ kind: 'exists', object: desc }], false);
}

/** May this constraint's text appear in a batch of `split`? (See the file comment.) */
export function usableConstraint(constraint: Constraint, split: Split): boolean {
  if (!wellFormed([constraint])) return false;
  if (split !== 'train') return true;
  const asPrompt = makePrompt([constraint], false);
  return !mentionsHeldOut(asPrompt) && splitsOf(asPrompt).includes('train');
}

function objectMask(o: SceneObject, scene: Scene): Uint8Array {
  return o.distorted === true ? distortedMask(o, scene.width, scene.height) : shapeMask(o, scene.width, scene.height);
}

/** Side of the base model's patches in pixels of a 32-px image. */
const PATCH_SNAP_PX = 4;

/** An object's visible pixels at the scene's size: its mask less what the objects in front of it cover. */
export function visibleMask(o: SceneObject, scene: Scene): Uint8Array {
  const visible = objectMask(o, scene);
  for (const front of scene.objects)
    if (front.depth > o.depth)
      objectMask(front, scene).forEach((v, i) => {
        if (v) visible[i] = 0;
      });
  return visible;
}

/** The box of an object's visible pixels (objects drawn later cover it), as the region proposer boxes it; undefined when hidden. */
function visibleBox(o: SceneObject, scene: Scene): RegionQuery['box'] | undefined {
  const visible = visibleMask(o, scene);
  const pixels: number[] = [];
  visible.forEach((v, i) => {
    if (v) pixels.push(i);
  });
  if (pixels.length === 0) return undefined;
  const [x1, y1, x2, y2] = boxOf(pixels, scene.width);
  return [x1 / scene.width, y1 / scene.height, x2 / scene.width, y2 / scene.height];
}

function objectQuery(o: SceneObject, scene: Scene, rng: Rng): RegionQuery {
  const labels = objectLabels(o);
  // A third of the boxes are the proposer's view: the box of the visible pixels (lib/regions/objects.ts reads those).
  const visible = rng.next() < 1 / 3 ? visibleBox(o, scene) : undefined;
  if (visible !== undefined) return { box: visible, ...labels };
  const half = o.diameter / 2;
  const jitter = (): number => (2 * rng.next() - 1) * BOX_JITTER_PX * (scene.width / 32);
  const clamp = (v: number): number => Math.min(1, Math.max(0, v));
  // Half the boxes are snapped outwards to whole patches, as the scene parse's object boxes are (lib/model/parse.ts).
  const patch = PATCH_SNAP_PX * (scene.width / 32);
  const snapped = rng.next() < 0.5;
  const edge = (v: number, round: (x: number) => number): number => (snapped ? round(v / patch) * patch : v) + jitter();
  const box: RegionQuery['box'] = [
    clamp(edge(o.cx - half, Math.floor) / scene.width),
    clamp(edge(o.cy - half, Math.floor) / scene.height),
    clamp(edge(o.cx + half, Math.ceil) / scene.width),
    clamp(edge(o.cy + half, Math.ceil) / scene.height),
  ];
  return { box, ...labels };
}

/** The region head's targets for an object (a distorted one is shape 'none'; its other attributes stay visible). */
export function objectLabels(o: SceneObject): Omit<RegionQuery, 'box'> {
  const distorted = o.distorted === true;
  return {
    shape: distorted ? NONE_SHAPE : SHAPES.indexOf(o.shape),
    color: COLORS.indexOf(o.color),
    texture: TEXTURES.indexOf(o.texture),
    size: SIZES.indexOf(o.size),
    distorted: distorted ? 1 : 0,
  };
}

/** A box of 6-14 px over background only (no object pixel inside), or undefined if none was found. */
function backgroundQuery(scene: Scene, rng: Rng): RegionQuery | undefined {
  const occupied = new Uint8Array(scene.width * scene.height);
  for (const o of scene.objects) objectMask(o, scene).forEach((v, i) => (occupied[i] |= v));
  const scale = scene.width / 32;
  for (let attempt = 0; attempt < 30; attempt++) {
    const side = Math.round(rng.int(6, 14) * scale);
    const left = rng.int(0, scene.width - side);
    const top = rng.int(0, scene.height - side);
    let clear = true;
    for (let y = top; y < top + side && clear; y++)
      for (let x = left; x < left + side && clear; x++) clear = !occupied[y * scene.width + x];
    if (!clear) continue;
    const box: RegionQuery['box'] = [left / scene.width, top / scene.height, (left + side) / scene.width, (top + side) / scene.height];
    return { box, ...BACKGROUND_LABELS };
  }
  return undefined;
}

/** One region query: the distorted object (often, when there is one), a background box (~25%) or an object. */
export function regionQuery(scene: Scene, rng: Rng): RegionQuery {
  const distorted = scene.objects.filter((o) => o.distorted === true);
  const r = rng.next();
  if (distorted.length > 0 && r < 0.4) return objectQuery(rng.pick(distorted), scene, rng);
  if (r >= 0.4 && r < 0.65) {
    const background = backgroundQuery(scene, rng);
    if (background !== undefined) return background;
  }
  return objectQuery(rng.pick(scene.objects), scene, rng);
}

/** Descriptions of the scene's own objects with a random subset of their attributes stated. */
function sceneDescriptions(scene: Scene, rng: Rng): ObjectDesc[] {
  return scene.objects.map((o) => {
    const desc: ObjectDesc = { shape: o.shape };
    if (rng.next() < 0.6) desc.color = o.color;
    if (rng.next() < 0.3) desc.texture = o.texture;
    if (rng.next() < 0.3) desc.size = o.size;
    return desc;
  });
}

function randomDescription(rng: Rng): ObjectDesc {
  const desc: ObjectDesc = { shape: rng.pick(SHAPES) };
  if (rng.next() < 0.7) desc.color = rng.pick(COLORS);
  if (rng.next() < 0.3) desc.texture = rng.pick(TEXTURES);
  if (rng.next() < 0.3) desc.size = rng.pick(SIZES);
  return desc;
}

/** Pick the wanted label's pool (another label's when it is empty), then one item of it. */
function pickBalanced<L>(pools: Map<L, TextQuery<L>[]>, wanted: L, rng: Rng): TextQuery<L> {
  const pool = pools.get(wanted) ?? rng.pick([...pools.values()]);
  return rng.pick(pool);
}

function groupByLabel<L>(queries: TextQuery<L>[]): Map<L, TextQuery<L>[]> {
  const seen = new Set<string>();
  const pools = new Map<L, TextQuery<L>[]>();
  for (const q of queries) {
    if (seen.has(q.text)) continue;
    seen.add(q.text);
    pools.set(q.label, [...(pools.get(q.label) ?? []), q]);
  }
  return pools;
}

/**
 * One verdict query, true or false with equal probability within one constraint kind (when the scene offers
 * both): candidates are the prompt's own constraints, those of a contradicting prompt (contradict()), those of
 * another random prompt of the same category, and existence statements about the scene's objects; the label
 * is holds(c, scene).
 */
export function verdictQuery(prompt: Prompt, scene: Scene, split: Split, rng: Rng): TextQuery<number> {
  const candidates: Constraint[] = [...prompt.constraints];
  try {
    candidates.push(...contradict(prompt, scene, rng).constraints);
  } catch {
    // Some scenes admit no contradiction of the wanted kind; the other sources still give false statements.
  }
  candidates.push(...samplePrompt(prompt.category, rng, { allowHeldOut: split !== 'train' }).constraints);
  candidates.push(...sceneDescriptions(scene, rng).map((object): Constraint => ({ kind: 'exists', object })));
  const usable = candidates.filter((c) => usableConstraint(c, split));
  // Rarely every candidate is unusable (held out or a val/test text): draw more prompts of the category until one is not.
  for (let attempt = 0; usable.length === 0 && attempt < 200; attempt++) {
    usable.push(
      ...samplePrompt(prompt.category, rng, { allowHeldOut: split !== 'train' }).constraints.filter((c) => usableConstraint(c, split)),
    );
  }
  if (usable.length === 0) throw new Error(`no usable verdict query for "${prompt.text}"`);
  // Balance labels within a constraint kind: pooled over kinds, true statements were mostly existence and false
  // ones mostly relations (21% of relation queries true), which teaches "a relation -> no" instead of looking.
  const byKind = new Map<Constraint['kind'], Constraint[]>();
  for (const c of usable) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c]);
  const toQuery = (c: Constraint): TextQuery<number> => ({ text: promptText([c], false), label: holds(c, scene) ? 1 : 0 });
  const pools = [...byKind.values()].map((cs) => groupByLabel(cs.map(toQuery)));
  const mixed = pools.filter((pool) => pool.size > 1);
  return pickBalanced(rng.pick(mixed.length > 0 ? mixed : pools), rng.next() < 0.5 ? 1 : 0, rng);
}

/** One count query: a description of a scene object or a random one; the count class is drawn uniformly. */
export function countQuery(scene: Scene, split: Split, rng: Rng): TextQuery<number> {
  const descs = [
    ...sceneDescriptions(scene, rng),
    ...sceneDescriptions(scene, rng),
    ...Array.from({ length: 4 }, () => randomDescription(rng)),
  ];
  const queries = descs
    .filter((object) => usableConstraint({ kind: 'exists', object }, split))
    .map((desc) => ({
      text: descriptionText(desc),
      label: Math.min(COUNT_CLASSES - 1, scene.objects.filter((o) => matches(desc, o)).length),
    }));
  // Rarely every description is unusable (held out or a val/test text): draw random ones until one is not.
  while (queries.length === 0) {
    const desc = randomDescription(rng);
    if (usableConstraint({ kind: 'exists', object: desc }, split))
      queries.push({
        text: descriptionText(desc),
        label: Math.min(COUNT_CLASSES - 1, scene.objects.filter((o) => matches(desc, o)).length),
      });
  }
  const pools = groupByLabel(queries);
  return pickBalanced(pools, rng.pick([...pools.keys()]), rng);
}
