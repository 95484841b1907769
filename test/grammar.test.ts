import { describe, expect, it } from 'vitest';
import { hashString, makeRng } from '../lib/rng';
import { parsePrompt, PromptError } from '../lib/world/grammar';
import { isHeldOut } from '../lib/world/heldout';
import { samplePrompt } from '../lib/world/sample';
import { mentionsHeldOut, samplePrompts, splitsOf } from '../lib/world/splits';
import { decode, encode, MAX_PROMPT_TOKENS, UnknownWordError, VOCAB_SIZE } from '../lib/world/tokenizer';
import { CATEGORIES, COMPBENCH_CATEGORIES, GENEVAL_CATEGORIES } from '../lib/world/types';

describe('prompt grammar', () => {
  it.each(CATEGORIES)('round-trips prompt -> constraints -> prompt in %s', (category) => {
    const rng = makeRng(3);
    for (let i = 0; i < 40; i++) {
      const prompt = samplePrompt(category, rng, { allowHeldOut: true });
      expect(prompt.category).toBe(category);
      const parsed = parsePrompt(prompt.text);
      expect(parsed).toEqual(prompt);
      expect(decode(encode(prompt.text))).toBe(prompt.text);
    }
  });

  it('reads the documented examples of each category', () => {
    const cases: Array<[string, string]> = [
      ['a red circle and a blue square', 'color'],
      ['a small triangle and a large circle', 'shape'],
      ['a striped circle and a plain square', 'texture'],
      ['a red circle on the left of a blue square', 'spatial'],
      ['a red circle hidden by a blue square', '3d_spatial'],
      ['three red circles and one blue square', 'numeracy'],
      ['a small red circle inside a large blue square', 'non-spatial'],
      ['a small striped red circle on the left of a large blue square', 'complex'],
      ['a photo of a circle', 'single_object'],
      ['a photo of a circle and a square', 'two_objects'],
      ['a photo of three circles', 'counting'],
      ['a photo of a red circle', 'colors'],
      ['a photo of a circle left of a square', 'position'],
      ['a photo of a red circle and a blue square', 'color_attr'],
    ];
    for (const [text, category] of cases) expect(parsePrompt(text).category).toBe(category);
    expect(parsePrompt('A red circle hidden by a blue square.').constraints[0]).toMatchObject({ kind: 'relation', relation: 'behind' });
  });

  it('names the unknown word', () => {
    expect(() => parsePrompt('a pink circle')).toThrow(UnknownWordError);
    expect(() => parsePrompt('a pink circle')).toThrow(/unknown word "pink"/);
    expect(() => encode('a red hexagon')).toThrow(/unknown word "hexagon"/);
  });

  it('rejects malformed structure with a message', () => {
    expect(() => parsePrompt('two circle')).toThrow(PromptError);
    expect(() => parsePrompt('a red blue circle')).toThrow(/two color words/);
    expect(() => parsePrompt('red circle')).toThrow(/expected "a", "an" or a number/);
    expect(() => parsePrompt('a red')).toThrow(/expected a shape/);
    expect(() => parsePrompt('')).toThrow(/missing object description/);
    expect(() => parsePrompt('two circles on the left of a square')).toThrow(/relations take/);
  });
});

describe('tokenizer', () => {
  it('pads to a fixed length with id 0 and keeps ids inside the vocabulary', () => {
    const ids = encode('a red circle');
    expect(ids.length).toBe(MAX_PROMPT_TOKENS);
    expect(Array.from(ids.slice(3))).toEqual(new Array(MAX_PROMPT_TOKENS - 3).fill(0));
    expect(Math.max(...ids)).toBeLessThan(VOCAB_SIZE);
  });
  it('refuses prompts longer than the context', () => {
    expect(() => encode('a red circle and a red circle and a red circle and a red circle and a red circle')).toThrow(/at most 16 fit/);
  });
});

describe('splits', () => {
  it('is deterministic in the seed and balanced over categories', () => {
    const a = samplePrompts({ split: 'test', n: 56, seed: 5 });
    const b = samplePrompts({ split: 'test', n: 56, seed: 5 });
    expect(a).toEqual(b);
    for (const c of CATEGORIES) expect(a.filter((p) => p.category === c).length).toBe(4);
  });
  it('keeps held-out colour-shape pairs and GenEval prompts out of train', () => {
    const train = samplePrompts({ split: 'train', n: 800, seed: 1 });
    expect(train.some(mentionsHeldOut)).toBe(false);
    expect(new Set(train.map((p) => p.category))).toEqual(new Set(COMPBENCH_CATEGORIES));
    expect(() => samplePrompts({ split: 'train', n: 1, seed: 1, categories: ['counting'] })).toThrow(/evaluation-only/);
    const ood = samplePrompts({ split: 'test', n: 20, seed: 1, heldOut: 'only', categories: ['color', 'spatial'] });
    expect(ood.every(mentionsHeldOut)).toBe(true);
    expect(ood.every((p) => !splitsOf(p).includes('train'))).toBe(true);
    expect(isHeldOut('purple', 'triangle')).toBe(true);
  });
  it('GenEval-mini: val and test hold disjoint texts, every GenEval category has some in each', () => {
    const val = samplePrompts({ split: 'val', n: 300, seed: 4, categories: GENEVAL_CATEGORIES });
    const test = new Set(samplePrompts({ split: 'test', n: 300, seed: 5, categories: GENEVAL_CATEGORIES }).map((p) => p.text));
    expect(val.some((p) => test.has(p.text))).toBe(false);
    expect(new Set(val.map((p) => p.category)).size).toBe(GENEVAL_CATEGORIES.length);
  });
  it('assigns each text to one split whatever seed drew it', () => {
    const train = new Set(samplePrompts({ split: 'train', n: 400, seed: 2 }).map((p) => p.text));
    const test = samplePrompts({ split: 'test', n: 400, seed: 3, categories: COMPBENCH_CATEGORIES });
    expect(test.some((p) => train.has(p.text))).toBe(false);
  });
  // Splits v2 (lib/world/splits.ts): v1 sent a text to val or test by its FNV-1a hash's low bit, which is the parity of
  // its odd character codes, so e.g. every val shape prompt named two alike shapes and every test one a circle and a square.
  it('keeps train as v1 had it and splits the rest between val and test regardless of character parity', () => {
    const rng = makeRng(3);
    const seen = new Map<string, ReturnType<typeof samplePrompt>>();
    for (let i = 0; i < 40_000; i++) {
      const p = samplePrompt(COMPBENCH_CATEGORIES[i % COMPBENCH_CATEGORIES.length], rng, { allowHeldOut: true });
      seen.set(p.text, p);
    }
    const evenParity = (text: string): boolean => [...text].filter((c) => c.charCodeAt(0) % 2 === 1).length % 2 === 0;
    let [outsideTrain, valByParity] = [0, 0];
    for (const p of seen.values()) {
      const [split] = splitsOf(p);
      if (!mentionsHeldOut(p)) expect(split === 'train').toBe(hashString(p.text) % 10 >= 2); // v1's train
      if (split === 'train') continue;
      outsideTrain += 1;
      valByParity += +((split === 'val') === evenParity(p.text)); // v1: every one
    }
    expect(outsideTrain).toBeGreaterThan(3000);
    expect(valByParity / outsideTrain).toBeGreaterThan(0.47);
    expect(valByParity / outsideTrain).toBeLessThan(0.53);
  });
});
