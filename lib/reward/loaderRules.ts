// How the released training loader (RegionalRewardDataset._parse_vlm_output_to_reward_map and __iter__) reads
// the entries of a record, restated with Python's semantics so every reward-map mode sees the same regions:
//   - entries must be objects (Python calls .get on them; anything else raises and the sample is dropped);
//   - the global score is the `score` of the first entry whose `object` is "global_layout_reward"; missing or
//     null -> 0.0; a non-number (a string, a list) makes `(g + 1.0) / 2.0` raise -> sample dropped;
//   - a region is skipped when bbox is not an array of length 4, or any coordinate fails Python's int()
//     (null, a list, a non-integer string such as "3.5", NaN), or x_min >= x_max or y_min >= y_max after the
//     int() conversion; an infinite coordinate makes int() raise OverflowError, which the loader does not
//     catch -> sample dropped;
//   - int() truncates toward zero: [1.7, 2.2, 3.9, 4.5] -> [1, 2, 3, 4]; integer strings pass (" 12", "-3",
//     "1_000"); booleans are 0 / 1;
//   - a region's score: missing -> 0.0; present but null or a non-number -> `(score + 1.0)` raises -> sample
//     dropped (checked after the box, as released: a bad score in a skipped box is harmless); booleans are 0 / 1.
// A dropped sample is reported by throwing DroppedRecordError (the loader prints the error and moves on).
import { GLOBAL_OBJECT } from '../judge/records';

export class DroppedRecordError extends Error {
  override name = 'DroppedRecordError';
}

/** A region that survives the loader's checks: integer box (x2, y2 exclusive, not yet clamped) and score. */
export interface LoaderRegion {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  /** Index in vlm_rewards. */
  index: number;
}

const isEntry = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const PYTHON_INT_STRING = /^\s*[+-]?\d+(?:_\d+)*\s*$/;

/** Python int(v) for a JSON value: a number, 'skip' (ValueError / TypeError) or 'overflow' (OverflowError). */
export function pythonInt(v: unknown): number | 'skip' | 'overflow' {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'skip';
    if (!Number.isFinite(v)) return 'overflow';
    return Math.trunc(v) + 0; // + 0 turns -0 into 0
  }
  if (typeof v === 'string' && PYTHON_INT_STRING.test(v)) return Number(v.trim().replace(/_/g, ''));
  return 'skip';
}

/** Python `x + 1.0` needs a number (bool counts); null and missing are handled by the callers. */
function numericScore(v: unknown, where: string): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  throw new DroppedRecordError(
    `${where} is ${JSON.stringify(v) ?? String(v)}: Python's (score + 1.0) raises TypeError, the released loader drops the sample`,
  );
}

function checkedEntries(rewards: readonly unknown[]): Record<string, unknown>[] {
  return rewards.map((entry, i) => {
    if (!isEntry(entry)) throw new DroppedRecordError(`vlm_rewards[${i}] is not an object: the released loader drops the sample`);
    return entry;
  });
}

/** The global layout score g the loader uses (0.0 when there is no global entry or it has no score). */
export function loaderGlobalScore(rewards: readonly unknown[]): number {
  const entries = checkedEntries(rewards);
  const at = entries.findIndex((e) => e.object === GLOBAL_OBJECT);
  if (at < 0 || entries[at].score === undefined || entries[at].score === null) return 0;
  return numericScore(entries[at].score, `vlm_rewards[${at}].score (global)`);
}

/** The regional entries the loader applies, in order, with their integer boxes. */
export function loaderRegions(rewards: readonly unknown[]): LoaderRegion[] {
  const regions: LoaderRegion[] = [];
  checkedEntries(rewards).forEach((entry, index) => {
    if (entry.object === GLOBAL_OBJECT) return;
    const bbox = entry.bbox;
    if (!Array.isArray(bbox) || bbox.length !== 4) return;
    const ints = bbox.map(pythonInt);
    if (ints.includes('overflow'))
      throw new DroppedRecordError(
        `vlm_rewards[${index}].bbox ${JSON.stringify(bbox)} has an infinite coordinate: ` +
          "Python's int() raises OverflowError, the released loader drops the sample",
      );
    if (ints.includes('skip')) return;
    const [x1, y1, x2, y2] = ints as number[];
    if (x1 >= x2 || y1 >= y2) return;
    const score = entry.score === undefined ? 0 : numericScore(entry.score, `vlm_rewards[${index}].score`);
    regions.push({ x1, y1, x2, y2, score, index });
  });
  return regions;
}
