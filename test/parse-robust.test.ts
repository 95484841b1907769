// The robust judge parser: one test per reply style the released regexes lose (each shown failing in official
// mode first, so the test would catch a robust parser that only did what the official one does), the seeded
// corpus bar (>= 95% of written regions with the right score), and seeded fuzzing of both modes.
import { describe, expect, it } from 'vitest';
import { parseGlobalLayout, parseRegions } from '../lib/judge/parse';
import { globalJson, regionParser, regionsJson } from '../lib/judge/parseModes';
import { parseGlobalLayoutRobust, parseRegionsRobust, readRobustScore } from '../lib/judge/parseRobust';
import { globalCorpus, regionCorpus, RELEASED_STYLE, tallyGlobal, tallyRegions } from '../lib/judge/replyCorpus';
import { makeRng } from '../lib/rng';
import { fuzzText } from './helpers/fuzz-text';

const scores = (regions: Map<number, { score?: number }>): Record<number, number | undefined> =>
  Object.fromEntries([...regions].map(([id, r]) => [id, r.score]));

describe('robust parser: the styles the released regexes lose', () => {
  it('markdown between the key and the colon: **Score**: 0.9, **Region ID: 1**, **Identified Object:** x', () => {
    const text = '**Region ID: 1**\n**Identified Object:** A red circle.\n**Score**: 0.9\n**Reason**: right colour';
    expect(parseRegions(text).get(1)?.score).toBeUndefined();
    const want = { regionId: 1, identifiedObject: 'A red circle.', score: 0.9, rawScore: 0.9, reason: 'right colour' };
    expect(parseRegionsRobust(text).get(1)).toEqual(want);
  });

  it('a heading without a colon: ### Region ID 4', () => {
    const text = '### Region ID 4\n- Identified Object: blue square\n- Score: -0.3';
    expect(parseRegions(text).size).toBe(0);
    expect(parseRegionsRobust(text).get(4)).toMatchObject({ identifiedObject: 'blue square', score: -0.3 });
  });

  it('numbers .5, -.5, +0.5, a Unicode minus; "Score : 1" with a space before the colon', () => {
    const written = ['Score: .5', 'Score: +0.5', 'Score : 1', 'Score: -.25', 'Score: \u22120.3'];
    const text = written.map((line, i) => `Region ID: ${i + 1}\n${line}`).join('\n\n');
    expect(scores(parseRegions(text))).toEqual({ 1: undefined, 2: undefined, 3: undefined, 4: undefined, 5: undefined });
    expect(scores(parseRegionsRobust(text))).toEqual({ 1: 0.5, 2: 0.5, 3: 1, 4: -0.25, 5: -0.3 });
  });

  it('regions separated by one newline or by ---: every region keeps its own score', () => {
    const single = 'Region ID: 1\nScore: 0.2\nRegion ID: 2\nScore: 0.8\nRegion ID: 3\nScore: -1';
    const ruled = 'Region ID: 1\nScore: 0.2\n---\nRegion ID: 2\nScore: 0.8\n---\nRegion ID: 3\nScore: -1';
    for (const text of [single, ruled]) {
      expect(scores(parseRegions(text))).toEqual({ 1: 0.2 }); // the blocks merge: the first ID takes the first score
      expect(scores(parseRegionsRobust(text))).toEqual({ 1: 0.2, 2: 0.8, 3: -1 });
    }
  });

  it('reasons span lines until a blank line, a rule or another field; several fields may share a line', () => {
    const text = 'Region 1: Identified Object: a circle; Score: 0.4; Reason: fine\nRegion ID: 2\nReason: wrong\ncolour\n\nclosing remark';
    const regions = parseRegionsRobust(text);
    expect(regions.get(1)).toMatchObject({ identifiedObject: 'a circle', score: 0.4, reason: 'fine' });
    expect(regions.get(2)).toMatchObject({ reason: 'wrong\ncolour' });
    expect(regions.get(2)?.score).toBeUndefined();
  });

  it('does not guess: 9/10, 80%, words and Infinity are no score; x/1 is x; nothing parseable is empty or null', () => {
    expect(['9/10', '80%', 'high', '9'.repeat(400), '', '- 0.5'].map(readRobustScore)).toEqual([null, null, null, null, null, null]);
    expect(['0.7/1', '[0.3]', '**0.9**', '1.'].map(readRobustScore)).toEqual([0.7, 0.3, 0.9, 1]);
    expect(parseRegionsRobust('Region ID: 2\nScore: 9/10').get(2)?.score).toBeUndefined();
    expect(parseRegionsRobust('I cannot see the image.').size).toBe(0);
    expect(parseGlobalLayoutRobust('The layout is good, 8 out of 10.')).toBeNull();
  });

  it('global: markdown keys, a qualified key (Global Layout Score), the reason field or the text after the score', () => {
    expect(parseGlobalLayout('**Score**: -0.4\n**Reason**: left and right swapped')).toBeNull();
    const want = { score: -0.4, rawScore: -0.4, reason: 'left and right\nswapped' };
    expect(parseGlobalLayoutRobust('**Score**: -0.4\n**Reason**: left and right\nswapped\n\nThanks')).toEqual(want);
    expect(parseGlobalLayoutRobust('### Global Layout Score: .6\nReason: fine')).toMatchObject({ score: 0.6, reason: 'fine' });
    expect(parseGlobalLayoutRobust('Score: 0.7 because it is centred')).toMatchObject({ score: 0.7, reason: 'because it is centred' });
    expect(parseGlobalLayoutRobust('<think>Score: 1</think>\nScore: +0.1')).toMatchObject({ score: 0.1 });
  });

  it('keeps scores outside [-1, 1] unless asked to clamp, like the official mode', () => {
    expect(parseRegionsRobust('Region ID: 1\nScore: 1.5').get(1)).toMatchObject({ score: 1.5, rawScore: 1.5 });
    expect(parseRegionsRobust('Region ID: 1\nScore: 1.5', { clamp: true }).get(1)).toMatchObject({ score: 1, rawScore: 1.5 });
    expect(parseGlobalLayoutRobust('Score: -2', { clamp: true })).toMatchObject({ score: -1, rawScore: -2 });
  });

  it('reads the released format exactly as the official parser does', () => {
    const released = regionCorpus(5, 400).filter((r) => JSON.stringify(r.style) === JSON.stringify(RELEASED_STYLE));
    expect(released.length).toBeGreaterThan(50);
    for (const reply of released) expect(regionsJson(parseRegionsRobust(reply.text))).toEqual(regionsJson(parseRegions(reply.text)));
  });
});

describe('corpus bar and JSON shape', () => {
  it('robust recovers >= 95% of written regions with the right score; official loses most (seeded corpus)', () => {
    const corpus = regionCorpus(11, 300);
    const robust = tallyRegions(corpus, regionParser({ mode: 'robust' }));
    const official = tallyRegions(corpus, regionParser({ mode: 'official' }));
    expect(robust.rightScore / robust.written).toBeGreaterThanOrEqual(0.95);
    expect(robust.invented).toBe(0);
    expect(official.keptWithScore / official.written).toBeLessThan(0.5);
    const globals = globalCorpus(12, 300);
    expect(tallyGlobal(globals, parseGlobalLayoutRobust).rightScore / 300).toBeGreaterThanOrEqual(0.95);
  });

  it('writes regions keyed by ID with identified_object, score, reason (null when absent), global or {}', () => {
    expect(regionsJson(parseRegionsRobust('Region ID: 2\nScore: 0.5\nRegion ID: 1\nIdentified Object: x'))).toEqual({
      1: { identified_object: 'x', score: null, reason: null },
      2: { identified_object: null, score: 0.5, reason: null },
    });
    expect(globalJson(parseGlobalLayoutRobust('Score: 0.5\nReason: ok'))).toEqual({ global_layout_score: 0.5, reason: 'ok' });
    expect(globalJson(parseGlobalLayoutRobust('nothing'))).toEqual({});
  });
});

describe('fuzz (seeded random text): never a crash, scores finite', () => {
  it('both modes, 3000 strings of key fragments, markdown and random characters, huge replies now and then', () => {
    const rng = makeRng(36);
    const pieces = [
      'Score',
      'score:',
      '**Score**: ',
      'Region ID',
      '### Region ID ',
      'Region ',
      'Identified Object:',
      'Object:',
      'Reason:',
      '</think>',
      '<think>',
      '\n\n',
      '\n',
      '---',
      ' : ',
      ' ',
      '-',
      '+',
      '.',
      '.5',
      '+0.5',
      '\u2212',
      '/1',
      '/10',
      '%',
      '1e5',
      'NaN',
      '12',
      '**',
      '__',
      '`',
      '#',
      '>',
      '|',
      ';',
      ',',
      '\u0000',
      '\u2028',
      '\r\n',
      '(',
      '[',
      '\\',
      '$&',
      '٣',
    ];
    const start = Date.now();
    for (let n = 0; n < 3000; n++) {
      const text = fuzzText(rng, n, { pieces, maxParts: 60, pieceShare: 0.6, digitRunShare: 0.2, hugeEvery: 1000, hugeChars: 300_000 });
      for (const clamp of [false, true]) {
        const robust = [parseGlobalLayoutRobust(text, { clamp }), ...parseRegionsRobust(text, { clamp }).values()];
        for (const parsed of robust) {
          if (parsed === null || parsed.score === undefined) continue;
          expect(Number.isFinite(parsed.score)).toBe(true);
          if (clamp) expect(Math.abs(parsed.score)).toBeLessThanOrEqual(1);
        }
        parseGlobalLayout(text, { clamp });
        parseRegions(text, { clamp });
      }
    }
    expect(Date.now() - start).toBeLessThan(10_000);
  });
});
