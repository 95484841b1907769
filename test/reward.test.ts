// Reward maps: `official` against the released loader's rule on cases computed by hand (the expected grids
// below are written out, not produced by the code under test), the other modes on small cases, and the
// bilinear resize against hand-computed PyTorch (align_corners=False) values.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rewardMapCommand, shortestFloat32 } from '../lib/cli/rewardMap';
import { DroppedRecordError, pythonInt } from '../lib/reward/loaderRules';
import { mapRows, rewardMap, RewardMode } from '../lib/reward/rewardMap';
import { resizeBilinear } from '../lib/reward/resize';

const W = 4;
const H = 3;
const grid = (rows: number[][]): Float32Array => Float32Array.from(rows.flat());
const map = (vlm_rewards: unknown[], mode: RewardMode = 'official'): Float32Array =>
  rewardMap({ vlm_rewards }, { mode, width: W, height: H });
const globalEntry = (score: unknown): Record<string, unknown> => ({ object: 'global_layout_reward', score, bbox: [0, 0, W, H] });

/** Overlaps, clamping and float boxes; weights (score + 1) / 2 are 0.75 (score 0.5), 1 (score 1), 0.25 (score -0.5). */
const CASE_A = [
  globalEntry(0.5), // factor 0.75
  { object: 'a', score: 0.5, bbox: [0, 0, 2, 2] }, // rows 0-1, cols 0-1 -> 0.75
  { object: 'b', score: 1.0, bbox: [1, 1, 10, 10] }, // clamped to rows 1-2, cols 1-3 -> 1 (wins the overlap at (1, 1))
  { object: 'c', score: -0.5, bbox: [2.7, 0.2, 3.99, 1.5] }, // int() -> [2, 0, 3, 1]: (0, 2) stays 0.5 (max)
  { object: 'd', score: 0.5, bbox: [2.9, 0.0, 4.0, 1.0] }, // int() -> [2, 0, 4, 1]: row 0, cols 2-3 -> 0.75
];

describe('rewardMap official = the released loader rule', () => {
  it('overlaps take the max, boxes clamp to the image, float boxes truncate, then x (g + 1) / 2', () => {
    // Before the factor: [.75 .75 .75 .75] [.75 1 1 1] [.5 1 1 1]; times 0.75:
    expect(map(CASE_A)).toEqual(
      grid([
        [0.5625, 0.5625, 0.5625, 0.5625],
        [0.5625, 0.75, 0.75, 0.75],
        [0.375, 0.75, 0.75, 0.75],
      ]),
    );
  });

  it('skips invalid boxes: missing, wrong length, non-numeric, NaN, null, x1 >= x2, y1 >= y2, truncating to empty', () => {
    const invalid = [
      {},
      [0, 0, 2],
      [0, 0, 2, 2, 2],
      ['a', 0, 2, 2],
      [NaN, 0, 2, 2],
      [null, 0, 2, 2],
      ['1.5', 0, 2, 2],
      [[0], 0, 2, 2],
      [2, 0, 2, 2],
      [3, 0, 1, 2],
      [0, 2, 2, 1],
      [0, 1, 2, 1],
      [0.2, 0, 0.9, 2],
      '0,0,2,2',
      { x: 0 },
      null,
    ].map((bbox, i) =>
      typeof bbox === 'object' && bbox !== null && !Array.isArray(bbox) && Object.keys(bbox).length === 0
        ? { object: `r${i}`, score: 1 }
        : { object: `r${i}`, score: 1, bbox },
    );
    // No global entry: g = 0, factor 0.5. Every pixel 0.5 * 0.5.
    expect(map(invalid)).toEqual(
      grid([
        [0.25, 0.25, 0.25, 0.25],
        [0.25, 0.25, 0.25, 0.25],
        [0.25, 0.25, 0.25, 0.25],
      ]),
    );
  });

  it("accepts what Python's int() accepts: integer strings and booleans", () => {
    const rewards = [
      { object: 's', score: 1, bbox: ['0', ' 1', '2', '3 '] }, // rows 1-2, cols 0-1 -> 1
      { object: 'b', score: 1, bbox: [true, false, 2, 1] }, // [1, 0, 2, 1]: (0, 1) -> 1
    ];
    expect(map(rewards)).toEqual(
      grid([
        [0.25, 0.5, 0.25, 0.25],
        [0.5, 0.5, 0.25, 0.25],
        [0.5, 0.5, 0.25, 0.25],
      ]),
    );
  });

  it('a missing region score counts as 0 (weight 0.5: no effect), a missing global entry or score as g = 0', () => {
    const rewards = [
      { object: 'global_layout_reward', bbox: [0, 0, W, H] }, // no score -> g = 0
      { object: 'a', score: 0.5, bbox: [0, 0, 1, 1] }, // (0, 0) -> 0.75
      { object: 'b', bbox: [0, 0, 4, 3] }, // no score: max(., 0.5) changes nothing
    ];
    expect(map(rewards)).toEqual(
      grid([
        [0.375, 0.25, 0.25, 0.25],
        [0.25, 0.25, 0.25, 0.25],
        [0.25, 0.25, 0.25, 0.25],
      ]),
    );
    expect(map([globalEntry(null)])).toEqual(new Float32Array(W * H).fill(0.25));
    expect(map([])).toEqual(new Float32Array(W * H).fill(0.25));
    // No regions: 0.5 * (g + 1) / 2 = 0.5 * 0.25.
    expect(map([globalEntry(-0.5)])).toEqual(new Float32Array(W * H).fill(0.125));
  });

  it('uses the first global entry, never paints it, and clamps neither scores nor g (as released)', () => {
    const rewards = [globalEntry(3), globalEntry(-1), { object: 'a', score: 3, bbox: [0, 0, 1, 1] }];
    // factor (3 + 1) / 2 = 2; region weight 2 at (0, 0): 4 there, 0.5 * 2 = 1 elsewhere.
    expect(map(rewards)).toEqual(
      grid([
        [4, 1, 1, 1],
        [1, 1, 1, 1],
        [1, 1, 1, 1],
      ]),
    );
  });

  it('computes in float32 like the numpy map: weight stored as float32, factor rounded to float32, one rounding', () => {
    // (Chosen so that rounding the factor to float32 first matters: fround(0.55 * 0.05) differs by one ulp.)
    const rewards = [globalEntry(-0.9), { object: 'a', score: 0.1, bbox: [0, 0, 1, 1] }];
    const inside = Math.fround(Math.fround(0.55) * Math.fround(0.05));
    const outside = Math.fround(0.5 * Math.fround(0.05));
    expect(inside).not.toBe(Math.fround(Math.fround(0.55) * 0.05));
    expect(map(rewards)).toEqual(
      grid([
        [inside, outside, outside, outside],
        [outside, outside, outside, outside],
        [outside, outside, outside, outside],
      ]),
    );
  });

  it('throws DroppedRecordError where the released loader raises and drops the sample', () => {
    expect(() => map([{ object: 'a', score: null, bbox: [0, 0, 1, 1] }])).toThrow(DroppedRecordError);
    expect(() => map([{ object: 'a', score: '0.5', bbox: [0, 0, 1, 1] }])).toThrow(/TypeError/);
    expect(() => map([globalEntry('0.5')])).toThrow(DroppedRecordError);
    expect(() => map([{ object: 'a', score: 1, bbox: [0, 0, Infinity, 1] }])).toThrow(/OverflowError/);
    expect(() => map([42])).toThrow(DroppedRecordError);
    // A bad score inside a skipped box is never read (the box check comes first).
    expect(map([{ object: 'a', score: null, bbox: [2, 0, 1, 1] }])).toEqual(new Float32Array(W * H).fill(0.25));
  });

  it("pythonInt follows Python's int()", () => {
    expect([2.7, -2.7, -0.5, true, '007', '-3', '1_000', ' 4 '].map(pythonInt)).toEqual([2, -2, 0, 1, 7, -3, 1000, 4]);
    expect([NaN, '1.5', '', '1__0', '_1', null, [], {}].map(pythonInt)).toEqual(Array(8).fill('skip'));
    expect(pythonInt(-Infinity)).toBe('overflow');
  });
});

describe('rewardMap: the other modes', () => {
  it('local-only is the official rule without the global factor', () => {
    expect(map(CASE_A, 'local-only')).toEqual(
      grid([
        [0.75, 0.75, 0.75, 0.75],
        [0.75, 1, 1, 1],
        [0.5, 1, 1, 1],
      ]),
    );
  });

  it('global-only is (g + 1) / 2 everywhere, whatever the regions', () => {
    expect(map([globalEntry(-0.5), { object: 'a', score: 1, bbox: [0, 0, 4, 3] }], 'global-only')).toEqual(
      new Float32Array(W * H).fill(0.25),
    );
    expect(map([], 'global-only')).toEqual(new Float32Array(W * H).fill(0.5));
  });

  it('sparse binarizes region scores (weights 1 or 0) through the official rule, g unchanged', () => {
    const rewards = [
      globalEntry(0.5),
      { object: 'a', score: 0.3, bbox: [0, 0, 2, 2] }, // -> 1 -> weight 1
      { object: 'b', score: -0.3, bbox: [2, 0, 4, 2] }, // -> -1 -> weight 0: stays 0.5
      { object: 'c', bbox: [0, 2, 4, 3] }, // missing score 0 -> -1
    ];
    expect(map(rewards, 'sparse')).toEqual(
      grid([
        [0.75, 0.75, 0.375, 0.375],
        [0.75, 0.75, 0.375, 0.375],
        [0.375, 0.375, 0.375, 0.375],
      ]),
    );
  });

  it('signed: baseline 0, the larger |score| wins, scaled by alpha = (g + 1) / 2', () => {
    const rewards = [
      globalEntry(0.5), // alpha 0.75
      { object: 'a', score: 0.5, bbox: [0, 0, 2, 2] },
      { object: 'b', score: -0.8, bbox: [1, 0, 3, 1] },
      { object: 'background', score: 0.2, bbox: [0, 0, 4, 3] },
    ];
    // R: [.5 -.8 -.8 .2] [.5 .5 .2 .2] [.2 .2 .2 .2]; times 0.75:
    expect(map(rewards, 'signed')).toEqual(
      grid([
        [0.375, -0.6, -0.6, 0.15],
        [0.375, 0.375, 0.15, 0.15],
        [0.15, 0.15, 0.15, 0.15],
      ]),
    );
  });

  it('signed: equal |score| of opposite signs -> the negative, in either order; scores and g clamped to [-1, 1]', () => {
    const pos = { object: 'p', score: 0.5, bbox: [0, 0, 1, 1] };
    const neg = { object: 'n', score: -0.5, bbox: [0, 0, 1, 1] };
    const expected = grid([
      [-0.5, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(map([globalEntry(1), pos, neg], 'signed')).toEqual(expected);
    expect(map([globalEntry(1), neg, pos], 'signed')).toEqual(expected);
    expect(map([globalEntry(5), { object: 'x', score: 2, bbox: [0, 0, 1, 1] }], 'signed')).toEqual(
      grid([
        [1, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ]),
    );
  });

  it('each mode reads only what it uses: local-only ignores a malformed global, global-only malformed regions', () => {
    const badGlobal = [globalEntry('high'), { object: 'a', score: 1, bbox: [0, 0, 1, 1] }];
    expect(() => map(badGlobal)).toThrow(DroppedRecordError);
    expect(map(badGlobal, 'local-only')).toEqual(
      grid([
        [1, 0.5, 0.5, 0.5],
        [0.5, 0.5, 0.5, 0.5],
        [0.5, 0.5, 0.5, 0.5],
      ]),
    );
    const badRegion = [globalEntry(0), { object: 'a', score: null, bbox: [0, 0, 1, 1] }];
    expect(() => map(badRegion, 'signed')).toThrow(DroppedRecordError);
    expect(map(badRegion, 'global-only')).toEqual(new Float32Array(W * H).fill(0.5));
  });

  it('mapRows gives H rows of W numbers', () => {
    expect(mapRows(map(CASE_A, 'local-only'), W)).toEqual([
      [0.75, 0.75, 0.75, 0.75],
      [0.75, 1, 1, 1],
      [0.5, 1, 1, 1],
    ]);
  });

  it('rejects a bad size', () => {
    expect(() => rewardMap({ vlm_rewards: [] }, { mode: 'official', width: 0, height: 3 })).toThrow(/positive integers/);
  });
});

describe('resizeBilinear (align_corners = false)', () => {
  it('upsamples 2x2 -> 4x4 as PyTorch does', () => {
    // Source coordinates per output index: -0.25 -> 0, 0.25, 0.75, 1.25 (-> last pixel): weights 0, .25, .75, 1.
    const out = resizeBilinear(Float32Array.from([0, 1, 2, 3]), { fromW: 2, fromH: 2, toW: 4, toH: 4 });
    expect(Array.from(out)).toEqual([0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it('downsamples by 2 and by 1.5 (source = (dst + 0.5) * scale - 0.5)', () => {
    // 4 -> 2: sources 0.5 and 2.5.
    expect(Array.from(resizeBilinear(Float32Array.from([0, 1, 2, 3]), { fromW: 4, fromH: 1, toW: 2, toH: 1 }))).toEqual([0.5, 2.5]);
    // 3 -> 2: sources 0.25 and 1.75 over [0, 3, 6].
    expect(Array.from(resizeBilinear(Float32Array.from([0, 3, 6]), { fromW: 1, fromH: 3, toW: 1, toH: 2 }))).toEqual([0.75, 5.25]);
  });

  it('is the identity at the same size and keeps constants', () => {
    const m = map(CASE_A);
    expect(resizeBilinear(m, { fromW: W, fromH: H, toW: W, toH: H })).toEqual(m);
    expect(resizeBilinear(new Float32Array(12).fill(0.3), { fromW: 4, fromH: 3, toW: 7, toH: 2 })).toEqual(new Float32Array(14).fill(0.3));
    expect(() => resizeBilinear(m, { fromW: 5, fromH: 3, toW: 2, toH: 2 })).toThrow(/expected 5 x 3/);
  });
});

describe('srum reward-map', () => {
  it('writes one H x W map per non-empty line (null for malformed or dropped records), float32 values shortest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-reward-map-'));
    const jsonl = path.join(dir, 'rewards.jsonl');
    const judge = {
      image_file: 'a.png',
      prompt: 'p',
      vlm_rewards: [{ identified_object: 'x', score: 0.9, bbox: [0, 0, 2, 2], area: 4 }],
      global_layout_reward: { global_layout_score: 0.5, reason: 'r', bbox: [0, 0, 4, 3], area: 12 },
    };
    const training = { bad_image_file: 'b.png', good_image_file: 'b.png', prompt: 'p', vlm_rewards: [globalEntry(-0.5)] };
    const dropped = {
      bad_image_file: 'c.png',
      good_image_file: 'c.png',
      prompt: 'p',
      vlm_rewards: [{ object: 'x', score: null, bbox: [0, 0, 1, 1] }],
    };
    fs.writeFileSync(jsonl, [JSON.stringify(judge), '{oops', '', JSON.stringify(training), JSON.stringify(dropped)].join('\n') + '\n');
    const out = path.join(dir, 'maps.json');
    const errors: string[] = [];
    const [log, error] = [console.log, console.error];
    console.log = () => undefined;
    console.error = (message: string) => errors.push(message);
    try {
      await rewardMapCommand.run({ mode: 'official', jsonl, width: '4', height: '3', out });
    } finally {
      [console.log, console.error] = [log, error];
    }
    // Judge record: weight 0.95 at rows 0-1, cols 0-1, times 0.75 -> float32 0.7125 (written as 0.7125), else 0.375.
    const a = [
      [0.7125, 0.7125, 0.375, 0.375],
      [0.7125, 0.7125, 0.375, 0.375],
      [0.375, 0.375, 0.375, 0.375],
    ];
    const b = [
      [0.125, 0.125, 0.125, 0.125],
      [0.125, 0.125, 0.125, 0.125],
      [0.125, 0.125, 0.125, 0.125],
    ];
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual([a, null, b, null]);
    expect(errors).toEqual([
      expect.stringMatching(/rewards\.jsonl:2: skipped: not valid JSON/),
      expect.stringMatching(/rewards\.jsonl:5: dropped: .*TypeError/),
    ]);
    await expect(rewardMapCommand.run({ mode: 'bogus', jsonl, width: '4', height: '3', out })).rejects.toThrow(/--mode must be one of/);
    fs.rmSync(dir, { recursive: true });
  });

  it('shortestFloat32 keeps the float32 value', () => {
    for (const v of [0.7125, 0.1, 1 / 3, 0.975, 1e-7]) {
      const f = Math.fround(v);
      expect(Math.fround(shortestFloat32(f))).toBe(f);
    }
    expect(shortestFloat32(Math.fround(0.975))).toBe(0.975);
  });
});
