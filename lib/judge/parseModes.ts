// The two judge parsers under one switch, and the JSON shape `srum parse-judge` writes.
//   official  the released regexes (parse.ts), bit-exact;
//   robust    line-based, markdown-tolerant (parseRobust.ts); the default for external judges.
// Either mode can clamp scores to [-1, 1] ({ clamp: true }); neither does by default (released behaviour).
import { ParsedGlobal, ParsedRegion, ScoreOptions, parseGlobalLayout, parseRegions } from './parse';
import { parseGlobalLayoutRobust, parseRegionsRobust } from './parseRobust';

export const PARSE_MODES = ['official', 'robust'] as const;
export type ParseMode = (typeof PARSE_MODES)[number];

export interface ParseOptions extends ScoreOptions {
  mode: ParseMode;
}

export function isParseMode(value: string): value is ParseMode {
  return (PARSE_MODES as readonly string[]).includes(value);
}

/** The region parser of a mode, ready for withRetries. */
export function regionParser(options: ParseOptions): (text: string) => Map<number, ParsedRegion> {
  const score = { clamp: options.clamp === true };
  return options.mode === 'robust' ? (text) => parseRegionsRobust(text, score) : (text) => parseRegions(text, score);
}

/** The global layout parser of a mode, ready for withRetries. */
export function globalParser(options: ParseOptions): (text: string) => ParsedGlobal | null {
  const score = { clamp: options.clamp === true };
  return options.mode === 'robust' ? (text) => parseGlobalLayoutRobust(text, score) : (text) => parseGlobalLayout(text, score);
}

/** One parsed region as the released pipeline names its fields (null where the answer had none). */
export interface RegionJson {
  identified_object: string | null;
  score: number | null;
  reason: string | null;
}

/** Parsed regions keyed by Region ID (as a string, the JSON key). */
export function regionsJson(regions: Map<number, ParsedRegion>): Record<string, RegionJson> {
  const out: Record<string, RegionJson> = {};
  for (const [id, r] of [...regions.entries()].sort((a, b) => a[0] - b[0])) {
    out[String(id)] = { identified_object: r.identifiedObject ?? null, score: r.score ?? null, reason: r.reason ?? null };
  }
  return out;
}

/** A parsed global answer as the released record names it, or {} when nothing parsed. */
export function globalJson(parsed: ParsedGlobal | null): { global_layout_score: number; reason: string } | Record<string, never> {
  return parsed === null ? {} : { global_layout_score: parsed.score, reason: parsed.reason };
}
