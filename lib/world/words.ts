// The fixed vocabulary of the world's prompts, word by word. The tokenizer and the parser both read it.
import { COLORS, SHAPES, SIZES, TEXTURES } from './types';

export const NUMBER_WORDS = ['one', 'two', 'three', 'four'] as const;
export const PLURAL_SHAPES = SHAPES.map((s) => `${s}s`);
/** Words of relation phrases and glue; "hidden by" is read as "behind" (a T2I-CompBench phrasing). */
export const FUNCTION_WORDS = [
  'a',
  'an',
  'photo',
  'of',
  'and',
  'on',
  'the',
  'left',
  'right',
  'above',
  'below',
  'behind',
  'in',
  'front',
  'hidden',
  'by',
  'bigger',
  'smaller',
  'than',
  'inside',
] as const;

export const PROMPT_WORDS: readonly string[] = [
  ...FUNCTION_WORDS,
  ...NUMBER_WORDS,
  ...SIZES,
  ...TEXTURES,
  ...COLORS,
  ...SHAPES,
  ...PLURAL_SHAPES,
];
