// The prompt grammar: constraints -> canonical text, text -> constraints, and the category a prompt belongs to.
// GenEval-style prompts start with "a photo of"; T2I-CompBench-style ones do not.
import {
  COLORS,
  Category,
  Constraint,
  DEPTH_RELATIONS,
  NON_SPATIAL_RELATIONS,
  ObjectDesc,
  Prompt,
  Relation,
  SHAPES,
  SIZES,
  TEXTURES,
  Color,
  Shape,
  Size,
  Texture,
} from './types';
import { NUMBER_WORDS } from './words';
import { UnknownWordError, words } from './tokenizer';
import { PROMPT_WORDS } from './words';

const GENEVAL_PREFIX = 'a photo of';

/** How each relation is written; GenEval's position prompts say "left of", CompBench's "on the left of". */
const RELATION_PHRASES: Record<Relation, string> = {
  'left of': 'on the left of',
  'right of': 'on the right of',
  above: 'above',
  below: 'below',
  'in front of': 'in front of',
  behind: 'behind',
  'bigger than': 'bigger than',
  'smaller than': 'smaller than',
  inside: 'inside',
};
/** Every phrase the parser accepts, longest first so "on the left of" wins over "left of". */
const PARSED_RELATIONS: Array<[string[], Relation]> = (
  [
    ...Object.entries(RELATION_PHRASES).map(([r, p]) => [p, r]),
    ['left of', 'left of'],
    ['right of', 'right of'],
    ['hidden by', 'behind'],
  ] as Array<[string, Relation]>
)
  .map(([p, r]): [string[], Relation] => [p.split(' '), r])
  .sort((a, b) => b[0].length - a[0].length);

export class PromptError extends Error {
  constructor(
    message: string,
    readonly text: string,
  ) {
    super(`${message} in prompt "${text}"`);
    this.name = 'PromptError';
  }
}

/** "small striped red circle": attributes in a fixed order, then the noun. */
function describe(desc: ObjectDesc, plural: boolean): string {
  const parts = [desc.size, desc.texture, desc.color, plural ? `${desc.shape}s` : desc.shape];
  return parts.filter((p): p is string => p !== undefined).join(' ');
}

function withArticle(phrase: string): string {
  return /^[aeiou]/.test(phrase) ? `an ${phrase}` : `a ${phrase}`;
}

function nounPhrase(c: Constraint & { kind: 'exists' | 'count' }): string {
  if (c.kind === 'exists') return withArticle(describe(c.object, false));
  return `${NUMBER_WORDS[c.count - 1]} ${describe(c.object, c.count > 1)}`;
}

/** The canonical text of a list of constraints (the grammar's inverse of parsePrompt). */
export function promptText(constraints: Constraint[], genEval: boolean): string {
  const prefix = genEval ? `${GENEVAL_PREFIX} ` : '';
  const relation = constraints.find((c) => c.kind === 'relation');
  if (relation && relation.kind === 'relation') {
    const phrase = genEval ? relation.relation : RELATION_PHRASES[relation.relation];
    return `${prefix}${withArticle(describe(relation.subject, false))} ${phrase} ${withArticle(describe(relation.object, false))}`;
  }
  const groups = constraints.filter((c): c is Constraint & { kind: 'exists' | 'count' } => c.kind !== 'relation');
  return prefix + groups.map(nounPhrase).join(' and ');
}

function attributeKinds(desc: ObjectDesc): string[] {
  return (['color', 'texture', 'size'] as const).filter((k) => desc[k] !== undefined);
}

/** Which T2I-CompBench or GenEval category a prompt's structure belongs to. */
export function inferCategory(constraints: Constraint[], genEval: boolean): Category {
  const relation = constraints.find((c) => c.kind === 'relation');
  const descs = constraints.flatMap((c) => (c.kind === 'relation' ? [c.subject, c.object] : [c.object]));
  const kinds = new Set(descs.flatMap(attributeKinds));
  if (genEval) {
    if (relation) return 'position';
    if (constraints.some((c) => c.kind === 'count')) return 'counting';
    if (constraints.length === 1) return kinds.has('color') ? 'colors' : 'single_object';
    return kinds.has('color') ? 'color_attr' : 'two_objects';
  }
  if (relation && relation.kind === 'relation') {
    if ((DEPTH_RELATIONS as readonly string[]).includes(relation.relation)) return '3d_spatial';
    if ((NON_SPATIAL_RELATIONS as readonly string[]).includes(relation.relation)) return 'non-spatial';
    return kinds.has('size') || kinds.has('texture') ? 'complex' : 'spatial';
  }
  if (constraints.some((c) => c.kind === 'count')) return 'numeracy';
  if (kinds.size > 1) return 'complex';
  if (kinds.has('texture')) return 'texture';
  if (kinds.has('color')) return 'color';
  return 'shape';
}

export function makePrompt(constraints: Constraint[], genEval: boolean): Prompt {
  return { text: promptText(constraints, genEval), category: inferCategory(constraints, genEval), constraints };
}

/** Parse "[a|an|one..four] [size] [texture] [color] shape[s]" into a count (undefined for a/an) and a description. */
function parseNounPhrase(ws: string[], text: string): { count?: number; desc: ObjectDesc } {
  if (ws.length === 0) throw new PromptError('missing object description', text);
  const [det, ...rest] = ws;
  const numberIndex = (NUMBER_WORDS as readonly string[]).indexOf(det);
  if (det !== 'a' && det !== 'an' && numberIndex < 0)
    throw new PromptError(`expected "a", "an" or a number before "${ws.join(' ')}"`, text);
  const noun = rest[rest.length - 1];
  const plural = noun !== undefined && noun.endsWith('s') && (SHAPES as readonly string[]).includes(noun.slice(0, -1));
  const shape = (plural ? noun.slice(0, -1) : noun) as Shape;
  if (!(SHAPES as readonly string[]).includes(shape))
    throw new PromptError(`expected a shape (${SHAPES.join(', ')}) at the end of "${ws.join(' ')}"`, text);
  const count = numberIndex >= 0 ? numberIndex + 1 : undefined;
  if (plural !== (count !== undefined && count > 1)) throw new PromptError(`"${det} ${noun}": number and noun disagree`, text);
  const desc: ObjectDesc = { shape };
  for (const w of rest.slice(0, -1)) {
    const slot: keyof ObjectDesc | undefined = (COLORS as readonly string[]).includes(w)
      ? 'color'
      : (TEXTURES as readonly string[]).includes(w)
        ? 'texture'
        : (SIZES as readonly string[]).includes(w)
          ? 'size'
          : undefined;
    if (slot === undefined) throw new PromptError(`"${w}" is not an attribute`, text);
    if (desc[slot] !== undefined) throw new PromptError(`two ${slot} words ("${desc[slot]}", "${w}")`, text);
    if (slot === 'color') desc.color = w as Color;
    else if (slot === 'texture') desc.texture = w as Texture;
    else desc.size = w as Size;
  }
  return { count, desc };
}

/** Text -> structured prompt. Unknown words raise UnknownWordError naming the word; bad structure raises PromptError. */
export function parsePrompt(text: string): Prompt {
  let ws = words(text);
  for (const w of ws) if (!PROMPT_WORDS.includes(w)) throw new UnknownWordError(w, text);
  const genEval = ws.slice(0, 3).join(' ') === GENEVAL_PREFIX;
  if (genEval) ws = ws.slice(3);
  for (let i = 1; i < ws.length; i++) {
    const hit = PARSED_RELATIONS.find(([phrase]) => phrase.every((p, k) => ws[i + k] === p));
    if (!hit) continue;
    const subject = parseNounPhrase(ws.slice(0, i), text);
    const object = parseNounPhrase(ws.slice(i + hit[0].length), text);
    if (subject.count !== undefined || object.count !== undefined)
      throw new PromptError('relations take "a"/"an" objects, not counts', text);
    return makePrompt([{ kind: 'relation', relation: hit[1], subject: subject.desc, object: object.desc }], genEval);
  }
  const groups: string[][] = [[]];
  for (const w of ws) {
    if (w === 'and') groups.push([]);
    else groups[groups.length - 1].push(w);
  }
  const constraints: Constraint[] = groups.map((g) => {
    const { count, desc } = parseNounPhrase(g, text);
    return count === undefined ? { kind: 'exists', object: desc } : { kind: 'count', object: desc, count };
  });
  return makePrompt(constraints, genEval);
}
