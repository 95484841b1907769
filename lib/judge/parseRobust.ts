// The `robust` judge parser: the released answer format as real VLMs write it. The released regexes (parse.ts)
// need `Key:` immediately followed by the value and regions separated by blank lines, so they lose
//   `**Score**: 0.9` (markdown between the word and the colon), `### Region ID 4` (no colon), `.5`, `+0.5`,
//   `Score : 1`, and regions separated by one newline or `---` (the blocks merge: later IDs vanish, scores mix).
// This parser reads line by line instead:
//   - only the text after the last `</think>` counts (as released);
//   - markdown is set aside: `**`, `__`, backticks, leading `#`, `>`, bullets and list numbers;
//   - a line starting with `Region`, `Region ID` (colon, `#` or nothing, then the number) opens a region, so any
//     separator works (blank line, one newline, `---`); a later region with the same ID replaces the earlier one;
//   - `Identified Object` / `Object`, `... Score` and `Reason` lines fill the open region; a reason continues on
//     the following lines until a blank line, a rule or another field; several fields may share a line when
//     separated by `,`, `;` or `|`;
//   - a score is a plain decimal with an optional sign (`+0.5`, `-.5`, `−0.3` with a Unicode minus), optionally
//     written `x/1`; anything else after `Score` (a fraction `9/10`, a percentage, a word) is not guessed at:
//     the region is kept without a score and reported as unscored. Non-finite numbers are not scores.
// Nothing parseable gives an empty map / null, exactly like the official parsers, so the retry rule still applies.
import { ParsedGlobal, ParsedRegion, ScoreOptions, answerText, scoreAs } from './parse';

type Field = 'object' | 'score' | 'reason';

/** A field found on a line: which one and the text after its key (and separator). */
interface FieldHit {
  field: Field;
  value: string;
}

const RULE = /^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$/;
/** Markdown and list decoration in front of a line's first word. */
const LINE_PREFIX = /^[\s>#*+\-•·]*(?:\d{1,2}[.)]\s+)?[\s*]*/u;
const REGION_HEADER = /^region(?:[\s_-]*id)?[\s:=#-]*(?:no\.?\s*|number\s*)?(\d{1,6})\b[\s:.)\]-]*/iu;
/** Key, then optional spaces and one separator. Score keys may carry a qualifier: "Global Layout Score", "Final score". */
const KEY_WORDS = String.raw`identified[\s_]*object|object|(?:[a-z]+\s+){0,3}score|reason(?:ing)?|explanation|justification`;
const FIELD_KEY = new RegExp(String.raw`^(${KEY_WORDS})\s*(?:[:：=]|-(?!\d|\.\d)|–|—)?\s*`, 'iu');
const NUMBER = /^[[(]?\s*([+\-−]?(?:\d+(?:\.\d*)?|\.\d+))(?![\d.])(?!\s*%)(?:\s*\/\s*(\d+(?:\.\d*)?))?/u;
/** Where a second field starts on the same line ("Object: a circle; Score: 0.5"). */
const INLINE_SPLIT = /\s*[,;|]\s*(?=(?:identified[\s_]*object|object|(?:[a-z]+\s+){0,3}score|reason)\s*[:：=])/giu;

/** The line without markdown emphasis or list decoration. */
function plainLine(line: string): string {
  return line
    .replace(/\*\*|__|`/g, '')
    .replace(LINE_PREFIX, '')
    .trim();
}

function fieldOf(key: string): Field {
  const k = key.toLowerCase();
  if (k.endsWith('score')) return 'score';
  return k.includes('object') ? 'object' : 'reason';
}

/** The fields on one (plain) line; empty when it does not start with a field key. */
function fieldsOnLine(line: string): FieldHit[] {
  const hits: FieldHit[] = [];
  for (const part of line.split(INLINE_SPLIT)) {
    const key = FIELD_KEY.exec(part);
    if (key === null) {
      if (hits.length === 0) return [];
      hits[hits.length - 1].value += `, ${part}`; // a comma inside a value, not a new field
      continue;
    }
    hits.push({ field: fieldOf(key[1]), value: part.slice(key[0].length).trim() });
  }
  return hits;
}

/** A written score as a number, or null when it is not a plain decimal (or x/1). */
export function readRobustScore(value: string): number | null {
  const match = NUMBER.exec(value.replace(/^[*_\s]+/, ''));
  if (match === null) return null;
  if (match[2] !== undefined && Number(match[2]) !== 1) return null; // 9/10 or 4/5: a different scale, not guessed
  const score = Number(match[1].replace('−', '-'));
  return Number.isFinite(score) ? score : null;
}

/** Fill one field of a region; returns whether the reason may continue on the next line. */
function fillRegion(region: ParsedRegion, hit: FieldHit, options: ScoreOptions): boolean {
  if (hit.field === 'object') {
    if (region.identifiedObject === undefined) region.identifiedObject = hit.value;
    return false;
  }
  if (hit.field === 'score') {
    const score = readRobustScore(hit.value);
    if (score !== null && region.score === undefined) Object.assign(region, scoreAs(score, options));
    return false;
  }
  region.reason = region.reason === undefined ? hit.value : `${region.reason}\n${hit.value}`;
  return true;
}

/** Region answers by Region ID (robust mode); an empty map means nothing parsed. */
export function parseRegionsRobust(text: string, options: ScoreOptions = {}): Map<number, ParsedRegion> {
  const regions = new Map<number, ParsedRegion>();
  let current: ParsedRegion | null = null;
  let reasonOpen = false;
  for (const rawLine of answerText(text).split(/\r?\n/)) {
    if (rawLine.trim() === '' || RULE.test(rawLine)) {
      reasonOpen = false;
      continue;
    }
    let line = plainLine(rawLine);
    const header = REGION_HEADER.exec(line);
    if (header !== null) {
      current = { regionId: Number(header[1]) };
      regions.set(current.regionId, current);
      line = line.slice(header[0].length).trim();
      reasonOpen = false;
      if (line === '') continue;
    }
    if (current === null) continue;
    const hits = fieldsOnLine(line);
    if (hits.length === 0) {
      if (reasonOpen && current.reason !== undefined) current.reason = `${current.reason}\n${line}`;
      continue;
    }
    for (const hit of hits) reasonOpen = fillRegion(current, hit, options);
  }
  for (const region of regions.values()) if (region.reason !== undefined) region.reason = region.reason.trim();
  return regions;
}

/** Global layout answer (robust mode): the first score line; the reason is the first `Reason` field after it
 *  (with its continuation lines), else the text after the score. Null when no line carries a readable score. */
export function parseGlobalLayoutRobust(text: string, options: ScoreOptions = {}): ParsedGlobal | null {
  const lines = answerText(text).split(/\r?\n/).map(plainLine);
  const hits = lines.flatMap((line, at) => fieldsOnLine(line).map((hit) => ({ ...hit, at })));
  const first = hits.findIndex((h) => h.field === 'score' && readRobustScore(h.value) !== null);
  if (first < 0) return null;
  const score = readRobustScore(hits[first].value) as number;
  const reasonHit = hits.slice(first + 1).find((h) => h.field === 'reason');
  const reason =
    reasonHit !== undefined
      ? [reasonHit.value, ...continuation(lines, reasonHit.at + 1)].join('\n').trim()
      : restAfterScore(hits[first].value, lines.slice(hits[first].at + 1));
  return { ...scoreAs(score, options), reason };
}

/** Lines that continue a reason: up to a blank line, a rule or another field. */
function continuation(lines: string[], from: number): string[] {
  const out: string[] = [];
  const continues = (line: string): boolean => line !== '' && !RULE.test(line) && fieldsOnLine(line).length === 0;
  for (let j = from; j < lines.length && continues(lines[j]); j++) out.push(lines[j]);
  return out;
}

/** Without a Reason field, the released parser keeps the text after the score: do the same. */
function restAfterScore(scoreValue: string, following: string[]): string {
  const number = NUMBER.exec(scoreValue.replace(/^[*_\s]+/, ''));
  const tail = number === null ? '' : scoreValue.replace(/^[*_\s]+/, '').slice(number[0].length);
  return [tail, ...following].join('\n').trim();
}
