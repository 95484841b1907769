// Random prompts of each category, and contradicting prompts (one attribute, relation or count changed).
import { Rng } from '../rng';
import { inferCategory, makePrompt } from './grammar';
import { isHeldOut } from './heldout';
import { sceneSatisfies } from './semantics';
import {
  COLORS,
  Category,
  Constraint,
  GENEVAL_CATEGORIES,
  NON_SPATIAL_RELATIONS,
  DEPTH_RELATIONS,
  ObjectDesc,
  Prompt,
  Relation,
  SHAPES,
  SIZES,
  SPATIAL_RELATIONS,
  Scene,
  TEXTURES,
} from './types';

type Attribute = 'color' | 'texture' | 'size';
const VALUES = { color: COLORS, texture: TEXTURES, size: SIZES, shape: SHAPES } as const;

export interface SampleOptions {
  /** Allow colour-shape pairs held out of training (default false). */
  allowHeldOut?: boolean;
}

function randomDesc(attributes: Attribute[], rng: Rng, allowHeldOut: boolean): ObjectDesc {
  for (;;) {
    const desc: ObjectDesc = { shape: rng.pick(SHAPES) };
    for (const a of attributes) (desc as unknown as Record<string, string>)[a] = rng.pick(VALUES[a]);
    if (allowHeldOut || desc.color === undefined || !isHeldOut(desc.color, desc.shape)) return desc;
  }
}

/** No object can match both descriptions: the shapes differ or a field stated by both differs. */
export function disjoint(a: ObjectDesc, b: ObjectDesc): boolean {
  return (
    a.shape !== b.shape || (['color', 'texture', 'size'] as const).some((k) => a[k] !== undefined && b[k] !== undefined && a[k] !== b[k])
  );
}

/** Structural rules every prompt meets (contradictions included) so that the evaluator can read it. */
export function wellFormed(constraints: Constraint[]): boolean {
  const descs = constraints.map((c) => (c.kind === 'relation' ? null : c.object)).filter((d): d is ObjectDesc => d !== null);
  for (let i = 0; i < descs.length; i++) for (let j = i + 1; j < descs.length; j++) if (!disjoint(descs[i], descs[j])) return false;
  const total = constraints.reduce((n, c) => n + (c.kind === 'count' ? c.count : 1), 0);
  if (total > 4) return false;
  for (const c of constraints) {
    if (c.kind !== 'relation') continue;
    if (!disjoint(c.subject, c.object)) return false;
    const touching = (DEPTH_RELATIONS as readonly string[]).includes(c.relation) || c.relation === 'inside';
    // Touching objects of one colour would merge into one blob: they must differ in stated colour.
    if (touching && (c.subject.color === undefined || c.subject.color === c.object.color)) return false;
  }
  return true;
}

/** A well-formed prompt that a scene can also satisfy: a small object only fits inside a large circle or square. */
export function satisfiable(constraints: Constraint[]): boolean {
  return (
    wellFormed(constraints) &&
    constraints.every(
      (c) =>
        c.kind !== 'relation' ||
        c.relation !== 'inside' ||
        (c.object.shape !== 'triangle' && c.subject.size !== 'large' && c.object.size !== 'small'),
    )
  );
}

function twoDescs(attributes: () => Attribute[], rng: Rng, allowHeldOut: boolean): [ObjectDesc, ObjectDesc] {
  return [randomDesc(attributes(), rng, allowHeldOut), randomDesc(attributes(), rng, allowHeldOut)];
}

function draft(category: Category, rng: Rng, allowHeldOut: boolean): Constraint[] {
  const exists = (object: ObjectDesc): Constraint => ({ kind: 'exists', object });
  const relation = (relations: readonly Relation[], attrs: () => Attribute[]): Constraint => {
    const [subject, object] = twoDescs(attrs, rng, allowHeldOut);
    return { kind: 'relation', relation: rng.pick(relations), subject, object };
  };
  const pair = (attrs: Attribute[]): Constraint[] => twoDescs(() => attrs, rng, allowHeldOut).map(exists);
  switch (category) {
    case 'color':
      return pair(['color']);
    case 'shape':
      return pair(['size']);
    case 'texture':
      return pair(['texture']);
    case 'spatial':
      return [relation(SPATIAL_RELATIONS, () => ['color'])];
    case '3d_spatial':
      return [relation(DEPTH_RELATIONS, () => ['color'])];
    case 'non-spatial':
      return [relation(NON_SPATIAL_RELATIONS, () => ['color'])];
    case 'complex': {
      const attrs = (): Attribute[] => rng.shuffle<Attribute>(['color', 'texture', 'size']).slice(0, rng.int(2, 3));
      return [relation(SPATIAL_RELATIONS, attrs)];
    }
    case 'numeracy': {
      if (rng.next() < 0.4) return [{ kind: 'count', object: randomDesc(['color'], rng, allowHeldOut), count: rng.int(2, 4) }];
      const first = rng.int(1, 3);
      return twoDescs(() => ['color'], rng, allowHeldOut).map((object, i) => ({
        kind: 'count',
        object,
        count: i === 0 ? first : rng.int(1, 4 - first),
      }));
    }
    case 'single_object':
      return [exists(randomDesc([], rng, allowHeldOut))];
    case 'colors':
      return [exists(randomDesc(['color'], rng, allowHeldOut))];
    case 'two_objects':
      return pair([]);
    case 'color_attr':
      return pair(['color']);
    case 'counting':
      return [{ kind: 'count', object: randomDesc([], rng, allowHeldOut), count: rng.int(2, 4) }];
    case 'position':
      return [relation(SPATIAL_RELATIONS, () => [])];
  }
}

export const isGenEval = (category: Category): boolean => (GENEVAL_CATEGORIES as readonly string[]).includes(category);

/** A random well-formed prompt of the given category. */
export function samplePrompt(category: Category, rng: Rng, options: SampleOptions = {}): Prompt {
  const genEval = isGenEval(category);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const constraints = draft(category, rng, options.allowHeldOut ?? false);
    if (!followsGenEvalRule(category, constraints)) continue;
    if (satisfiable(constraints) && inferCategory(constraints, genEval) === category) return makePrompt(constraints, genEval);
  }
  throw new Error(`could not sample a well-formed ${category} prompt`);
}

/** GenEval names two different kinds of object in its two-object prompts, with different colours in color_attr. */
function followsGenEvalRule(category: Category, constraints: Constraint[]): boolean {
  if (category !== 'two_objects' && category !== 'position' && category !== 'color_attr') return true;
  const descs = constraints.flatMap((c) => (c.kind === 'relation' ? [c.subject, c.object] : [c.object]));
  const differ = (key: 'shape' | 'color'): boolean => new Set(descs.map((d) => d[key])).size === descs.length;
  return differ('shape') && (category !== 'color_attr' || differ('color'));
}

type Change = 'relation' | 'count' | 'shape' | Attribute;
/** What a contradicting prompt of each category changes (GenEval and CompBench alike). */
const CHANGES: Record<Category, Change[]> = {
  color: ['color'],
  colors: ['color'],
  color_attr: ['color'],
  texture: ['texture'],
  shape: ['shape'],
  single_object: ['shape'],
  two_objects: ['shape'],
  spatial: ['relation'],
  '3d_spatial': ['relation'],
  'non-spatial': ['relation'],
  position: ['relation'],
  numeracy: ['count'],
  counting: ['count'],
  complex: ['relation', 'color', 'texture', 'size', 'shape'],
};
const OPPOSITE: Record<Relation, Relation> = {
  'left of': 'right of',
  'right of': 'left of',
  above: 'below',
  below: 'above',
  'in front of': 'behind',
  behind: 'in front of',
  'bigger than': 'smaller than',
  'smaller than': 'bigger than',
  inside: 'inside',
};

function withDesc(c: Constraint, role: 'subject' | 'object', desc: ObjectDesc): Constraint {
  if (c.kind === 'relation') return { ...c, [role]: desc };
  return { ...c, object: desc };
}

/** Every prompt that differs from `constraints` in exactly one thing of kind `change`. */
function variants(constraints: Constraint[], change: Change): Constraint[][] {
  const out: Constraint[][] = [];
  constraints.forEach((c, i) => {
    const replace = (next: Constraint): void => {
      out.push(constraints.map((old, j) => (j === i ? next : old)));
    };
    if (change === 'relation' && c.kind === 'relation') {
      // "inside" has no opposite word: the contradiction swaps the two objects instead.
      replace(c.relation === 'inside' ? { ...c, subject: c.object, object: c.subject } : { ...c, relation: OPPOSITE[c.relation] });
    } else if (change === 'count' && c.kind === 'count') {
      for (const count of [c.count - 1, c.count + 1]) if (count >= 1 && count <= 4) replace({ ...c, count });
    } else if (change !== 'relation' && change !== 'count') {
      const roles = c.kind === 'relation' ? (['subject', 'object'] as const) : (['object'] as const);
      for (const role of roles) {
        const desc = c.kind === 'relation' ? c[role] : c.object;
        if (desc[change] === undefined) continue;
        for (const value of VALUES[change]) if (value !== desc[change]) replace(withDesc(c, role, { ...desc, [change]: value }));
      }
    }
  });
  return out;
}

/** A prompt about the same objects with one attribute, relation or count changed so that it is false on `scene`. */
export function contradict(prompt: Prompt, scene: Scene, rng: Rng): Prompt {
  const genEval = isGenEval(prompt.category);
  for (const change of rng.shuffle(CHANGES[prompt.category])) {
    const candidates = rng
      .shuffle(variants(prompt.constraints, change))
      .filter((cs) => wellFormed(cs) && inferCategory(cs, genEval) === prompt.category)
      .map((cs) => makePrompt(cs, genEval))
      .filter((p) => !sceneSatisfies(p, scene));
    if (candidates.length > 0) return candidates[0];
  }
  throw new Error(`no contradicting prompt found for "${prompt.text}"`);
}
