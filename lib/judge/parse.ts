// Parsers for the judge's text answers, with the released pipeline's behaviour (vlm.py):
//   - only the text after the LAST `</think>` counts (then trimmed);
//   - global layout: the first `Score:` number; the reason is the text after it, a leading `Reason:` removed;
//   - regions: blocks split on "\n\n"; per block the case-insensitive regexes `Region ID:\s*(\d+)`,
//     `Identified Object:\s*(.*)`, `Score:\s*(-?\d+\.?\d*)`, `Reason:\s*(.*)` (DOTALL); a later block with the
//     same Region ID replaces an earlier one; a region without a score is dropped later (see records.ts);
//   - up to 3 attempts per query while nothing parses (withRetries).
// Python -> JavaScript regex notes: `.` becomes [^\n] (Python's `.` excludes only "\n"); the `u` flag gives
// Unicode case folding as Python's re.IGNORECASE does; `\d` is ASCII here while Python also matches other
// scripts' digits (a "Score: ٣" parses in Python, not here).
//
// Scores are NOT clamped by default, as released: a parsed `Score: 1.5` stays 1.5 and the loader turns it into
// a map weight of 1.25 ("Score: 95" into 48). `{ clamp: true }` is the explicit alternative: the score is clamped
// to [-1, 1] (keeping what the answer says, its sign and that it is extreme, while bounding the weight) and the
// written value stays in rawScore. The regex cannot produce NaN or "1e5" (it reads the "1"); an overlong digit
// string reads as Infinity (Python's float() too). The parsers never throw.
// The `robust` mode for real VLM replies (markdown, headings, ".5", single-newline regions) is parseRobust.ts.

const SCORE = /Score:\s*(-?\d+\.?\d*)/iu;
const REGION_ID = /Region ID:\s*(\d+)/iu;
const IDENTIFIED_OBJECT = /Identified Object:\s*([^\n]*)/iu;
const REASON = /Reason:\s*([\s\S]*)/iu;
const OVERALL_IMPRESSION = /Overall Impression:\s*([^\n]*)/iu;

export interface ParsedScore {
  /** The score used downstream: as written (released), or clamped to [-1, 1] with `{ clamp: true }`. */
  score: number;
  /** As written by the judge (may lie outside [-1, 1]). */
  rawScore: number;
}

export interface ParsedGlobal extends ParsedScore {
  reason: string;
}

export interface ParsedRegion {
  regionId: number;
  identifiedObject?: string;
  score?: number;
  rawScore?: number;
  reason?: string;
}

export interface ParsedSample extends ParsedScore {
  /** The "Overall Impression" line (the released code stores it as identified_object). */
  identifiedObject?: string;
  reason?: string;
}

export const clampScore = (score: number): number => Math.min(1, Math.max(-1, score));

/** How a parser treats scores outside [-1, 1]: kept as written (default, released) or clamped. */
export interface ScoreOptions {
  clamp?: boolean;
}

/** A written score as the parsers return it. */
export function scoreAs(rawScore: number, options: ScoreOptions = {}): ParsedScore {
  return { score: options.clamp === true ? clampScore(rawScore) : rawScore, rawScore };
}

/** The text after the last `</think>` (all of it when there is none), trimmed. */
export function answerText(text: string): string {
  const at = text.lastIndexOf('</think>');
  return (at < 0 ? text : text.slice(at + '</think>'.length)).trim();
}

const readScore = (match: RegExpExecArray, options: ScoreOptions): ParsedScore => scoreAs(Number(match[1]), options);

/** Global layout answer -> score and reason, or null when no `Score:` number is found. */
export function parseGlobalLayout(text: string, options: ScoreOptions = {}): ParsedGlobal | null {
  const content = answerText(text);
  const match = SCORE.exec(content);
  if (match === null) return null;
  const rest = content.slice(match.index + match[0].length).trim();
  const reason = rest.toLowerCase().startsWith('reason:') ? rest.slice('reason:'.length).trim() : rest;
  return { ...readScore(match, options), reason };
}

/** Region answers by Region ID; an empty map means nothing parsed (the released retry condition). */
export function parseRegions(text: string, options: ScoreOptions = {}): Map<number, ParsedRegion> {
  const regions = new Map<number, ParsedRegion>();
  for (const rawBlock of answerText(text).split('\n\n')) {
    const block = rawBlock.trim();
    const id = REGION_ID.exec(block);
    if (block === '' || id === null) continue;
    const region: ParsedRegion = { regionId: Number(id[1]) };
    const object = IDENTIFIED_OBJECT.exec(block);
    const score = SCORE.exec(block);
    const reason = REASON.exec(block);
    if (object !== null) region.identifiedObject = object[1].trim();
    if (score !== null) Object.assign(region, readScore(score, options));
    if (reason !== null) region.reason = reason[1].trim();
    regions.set(region.regionId, region);
  }
  return regions;
}

/** Whole-image ("sample reward") answer, or null when no `Score:` number is found. */
export function parseSampleLevel(text: string, options: ScoreOptions = {}): ParsedSample | null {
  const content = answerText(text);
  const score = SCORE.exec(content);
  if (score === null) return null;
  const parsed: ParsedSample = readScore(score, options);
  const impression = OVERALL_IMPRESSION.exec(content);
  const reason = REASON.exec(content);
  if (impression !== null) parsed.identifiedObject = impression[1].trim();
  if (reason !== null) parsed.reason = reason[1].trim();
  return parsed;
}

/** The 0-1 reward ablation (released `binarized_score`): 1 if score > 0 else -1 (0 and NaN give -1). */
export function binarize(score: number): 1 | -1 {
  return score > 0 ? 1 : -1;
}

export interface RetryResult<T> {
  /** The first successful parse, or null when every attempt failed. */
  parsed: T | null;
  /** The raw text of the last attempt. */
  raw: string;
  /** Attempts made (1..attempts). */
  attempts: number;
}

/** The released rule: ask again, up to `attempts` times, while the answer does not parse
 *  (`parse` returns null, or an empty map for regions). Errors from `query` propagate. */
export async function withRetries<T>(
  query: () => Promise<string>,
  parse: (text: string) => T | null,
  attempts = 3,
): Promise<RetryResult<T>> {
  let raw = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    raw = await query();
    const parsed = parse(raw);
    const empty = parsed === null || (parsed instanceof Map && parsed.size === 0);
    if (!empty) return { parsed, raw, attempts: attempt };
  }
  return { parsed: null, raw, attempts };
}
