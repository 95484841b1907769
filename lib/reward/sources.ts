// Reading reward records of either form for the reward map, with the released loader's tolerance: a record is
// read as long as it is a JSON object with a `vlm_rewards` array; what is inside the entries is left to the
// loader's per-region rules (loaderRules.ts: a bad box is skipped, a missing score is 0, a missing global entry
// is g = 0), so one malformed region never costs the whole record its map.
//   loader form (what the released training loader reads): the global score is an entry
//     {"object": "global_layout_reward", "score": g} inside vlm_rewards; used as it is.
//   judge form (the released vlm.py output and the toolkit's judge records): a top-level `global_layout_reward`
//     {global_layout_score, bbox}; converted the way the released formatter does it (records.ts,
//     formatForTraining): the global entry first, then every entry that names an identified_object (unnamed
//     regions are dropped, as released), each keeping its bbox and score exactly as written. The released
//     zero-global filter is not applied: every record gets its map.
// A record is in the judge form when it has a `global_layout_reward` key, or when no entry has an `object` key
// and it has no `bad_image_file` (older released judge outputs lack the global key).
import { GLOBAL_OBJECT } from '../judge/records';
import type { RewardSource } from './rewardMap';

export type SourceForm = 'judge' | 'loader';

export type SourceLine = { line: number; form: SourceForm; source: RewardSource } | { line: number; problem: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Which form a record with a vlm_rewards array is in. */
export function sourceForm(record: Record<string, unknown>, entries: readonly unknown[]): SourceForm {
  if ('global_layout_reward' in record) return 'judge';
  if ('bad_image_file' in record || entries.some((e) => isObject(e) && 'object' in e)) return 'loader';
  return 'judge';
}

/** The loader-form entries of a judge-form record (the released formatter's conversion). */
export function judgeEntries(record: Record<string, unknown>, entries: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  const global = record.global_layout_reward;
  if (isObject(global)) out.push({ object: GLOBAL_OBJECT, score: global.global_layout_score, bbox: global.bbox });
  for (const entry of entries) {
    if (!isObject(entry))
      out.push(entry); // the loader drops such a record: keep it so that it does
    else if (entry.identified_object !== undefined) out.push({ object: entry.identified_object, score: entry.score, bbox: entry.bbox });
  }
  return out;
}

/** One source per non-empty line, in order; a line that is not an object with a vlm_rewards array is a problem. */
export function readRewardSources(text: string): SourceLine[] {
  const lines: SourceLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      lines.push({ line, problem: `not valid JSON (${(error as Error).message})` });
      return;
    }
    if (!isObject(value)) return void lines.push({ line, problem: `expected a JSON object, got ${raw.slice(0, 60)}` });
    const entries = value.vlm_rewards;
    if (!Array.isArray(entries)) {
      return void lines.push({ line, problem: `vlm_rewards must be an array, got ${JSON.stringify(entries) ?? 'nothing'}` });
    }
    const form = sourceForm(value, entries);
    lines.push({ line, form, source: { vlm_rewards: form === 'judge' ? judgeEntries(value, entries) : entries } });
  });
  return lines;
}
