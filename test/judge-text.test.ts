// The judge's text interface: prompt builders, the released parsers (fuzzed), retries, records.
import { describe, expect, it } from 'vitest';
import { globalLayoutPrompt, hybridRegionPrompt, numberRegions, sampleLevelPrompt } from '../lib/judge/prompts';
import { answerText, binarize, parseGlobalLayout, parseRegions, parseSampleLevel, withRetries } from '../lib/judge/parse';
import { JudgeRecord, buildJudgeRecord, formatForTraining, parseRewardJsonl, serializeRecords } from '../lib/judge/records';
import { rewardMap } from '../lib/reward/rewardMap';
import { makeRng } from '../lib/rng';
import { fuzzText } from './helpers/fuzz-text';

describe('prompt builders', () => {
  it('global layout: the paper rubric, output lines and the three examples (the third neutral, 0.2)', () => {
    const text = globalLayoutPrompt('a red circle left of a blue square');
    expect(text).toContain('**Original Prompt:** "a red circle left of a blue square"');
    expect(text).toContain('Provide a single score from **-1.0 to 1.0** and a brief reason.');
    expect(text).toContain('* **-0.4 to 0.4:** Neutral. No specific spatial info in prompt, or generic layout.');
    expect(text).toContain('`Reason: [Your justification]`');
    expect(text.match(/### Example \d/g)).toEqual(['### Example 1', '### Example 2', '### Example 3']);
    expect(text).toMatch(/Example 3 \(Neutral Layout\)\nScore: 0\.2\n/);
    expect(text).not.toMatch(/\\star/);
    expect(text.trimEnd().endsWith('Begin your analysis now.')).toBe(true);
  });

  it('hybrid regions: regions_text as the released code writes it, and the Table 7 rubric', () => {
    const text = hybridRegionPrompt(
      'two green triangles',
      numberRegions([
        [0, 0, 32, 32],
        [3, 4, 15, 18],
      ]),
    );
    expect(text).toContain(
      '**UNLABELED REGIONS FOR YOUR ANALYSIS:**\nRegion ID: 1\nBounding Box: [0, 0, 32, 32]\n---\nRegion ID: 2\nBounding Box: [3, 4, 15, 18]\n---\n',
    );
    expect(text).toContain('For **every Region ID** listed above, you must perform the following steps.');
    expect(text).toContain('`Identified Object: [Your description of the object]`');
    expect(text).toContain('A score of 0.0 is perfectly neutral.');
    expect(text).toContain('**Region ID: 1**\nIdentified Object: A running golden retriever.\nScore: 0.95\n\n**Region ID: 2**');
  });

  it('sample level: one whole-image score with Overall Impression / Score / Reason lines', () => {
    const text = sampleLevelPrompt('a circle');
    expect(text).toContain('**Original Prompt:** "a circle"');
    expect(text).toContain('`Overall Impression: [Your description]`');
    expect(text).toContain('`Score: [A single number between -1.0 and 1.0]`');
  });
});

describe('parsers (released behaviour)', () => {
  it('keeps only the text after the last </think>', () => {
    expect(answerText('<think>Score: 0.9</think> a </think>  Score: 0.1 \n')).toBe('Score: 0.1');
    expect(parseGlobalLayout('<think>Score: 0.9</think>\nScore: -0.3\nReason: wrong side')).toEqual({
      score: -0.3,
      rawScore: -0.3,
      reason: 'wrong side',
    });
    expect(parseGlobalLayout('<think>Score: 0.9</think>no score here')).toBeNull();
  });

  it('global: first Score number; reason = the rest, a leading "Reason:" removed (case-insensitive)', () => {
    expect(parseGlobalLayout('SCORE: 0.5 the circle is left\nof the square')).toEqual({
      score: 0.5,
      rawScore: 0.5,
      reason: 'the circle is left\nof the square',
    });
    expect(parseGlobalLayout('score:0.25\nREASON:   fine\nScore: -1')).toEqual({ score: 0.25, rawScore: 0.25, reason: 'fine\nScore: -1' });
    expect(parseGlobalLayout('Score: 1.')?.score).toBe(1);
  });

  it('reads numbers as the regex -?\\d+\\.?\\d* does; keeps scores outside [-1, 1] as released', () => {
    expect(parseGlobalLayout('Score: 1e5')).toMatchObject({ score: 1, rawScore: 1, reason: 'e5' });
    expect(parseGlobalLayout('Score: -.5')).toBeNull(); // no digit before the point
    expect(parseGlobalLayout('Score: -.5\nScore: 0.4')?.score).toBe(0.4); // the search goes on to the next Score:
    expect(parseGlobalLayout('Score: NaN')).toBeNull();
    expect(parseGlobalLayout('Score: 1.5')).toMatchObject({ score: 1.5, rawScore: 1.5 });
    expect(parseGlobalLayout('Score: 95')).toMatchObject({ score: 95, rawScore: 95 });
    expect(parseRegions('Region ID: 1\nScore: -3.5').get(1)).toMatchObject({ score: -3.5, rawScore: -3.5 });
    expect(parseSampleLevel('Score: 2')).toMatchObject({ score: 2, rawScore: 2 });
    expect(parseGlobalLayout(`Score: ${'9'.repeat(400)}`)).toMatchObject({ score: Infinity, rawScore: Infinity });
  });

  it('clamps to [-1, 1] only when asked, keeping the written value in rawScore', () => {
    const clamp = { clamp: true };
    expect(parseGlobalLayout('Score: 95', clamp)).toMatchObject({ score: 1, rawScore: 95 });
    expect(parseRegions('Region ID: 1\nScore: -3.5', clamp).get(1)).toMatchObject({ score: -1, rawScore: -3.5 });
    expect(parseSampleLevel('Score: 2', clamp)).toMatchObject({ score: 1, rawScore: 2 });
    expect(parseGlobalLayout(`Score: ${'9'.repeat(400)}`, clamp)).toMatchObject({ score: 1, rawScore: Infinity });
    expect(parseGlobalLayout('Score: 0.3', clamp)).toMatchObject({ score: 0.3, rawScore: 0.3 });
  });

  it('regions: blank-line blocks, the four regexes, later duplicates win, blocks without Region ID ignored', () => {
    const answer = [
      '<think>Region ID: 9\nScore: 1</think>',
      '**Region ID: 1**  \nIdentified Object: A red circle.  \nScore: 0.95  \nReason: exactly as asked,\nclean edges.',
      'Some preamble without an id. Score: 0.3',
      'region id: 2\nidentified object: The grey background.\nscore: -0.2',
      'Region ID: 3\nIdentified Object: something',
      'Region ID: 2\nIdentified Object: Background.\nScore: 0.1',
    ].join('\n\n');
    const regions = parseRegions(answer);
    expect([...regions.keys()]).toEqual([1, 2, 3]);
    expect(regions.get(1)).toEqual({
      regionId: 1,
      identifiedObject: 'A red circle.',
      score: 0.95,
      rawScore: 0.95,
      reason: 'exactly as asked,\nclean edges.',
    });
    expect(regions.get(2)).toEqual({ regionId: 2, identifiedObject: 'Background.', score: 0.1, rawScore: 0.1 });
    expect(regions.get(3)).toEqual({ regionId: 3, identifiedObject: 'something' });
    expect(parseRegions('nothing to see').size).toBe(0);
  });

  it('regions separated by "---" instead of blank lines form one block: only the first parses (released)', () => {
    const regions = parseRegions('Region ID: 1\nIdentified Object: a\nScore: 0.5\n---\nRegion ID: 2\nIdentified Object: b\nScore: -0.5');
    expect([...regions.keys()]).toEqual([1]);
    expect(regions.get(1)?.score).toBe(0.5);
  });

  it('sample level: Overall Impression, first Score, Reason', () => {
    expect(parseSampleLevel('</think>Overall Impression: two circles\nScore: 0.7\nReason: good')).toEqual({
      identifiedObject: 'two circles',
      score: 0.7,
      rawScore: 0.7,
      reason: 'good',
    });
    expect(parseSampleLevel('Overall Impression: nothing')).toBeNull();
  });

  it('binarize: 1 if score > 0 else -1', () => {
    expect([0.3, 1e-9, 0, -0, -0.2, NaN].map(binarize)).toEqual([1, 1, -1, -1, -1, -1]);
  });

  it('never throw on arbitrary text (seeded fuzz, 3000 strings); clamped scores stay finite in [-1, 1]', () => {
    const rng = makeRng(2024);
    const pieces = [
      'Score:',
      'score: ',
      'Region ID:',
      'REGION ID: ',
      'Identified Object:',
      'Reason:',
      'Overall Impression:',
      '</think>',
      '<think>',
      '\n\n',
      '\n',
      ' ',
      '-',
      '.',
      '1e5',
      '-.5',
      'NaN',
      'Infinity',
      '0.95',
      '-0.7',
      '12',
      '\u0000',
      '\u2028',
      '\r\n',
      '**',
      '(',
      '[',
      '\\',
      '$&',
      '٣',
    ];
    const start = Date.now();
    for (let n = 0; n < 3000; n++) {
      const text = fuzzText(rng, n, { pieces, maxParts: 40, pieceShare: 0.5, digitRunShare: 0.3, hugeEvery: 1000, hugeChars: 1_000_000 });
      const global = parseGlobalLayout(text, { clamp: true });
      const sample = parseSampleLevel(text, { clamp: true });
      for (const parsed of [global, sample, ...parseRegions(text, { clamp: true }).values()]) {
        if (parsed === null || parsed.score === undefined) continue;
        expect(Number.isFinite(parsed.score)).toBe(true);
        expect(Math.abs(parsed.score)).toBeLessThanOrEqual(1);
      }
    }
    expect(Date.now() - start).toBeLessThan(2000);
  });
});

describe('withRetries (up to 3 attempts while nothing parses)', () => {
  const answers = (list: string[]): { query: () => Promise<string>; calls: () => number } => {
    let i = 0;
    return { query: async () => list[Math.min(i++, list.length - 1)], calls: () => i };
  };

  it('stops at the first answer that parses', async () => {
    const a = answers(['garbage', 'Score: 0.4', 'Score: 0.9']);
    expect(await withRetries(a.query, parseGlobalLayout)).toEqual({
      parsed: { score: 0.4, rawScore: 0.4, reason: '' },
      raw: 'Score: 0.4',
      attempts: 2,
    });
    expect(a.calls()).toBe(2);
  });

  it('gives up after 3 attempts; an empty region map counts as nothing parsed', async () => {
    const a = answers(['no', 'Score: 0.5 but no region id', 'still no']);
    expect(await withRetries(a.query, parseRegions)).toEqual({ parsed: null, raw: 'still no', attempts: 3 });
    expect(a.calls()).toBe(3);
  });
});

describe('records', () => {
  const regions = [
    { bbox: [0, 0, 32, 32] as [number, number, number, number], area: 800 },
    { bbox: [4, 4, 12, 12] as [number, number, number, number], area: 64 },
    { bbox: [20, 2, 30, 12] as [number, number, number, number], area: 90 },
  ];
  const record = (): JudgeRecord =>
    buildJudgeRecord({
      imageFile: '0001.png',
      prompt: 'a red square',
      width: 32,
      height: 32,
      regions,
      attempts: 3,
      rawOutput: 'raw',
      parsedRegions: parseRegions(
        'Region ID: 1\nIdentified Object: background\nScore: 0.1\n\nRegion ID: 2\nIdentified Object: a red square\nScore: 0.9\nReason: right colour\n\nRegion ID: 3\nScore: -0.6',
      ),
      parsedGlobal: parseGlobalLayout('Score: 0.5\nReason: centred'),
    });

  it('builds the released judge record: unparsed regions dropped, global entry with bbox [0, 0, W, H]', () => {
    expect(record()).toEqual({
      image_file: '0001.png',
      prompt: 'a red square',
      vlm_rewards: [
        { identified_object: 'background', score: 0.1, bbox: [0, 0, 32, 32], area: 800 },
        { identified_object: 'a red square', score: 0.9, reason: 'right colour', bbox: [4, 4, 12, 12], area: 64 },
        { score: -0.6, bbox: [20, 2, 30, 12], area: 90 },
      ],
      global_layout_reward: { global_layout_score: 0.5, reason: 'centred', bbox: [0, 0, 32, 32], area: 1024 },
      vlm_raw_output: 'raw',
    });
  });

  it('defaults: global 0.0 with a reason when it never parsed; sample level 0.0; binarized scores on request', () => {
    const failed = buildJudgeRecord({
      imageFile: 'x.png',
      prompt: 'p',
      width: 8,
      height: 4,
      regions: [],
      attempts: 3,
      parsedGlobal: null,
      parsedSample: null,
      binarizeScores: true,
    });
    expect(failed.global_layout_reward).toEqual({
      global_layout_score: 0,
      reason: 'VLM failed to produce a parsable output after 3 attempts.',
      bbox: [0, 0, 8, 4],
      area: 32,
    });
    expect(failed.vlm_rewards).toEqual([
      { score: 0, reason: 'VLM failed after 3 attempts.', bbox: [0, 0, 8, 4], area: 32, binarized_score: -1 },
    ]);
    const sample = buildJudgeRecord({
      imageFile: 'x.png',
      prompt: 'p',
      width: 8,
      height: 4,
      regions: [],
      attempts: 3,
      parsedSample: parseSampleLevel('Overall Impression: ok\nScore: 0.3'),
      binarizeScores: true,
    });
    expect(sample.vlm_rewards).toEqual([{ identified_object: 'ok', score: 0.3, bbox: [0, 0, 8, 4], area: 32, binarized_score: 1 }]);
    expect(sample.global_layout_reward).toBeNull();
  });

  it('formats for training: the global entry moves into vlm_rewards first; unnamed regions dropped', () => {
    const formatted = formatForTraining(record());
    if (!('record' in formatted)) throw new Error(formatted.skipped);
    expect(formatted.record.vlm_rewards.map((r) => [r.object, r.score])).toEqual([
      ['global_layout_reward', 0.5],
      ['background', 0.1],
      ['a red square', 0.9],
    ]);
    expect(formatted.record.vlm_rewards[0]).toEqual({
      object: 'global_layout_reward',
      bbox: [0, 0, 32, 32],
      score: 0.5,
      reason: 'centred',
    });
    expect(formatted.record.bad_image_file).toBe('0001.png');
  });

  it('drops a record whose global score is exactly 0 (released filter) unless told not to', () => {
    const zero = {
      ...record(),
      global_layout_reward: { global_layout_score: 0, reason: 'r', bbox: [0, 0, 32, 32] as [number, number, number, number], area: 1024 },
    };
    expect(formatForTraining(zero)).toEqual({ skipped: expect.stringMatching(/global_layout_score is 0/) });
    expect('record' in formatForTraining(zero, { dropZeroGlobal: false })).toBe(true);
    expect(formatForTraining({ ...record(), global_layout_reward: null, vlm_rewards: [] })).toEqual({
      skipped: 'no global score and no named region',
    });
  });

  it('round-trips through JSONL (judge and training forms) and gives the same reward map', () => {
    const judge = record();
    const formatted = formatForTraining(judge);
    if (!('record' in formatted)) throw new Error(formatted.skipped);
    const read = parseRewardJsonl(serializeRecords([judge, formatted.record]));
    expect(read.errors).toEqual([]);
    expect(read.entries.map((e) => [e.line, e.kind])).toEqual([
      [1, 'judge'],
      [2, 'training'],
    ]);
    expect(read.entries[0].record).toEqual(judge);
    expect(read.entries[1].record).toEqual(formatted.record);
    const options = { mode: 'official' as const, width: 32, height: 32 };
    expect(rewardMap(read.entries[1].record, options)).toEqual(rewardMap(formatted.record, options));
  });

  it('explains malformed lines (line number and what is wrong) and keeps the valid ones', () => {
    const good = JSON.stringify(record());
    const badBox = JSON.stringify({ ...record(), vlm_rewards: [{ identified_object: 'x', score: 0.2, bbox: [1, 2, 3], area: 4 }] });
    const badGlobal = JSON.stringify({
      ...record(),
      global_layout_reward: { global_layout_score: 'high', reason: 'r', bbox: [0, 0, 1, 1], area: 1 },
    });
    const badTraining = JSON.stringify({
      bad_image_file: 'a.png',
      good_image_file: 'a.png',
      prompt: 'p',
      vlm_rewards: [{ object: 'a', score: 1, bbox: 'oops' }, 7],
    });
    const text = [
      good,
      '{not json',
      '',
      '[1, 2]',
      badBox,
      badGlobal,
      JSON.stringify({ prompt: 'p', vlm_rewards: [] }),
      badTraining,
      good,
    ].join('\n');
    const read = parseRewardJsonl(text);
    expect(read.entries.map((e) => e.line)).toEqual([1, 9]);
    expect(read.errors.map((e) => e.line)).toEqual([2, 4, 5, 6, 7, 8]);
    const message = (line: number): string => read.errors.find((e) => e.line === line)?.message ?? '';
    expect(message(2)).toMatch(/not valid JSON/);
    expect(message(4)).toMatch(/expected a JSON object/);
    expect(message(5)).toMatch(/vlm_rewards\[0\]\.bbox must be 4 finite numbers/);
    expect(message(6)).toMatch(/global_layout_reward\.global_layout_score must be a finite number, got "high"/);
    expect(message(7)).toMatch(/neither a judge record/);
    // A training entry with a bad bbox is left to the loader's rules (skipped there); a non-object entry is not.
    expect(message(8)).toBe('vlm_rewards[1] must be an object, got 7');
  });

  it('reads older released judge records without a global_layout_reward key as having none', () => {
    const old = {
      image_file: '701.png',
      prompt: 'an apple',
      vlm_rewards: [{ identified_object: 'A red apple.', score: 0.95, bbox: [303, 0, 1023, 1023], area: 185025 }],
      vlm_raw_output: '...',
    };
    const read = parseRewardJsonl(JSON.stringify(old));
    expect(read.errors).toEqual([]);
    expect(read.entries[0]).toEqual({ line: 1, kind: 'judge', record: { ...old, global_layout_reward: null } });
  });
});
