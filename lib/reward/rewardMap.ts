// Dense reward maps from a record's regional and global scores (paper Sec. 3.2), at image resolution.
// Output: Float32Array [H * W], row-major (index y * W + x), float32 like the released numpy map.
// Every mode reads the record with the released loader's rules (loaderRules.ts): same valid regions, same
// integer boxes, same dropped records (DroppedRecordError). A box [x1, y1, x2, y2] (after Python int(), which
// truncates toward zero) covers rows y1..y2-1 and columns x1..x2-1, clamped to the image: the released
// `map[y1:y2, x1:x2]` slice. A region without a score counts as 0.0 (the loader's `item.get('score', 0.0)`).
// g is the global layout score (0.0 without a global entry).
//
// Modes:
//   official    EXACTLY the released loader: 0.5 everywhere; per region, in order, pixels = max(current,
//               (score + 1) / 2); then everything times (g + 1) / 2. In [0, 1] for scores in [-1, 1]; a region
//               scored below 0 never lowers the 0.5 baseline. Scores and g are not clamped (as released).
//   signed      the paper's R in [-1, 1] scaled by alpha = (g + 1) / 2: baseline 0 (no push where nobody
//               judged); a region writes its score (clamped to [-1, 1]) where its |score| is larger than what
//               is there; on equal |score| of opposite signs the negative wins. Why: the result does not depend
//               on region order, a strongly judged object is not washed out by a large, neutral background box
//               around it, and a flaw (negative) is not erased by an equally confident overlapping positive.
//               g is clamped to [-1, 1] so alpha lies in [0, 1].
//   sparse      the 0-1 ablation through the official rule: each region's score replaced by binarize(score)
//               (1 if > 0 else -1, so weights 1 or 0; a missing score gives -1); g stays continuous, as in the
//               released pipeline, which binarizes region scores only.
//   global-only one whole-image score (the paper's "sample reward"): (g + 1) / 2 everywhere, g read exactly as
//               the official mode reads it.
//   local-only  the official rule without the global factor (the "no global reward" ablation).
// clampScores (default false, as released): clamp every region score and g to [-1, 1] before any mode uses them,
// so the official, sparse, global-only and local-only maps stay in [0, 1] whatever the judge wrote ("Score: 1.5"
// is a weight of 1.25 as released, 1 clamped). The signed mode always clamps (its R is defined in [-1, 1]).
import { binarize } from '../judge/parse';
import { LoaderRegion, loaderGlobalScore, loaderRegions } from './loaderRules';

export const REWARD_MODES = ['official', 'signed', 'sparse', 'global-only', 'local-only'] as const;
export type RewardMode = (typeof REWARD_MODES)[number];

export interface RewardMapOptions {
  mode: RewardMode;
  /** Image width and height in pixels (the map's resolution). */
  width: number;
  height: number;
  /** Clamp region scores and g to [-1, 1] (default false: the released loader uses them as written). */
  clampScores?: boolean;
}

/** The part of a record the reward map reads (training records; judge records go through formatForTraining). */
export interface RewardSource {
  vlm_rewards: readonly unknown[];
}

export function isRewardMode(value: string): value is RewardMode {
  return (REWARD_MODES as readonly string[]).includes(value);
}

const clampUnit = (score: number): number => Math.min(1, Math.max(-1, score));

/** Visit the clamped pixel range of a region. */
function forEachPixel(region: LoaderRegion, width: number, height: number, visit: (i: number) => void): void {
  const x1 = Math.max(0, region.x1);
  const x2 = Math.min(width, region.x2);
  const y1 = Math.max(0, region.y1);
  const y2 = Math.min(height, region.y2);
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) visit(y * width + x);
}

/** Released rule: 0.5 baseline, max with each region's (score + 1) / 2, times `factor` (all in float32). */
function officialRule(regions: LoaderRegion[], factor: number, width: number, height: number): Float32Array {
  const map = new Float32Array(width * height).fill(0.5);
  for (const region of regions) {
    const weight = (region.score + 1) / 2;
    forEachPixel(region, width, height, (i) => (map[i] = Math.max(map[i], weight)));
  }
  // numpy float32 array * Python float: the factor is rounded to float32, the product rounded once.
  const factor32 = Math.fround(factor);
  for (let i = 0; i < map.length; i++) map[i] = map[i] * factor32;
  return map;
}

function signedRule(regions: LoaderRegion[], alpha: number, width: number, height: number): Float32Array {
  const r = new Float64Array(width * height);
  for (const region of regions) {
    const s = clampUnit(region.score);
    forEachPixel(region, width, height, (i) => {
      if (Math.abs(s) > Math.abs(r[i]) || (Math.abs(s) === Math.abs(r[i]) && s < r[i])) r[i] = s;
    });
  }
  return Float32Array.from(r, (v) => alpha * v);
}

/** The judge's global layout score g, clamped to [-1, 1] (0 when the record has none, as the loader reads it). */
export function layoutScore(record: RewardSource): number {
  return clampUnit(loaderGlobalScore(record.vlm_rewards));
}

/** The paper's global factor alpha = (g + 1) / 2, so alpha lies in [0, 1] (the signed map's scale). */
export function layoutAlpha(record: RewardSource): number {
  return (layoutScore(record) + 1) / 2;
}

/** Eq. 1's R for one record, as a [H * W] map (see the mode table above). */
export function rewardMap(record: RewardSource, options: RewardMapOptions): Float32Array {
  const { mode, width, height } = options;
  const clampIf = (score: number): number => (options.clampScores === true ? clampUnit(score) : score);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`rewardMap: width and height must be positive integers, got ${width} x ${height}`);
  }
  // Read only what a mode uses: local-only ignores the global entry and global-only the regions, even malformed ones.
  const regions = (): LoaderRegion[] => loaderRegions(record.vlm_rewards).map((r) => ({ ...r, score: clampIf(r.score) }));
  const g = (): number => clampIf(loaderGlobalScore(record.vlm_rewards));
  switch (mode) {
    case 'official':
      return officialRule(regions(), (g() + 1) / 2, width, height);
    case 'local-only':
      return officialRule(regions(), 1, width, height);
    case 'sparse':
      return officialRule(
        regions().map((r) => ({ ...r, score: binarize(r.score) })),
        (g() + 1) / 2,
        width,
        height,
      );
    case 'signed':
      return signedRule(regions(), layoutAlpha(record), width, height);
    case 'global-only':
      return new Float32Array(width * height).fill((g() + 1) / 2);
  }
}

/** A [H * W] map as H rows of W numbers (for JSON output and plotting). */
export function mapRows(map: Float32Array, width: number): number[][] {
  const rows: number[][] = [];
  for (let y = 0; y * width < map.length; y++) rows.push(Array.from(map.subarray(y * width, (y + 1) * width)));
  return rows;
}
