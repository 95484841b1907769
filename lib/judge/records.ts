// The released reward records (JSONL, one image per line) and the step that formats them for training.
//   Judge record (vlm.py output):   { image_file, prompt, vlm_rewards: RegionReward[], global_layout_reward, vlm_raw_output? }
//   Training record (vlm_format_output.py output, what the loader reads): the global entry moved INTO vlm_rewards
//   as { object: "global_layout_reward", score, reason, bbox }, regions as { object: <identified object>, score, bbox }.
// Boxes are [x1, y1, x2, y2] in image pixels, x1/y1 inclusive, x2/y2 exclusive (SAM's [x, y, x+w, y+h]).
import type { Box } from '../regions/propose';
import { ParsedGlobal, ParsedRegion, ParsedSample, binarize } from './parse';

export type { Box }; // defined with the proposer that makes the boxes (lib/regions/propose.ts)

export const GLOBAL_OBJECT = 'global_layout_reward';

export interface RegionReward {
  /** Absent when the judge scored a region without naming it (the formatter then drops the region, as released). */
  identified_object?: string;
  score: number;
  reason?: string;
  bbox: Box;
  /** Mask pixel count of the proposal (whole-image entries: W * H). */
  area: number;
  /** Only with the 0-1 reward ablation: 1 if score > 0 else -1. */
  binarized_score?: 1 | -1;
}

export interface GlobalLayoutReward {
  global_layout_score: number;
  reason: string;
  bbox: Box;
  area: number;
}

export interface JudgeRecord {
  image_file: string;
  prompt: string;
  vlm_rewards: RegionReward[];
  /** null when the global layout query was not run. */
  global_layout_reward: GlobalLayoutReward | null;
  /** The judge's last raw answer to the region (or sample-level) query. */
  vlm_raw_output?: string;
}

/** One entry of a training record; the loader reads `object`, `score` and `bbox` only. */
export interface TrainingReward {
  object: string;
  score: number;
  bbox: Box;
  reason?: string;
  identified_object?: string;
  area?: number;
}

export interface TrainingRecord {
  image_file: string;
  /** The released loader's names: the input image and the reference image (the same candidate here). */
  bad_image_file: string;
  good_image_file: string;
  prompt: string;
  vlm_rewards: TrainingReward[];
}

/** The released default reasons when a query never parsed. */
export const failedReason = (attempts: number): string => `VLM failed to produce a parsable output after ${attempts} attempts.`;

export interface JudgeRecordParts {
  imageFile: string;
  prompt: string;
  width: number;
  height: number;
  /** Proposals in Region ID order (id = index + 1). */
  regions: ReadonlyArray<{ bbox: Box; area: number }>;
  /** Parsed region answers (null: no region query, or it never parsed: no regional rewards). */
  parsedRegions?: Map<number, ParsedRegion> | null;
  /** Sample-level answer instead of regions (undefined: not in sample-level mode; null: it never parsed). */
  parsedSample?: ParsedSample | null;
  /** Global layout answer (undefined: not queried; null: it never parsed -> 0.0 with a reason). */
  parsedGlobal?: ParsedGlobal | null;
  attempts: number;
  binarizeScores?: boolean;
  rawOutput?: string;
}

/** Assemble one judge record exactly as the released vlm.py does from parsed answers. */
export function buildJudgeRecord(parts: JudgeRecordParts): JudgeRecord {
  const whole: Box = [0, 0, parts.width, parts.height];
  const area = parts.width * parts.height;
  const withBinary = (reward: RegionReward): RegionReward =>
    parts.binarizeScores === true ? { ...reward, binarized_score: binarize(reward.score) } : reward;
  const rewards: RegionReward[] = [];
  if (parts.parsedSample !== undefined) {
    const s = parts.parsedSample;
    rewards.push(
      withBinary(
        s === null
          ? { score: 0, reason: `VLM failed after ${parts.attempts} attempts.`, bbox: whole, area }
          : {
              ...(s.identifiedObject !== undefined ? { identified_object: s.identifiedObject } : {}),
              score: s.score,
              ...(s.reason !== undefined ? { reason: s.reason } : {}),
              bbox: whole,
              area,
            },
      ),
    );
  } else if (parts.parsedRegions) {
    parts.regions.forEach((region, i) => {
      const parsed = parts.parsedRegions?.get(i + 1);
      if (parsed?.score === undefined) return; // unparsed regions are dropped
      rewards.push(
        withBinary({
          ...(parsed.identifiedObject !== undefined ? { identified_object: parsed.identifiedObject } : {}),
          score: parsed.score,
          ...(parsed.reason !== undefined ? { reason: parsed.reason } : {}),
          bbox: [...region.bbox],
          area: region.area,
        }),
      );
    });
  }
  let global: GlobalLayoutReward | null = null;
  if (parts.parsedGlobal !== undefined) {
    global =
      parts.parsedGlobal === null
        ? { global_layout_score: 0, reason: failedReason(parts.attempts), bbox: whole, area }
        : { global_layout_score: parts.parsedGlobal.score, reason: parts.parsedGlobal.reason, bbox: whole, area };
  }
  return {
    image_file: parts.imageFile,
    prompt: parts.prompt,
    vlm_rewards: rewards,
    global_layout_reward: global,
    ...(parts.rawOutput !== undefined ? { vlm_raw_output: parts.rawOutput } : {}),
  };
}

export type FormatResult = { record: TrainingRecord } | { skipped: string };

/**
 * The released formatting step (vlm_format_output.py): the global entry first, inside vlm_rewards; regions
 * without identified_object are dropped; a record with global score exactly 0 is dropped (released filter,
 * `dropZeroGlobal`, default true) and so is one left with no entries. Regions keep their reason and area here
 * (the released formatter drops them; the loader never reads them).
 */
export function formatForTraining(record: JudgeRecord, options: { dropZeroGlobal?: boolean } = {}): FormatResult {
  const global = record.global_layout_reward;
  if (global !== null && global.global_layout_score === 0 && (options.dropZeroGlobal ?? true)) {
    return { skipped: 'global_layout_score is 0 (the released formatter drops such records)' };
  }
  const rewards: TrainingReward[] = [];
  if (global !== null)
    rewards.push({ object: GLOBAL_OBJECT, bbox: [...global.bbox], score: global.global_layout_score, reason: global.reason });
  for (const r of record.vlm_rewards) {
    if (r.identified_object === undefined) continue;
    rewards.push({
      object: r.identified_object,
      identified_object: r.identified_object,
      bbox: [...r.bbox],
      score: r.score,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      area: r.area,
    });
  }
  if (rewards.length === 0) return { skipped: 'no global score and no named region' };
  return {
    record: {
      image_file: record.image_file,
      bad_image_file: record.image_file,
      good_image_file: record.image_file,
      prompt: record.prompt,
      vlm_rewards: rewards,
    },
  };
}

export function serializeRecords(records: readonly (JudgeRecord | TrainingRecord)[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}

/** A training record as the loader tolerates it: entries are checked by the reward-map rules, not here. */
export interface LoaderRecord {
  image_file?: string;
  bad_image_file: string;
  prompt: string;
  vlm_rewards: readonly unknown[];
}

export type ReadEntry = { line: number; kind: 'judge'; record: JudgeRecord } | { line: number; kind: 'training'; record: LoaderRecord };

export interface ReadResult {
  entries: ReadEntry[];
  /** One per malformed line: its 1-based number and what is wrong with it. */
  errors: Array<{ line: number; message: string }>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBox = (v: unknown): v is Box => Array.isArray(v) && v.length === 4 && v.every(isNumber);
const show = (v: unknown): string => (JSON.stringify(v) ?? String(v)).slice(0, 60);

/** Problems with one judge-record entry (field path prefixed), empty when valid. */
function entryProblems(entry: unknown, where: string, global: boolean): string[] {
  if (!isObject(entry)) return [`${where} must be an object, got ${show(entry)}`];
  const problems: string[] = [];
  const scoreField = global ? 'global_layout_score' : 'score';
  if (!isNumber(entry[scoreField])) problems.push(`${where}.${scoreField} must be a finite number, got ${show(entry[scoreField])}`);
  if (!isBox(entry.bbox)) problems.push(`${where}.bbox must be 4 finite numbers [x1, y1, x2, y2], got ${show(entry.bbox)}`);
  if (!isNumber(entry.area)) problems.push(`${where}.area must be a finite number, got ${show(entry.area)}`);
  for (const text of global ? ['reason'] : ['identified_object', 'reason']) {
    const required = global && text === 'reason';
    if ((required || entry[text] !== undefined) && typeof entry[text] !== 'string')
      problems.push(`${where}.${text} must be a string, got ${show(entry[text])}`);
  }
  return problems;
}

/** Why a parsed line is not a record (empty when it is one). */
function recordProblems(value: unknown): { kind: 'judge' | 'training'; problems: string[] } {
  if (!isObject(value)) return { kind: 'judge', problems: [`expected a JSON object, got ${show(value)}`] };
  // Training records name bad_image_file; judge records image_file (older released outputs lack global_layout_reward).
  const kind = 'bad_image_file' in value ? 'training' : 'judge';
  const problems: string[] = [];
  if (kind === 'judge' && typeof value.image_file !== 'string')
    problems.push(
      `neither a judge record (image_file string) nor a training record (bad_image_file string): image_file is ${show(value.image_file)}`,
    );
  if (kind === 'training' && typeof value.bad_image_file !== 'string')
    problems.push(`bad_image_file must be a string, got ${show(value.bad_image_file)}`);
  if (typeof value.prompt !== 'string') problems.push(`prompt must be a string, got ${show(value.prompt)}`);
  if (!Array.isArray(value.vlm_rewards))
    return { kind, problems: [...problems, `vlm_rewards must be an array, got ${show(value.vlm_rewards)}`] };
  value.vlm_rewards.forEach((entry, i) => {
    if (kind === 'judge') problems.push(...entryProblems(entry, `vlm_rewards[${i}]`, false));
    else if (!isObject(entry)) problems.push(`vlm_rewards[${i}] must be an object, got ${show(entry)}`); // the loader would crash on it
  });
  if (kind === 'judge' && value.global_layout_reward !== null && value.global_layout_reward !== undefined)
    problems.push(...entryProblems(value.global_layout_reward, 'global_layout_reward', true));
  return { kind, problems };
}

/** Read JSONL text of judge and/or training records; malformed lines are explained, valid ones kept. */
export function parseRewardJsonl(text: string): ReadResult {
  const result: ReadResult = { entries: [], errors: [] };
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      result.errors.push({ line, message: `not valid JSON (${(error as Error).message})` });
      return;
    }
    const { kind, problems } = recordProblems(value);
    if (problems.length > 0) result.errors.push({ line, message: problems.join('; ') });
    else if (kind === 'judge')
      result.entries.push({ line, kind, record: { global_layout_reward: null, ...(value as object) } as JudgeRecord });
    else result.entries.push({ line, kind, record: value as unknown as LoaderRecord });
  });
  return result;
}
