// `srum reward-map` on released loader records (the global score inside vlm_rewards, malformed boxes, missing
// scores) and judge records in one file, against an independent restatement of the released loader written
// here from reference/official-srum.md (not lib/reward/loaderRules.ts), on a seeded generated corpus; and one
// hand-computed record per bad-input class.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rewardMapCommand } from '../lib/cli/rewardMap';
import { recordCorpus } from '../lib/reward/recordCorpus';
import { rewardMap } from '../lib/reward/rewardMap';

type Entry = Record<string, unknown>;
const DROP = Symbol('dropped');
const isEntry = (v: unknown): v is Entry => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python int() of a JSON value: a number, 'skip' (ValueError/TypeError) or DROP (OverflowError). */
function pyInt(v: unknown): number | 'skip' | typeof DROP {
  if (v === true || v === false) return Number(v);
  if (typeof v === 'number') return Number.isNaN(v) ? 'skip' : Number.isFinite(v) ? Math.trunc(v) : DROP;
  if (typeof v === 'string' && /^\s*[-+]?\d+(_\d+)*\s*$/.test(v)) return parseInt(v.replace(/_/g, ''), 10);
  return 'skip';
}

/** Python (x + 1.0): a number, or DROP (TypeError). */
const pyNumber = (v: unknown): number | typeof DROP => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : DROP);

/** The entries the loader sees: a judge record goes through the released formatter first. */
function loaderEntries(record: Entry): unknown[] {
  const list = record.vlm_rewards as unknown[];
  const loaderShaped = !('global_layout_reward' in record) && ('bad_image_file' in record || list.some((e) => isEntry(e) && 'object' in e));
  if (loaderShaped) return list;
  const g = record.global_layout_reward;
  const head = isEntry(g) ? [{ object: 'global_layout_reward', score: g.global_layout_score }] : [];
  const named = list.filter((e) => !isEntry(e) || e.identified_object !== undefined);
  return [...head, ...named.map((e) => (isEntry(e) ? { ...e, object: e.identified_object } : e))];
}

/** The released loader's map, restated: H rows of W float32 values, or null where it drops the sample. */
function referenceMap(record: Entry, W: number, H: number): number[][] | null {
  const entries = loaderEntries(record);
  if (!entries.every(isEntry)) return null;
  const rows = Array.from({ length: H }, () => new Array<number>(W).fill(0.5));
  const globalEntry = (entries as Entry[]).find((e) => e.object === 'global_layout_reward');
  const g = globalEntry === undefined || globalEntry.score === undefined || globalEntry.score === null ? 0 : pyNumber(globalEntry.score);
  if (g === DROP) return null;
  for (const e of entries as Entry[]) {
    if (e.object === 'global_layout_reward' || !Array.isArray(e.bbox) || e.bbox.length !== 4) continue;
    const box = e.bbox.map(pyInt);
    if (box.includes(DROP)) return null;
    if (box.includes('skip')) continue;
    const [x1, y1, x2, y2] = box as number[];
    if (x1 >= x2 || y1 >= y2) continue;
    const score = e.score === undefined ? 0 : pyNumber(e.score);
    if (score === DROP) return null;
    const weight = Math.fround((score + 1) / 2);
    for (let y = Math.max(0, y1); y < Math.min(H, y2); y++) {
      for (let x = Math.max(0, x1); x < Math.min(W, x2); x++) rows[y][x] = Math.max(rows[y][x], weight);
    }
  }
  return rows.map((row) => row.map((v) => Math.fround(v * Math.fround((g + 1) / 2))));
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interop-reward-map-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Run the CLI on records; returns its maps and the warnings it printed. */
type CliResult = { maps: Array<number[][] | null>; warnings: string[] };
async function runCli(records: unknown[], W: number, H: number, extra: Record<string, string | boolean> = {}): Promise<CliResult> {
  const jsonl = path.join(dir, 'in.jsonl');
  const out = path.join(dir, 'out.json');
  fs.writeFileSync(jsonl, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const warnings: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = () => undefined;
  console.error = (message: string) => warnings.push(message);
  try {
    await rewardMapCommand.run({ mode: 'official', jsonl, width: String(W), height: String(H), out, ...extra });
  } finally {
    [console.log, console.error] = [log, error];
  }
  return { maps: JSON.parse(fs.readFileSync(out, 'utf8')) as Array<number[][] | null>, warnings };
}

const maxDiff = (a: number[][], b: number[][]): number => Math.max(...a.flatMap((row, y) => row.map((v, x) => Math.abs(v - b[y][x]))));

describe('srum reward-map on released loader records', () => {
  it('equals the restated loader rule within 1e-6 on 240 generated records (both forms), one map per record', async () => {
    const [W, H] = [24, 20];
    const records = recordCorpus({ seed: 36, count: 240, width: W, height: H });
    const { maps } = await runCli(records, W, H);
    expect(maps).toHaveLength(records.length);
    let compared = 0;
    records.forEach((record, i) => {
      const expected = referenceMap(record, W, H);
      if (expected === null) return expect(maps[i]).toBeNull();
      expect(maps[i]).not.toBeNull();
      expect(maxDiff(maps[i] as number[][], expected)).toBeLessThanOrEqual(1e-6);
      compared += 1;
    });
    // Almost every record has a map (only the rare null / string scores on valid boxes drop a sample) ...
    expect(compared / records.length).toBeGreaterThan(0.9);
    // ... and the corpus does exercise what it claims: in-list globals, bad boxes, missing scores, judge records.
    const entries = records.flatMap((r) => r.vlm_rewards as Entry[]);
    expect(entries.filter((e) => e.object === 'global_layout_reward').length).toBeGreaterThan(150);
    expect(entries.filter((e) => Array.isArray(e.bbox) && e.bbox.length === 3).length).toBeGreaterThan(5);
    expect(entries.filter((e) => !('score' in e)).length).toBeGreaterThan(20);
    expect(records.filter((r) => 'global_layout_reward' in r).length).toBeGreaterThan(10);
  });

  it('each bad-input class: bad boxes skipped and the rest kept, missing score 0, in-list global read, float boxes truncated', async () => {
    const [W, H] = [4, 2];
    const record = (vlm_rewards: unknown[]): Entry => ({ image_file: 'a.png', prompt: 'p', vlm_rewards });
    const good = { object: 'a', score: 1, bbox: [0, 0, 1, 1] }; // weight 1 at (0, 0)
    const onlyGood = [
      [0.5, 0.25, 0.25, 0.25],
      [0.25, 0.25, 0.25, 0.25],
    ]; // g = 0: factor 0.5; the good box 1 -> 0.5
    const box = (bbox: unknown): Entry => ({ object: 'b', score: 1, bbox });
    const cases: Array<[string, Entry, number[][]]> = [
      [
        'in-list global g = 0.5 (factor 0.75)',
        record([{ object: 'global_layout_reward', score: 0.5 }, good]),
        [
          [0.75, 0.375, 0.375, 0.375],
          [0.375, 0.375, 0.375, 0.375],
        ],
      ],
      ['3 numbers', record([good, box([0, 0, 4])]), onlyGood],
      ['a null inside', record([good, box([0, null, 4, 2])]), onlyGood],
      ['x0 > x1', record([good, box([3, 0, 1, 2])]), onlyGood],
      [
        'floats truncate',
        record([good, box([2.9, 1.2, 3.99, 2.7])]),
        [
          [0.5, 0.25, 0.25, 0.25],
          [0.25, 0.25, 0.5, 0.25],
        ],
      ],
      [
        'outside the image clamps',
        record([good, box([3, -5, 99, 99])]),
        [
          [0.5, 0.25, 0.25, 0.5],
          [0.25, 0.25, 0.25, 0.5],
        ],
      ],
      [
        'missing score counts 0',
        record([
          { object: 'b', bbox: [0, 0, 4, 2] },
          { object: 'global_layout_reward', score: 1 },
        ]),
        [
          [0.5, 0.5, 0.5, 0.5],
          [0.5, 0.5, 0.5, 0.5],
        ],
      ],
      ['no global entry: g = 0', record([good]), onlyGood],
    ];
    const { maps, warnings } = await runCli(
      cases.map((c) => c[1]),
      W,
      H,
    );
    cases.forEach(([name, , expected], i) => expect({ name, map: maps[i] }).toEqual({ name, map: expected }));
    expect(warnings).toEqual([]);
  });

  it('writes null, with a warning naming the line, only where the released loader drops the sample', async () => {
    const records = [
      { image_file: 'a.png', vlm_rewards: [{ object: 'b', score: 'high', bbox: [0, 0, 1, 1] }] }, // (score + 1.0) raises
      { image_file: 'b.png', vlm_rewards: [{ object: 'b', score: 'high', bbox: [0, 0, 1] }] }, // bad box first: harmless
      { image_file: 'c.png', vlm_rewards: [7] },
      { image_file: 'd.png' },
    ];
    const { maps, warnings } = await runCli(records, 2, 1);
    expect(maps).toEqual([null, [[0.25, 0.25]], null, null]);
    expect(warnings).toEqual([
      expect.stringMatching(/:1: dropped: .*TypeError/),
      expect.stringMatching(/:3: dropped/),
      expect.stringMatching(/:4: skipped: vlm_rewards must be an array/),
    ]);
  });

  it('scores outside [-1, 1] are used as written (released); --clamp bounds them, in every mode including global-only', async () => {
    const vlm_rewards = [
      { object: 'global_layout_reward', score: 1.5 },
      { object: 'b', score: 1.5, bbox: [0, 0, 1, 1] },
    ];
    const record = { image_file: 'a.png', vlm_rewards };
    expect((await runCli([record], 2, 1)).maps).toEqual([[[1.5625, 0.625]]]); // weights 1.25 and 0.5, times 1.25
    expect((await runCli([record], 2, 1, { clamp: true })).maps).toEqual([[[1, 0.5]]]);
    const globalOnly = (clampScores: boolean): number[] =>
      Array.from(rewardMap(record, { mode: 'global-only', width: 2, height: 1, clampScores }));
    expect(globalOnly(false)).toEqual([1.25, 1.25]);
    expect(globalOnly(true)).toEqual([1, 1]);
  });
});
