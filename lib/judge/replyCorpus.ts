// A seeded corpus of judge replies written the ways real VLMs answer the released prompts, with the truth they
// encode (every region written, with its ID, object, score and reason; the global score), to measure parsers.
// Each reply draws its style independently along five axes; about one in five is the released format exactly
// (the styles the released regexes were written for) so that both parsers have something to keep.
//   header     `Region ID: 2` | `**Region ID: 2**` | `### Region ID 2` | `## Region ID: 2` | `Region 2:`
//   keys       `Score: x` | `**Score**: x` | `**Score:** x` | `- Score: x` | `Score : x`
//   numbers    `0.5` / `-0.35` | `.5` / `-.35` | `+0.5` for positives
//   separator  blank line | one newline | `---` | blank line, `---`, blank line
//   framing    a preamble sentence, a closing summary, a `<think>` block: each or none
// Nothing here is random at import time: corpus(seed, n) is a pure function of its arguments.
import { makeRng, Rng } from '../rng';
import type { ParsedGlobal, ParsedRegion } from './parse';

export const HEADER_STYLES = ['colon', 'bold', 'heading', 'heading-colon', 'short'] as const;
export const KEY_STYLES = ['plain', 'bold-key', 'bold-colon', 'bullet', 'spaced'] as const;
export const NUMBER_STYLES = ['plain', 'leading-dot', 'plus'] as const;
export const SEPARATORS = ['blank', 'newline', 'rule', 'blank-rule'] as const;

export interface ReplyStyle {
  header: (typeof HEADER_STYLES)[number];
  keys: (typeof KEY_STYLES)[number];
  numbers: (typeof NUMBER_STYLES)[number];
  separator: (typeof SEPARATORS)[number];
  preamble: boolean;
  closing: boolean;
  think: boolean;
}

export const RELEASED_STYLE: ReplyStyle = {
  header: 'colon',
  keys: 'plain',
  numbers: 'plain',
  separator: 'blank',
  preamble: false,
  closing: false,
  think: false,
};

export interface WrittenRegion {
  regionId: number;
  identifiedObject: string;
  score: number;
  reason: string;
}

export interface RegionReply {
  text: string;
  style: ReplyStyle;
  regions: WrittenRegion[];
}

export interface GlobalReply {
  text: string;
  style: ReplyStyle;
  score: number;
  reason: string;
}

const OBJECTS = [
  'A red circle.',
  'A blue square',
  'the green triangle',
  'Background (grey).',
  'a small striped purple circle',
  'An orange square.',
];
const REASONS = [
  'The colour matches the prompt.',
  'Edges are clean and the shape is correct',
  'Wrong colour: the prompt asks for blue.',
  'The object is distorted;\nits corners are cut.',
  'Partially hidden by another object.',
  'Correct shape but the texture is missing.',
];
const PREAMBLES = [
  'Sure! Here is my region-by-region analysis.',
  'Below is the evaluation of each region:',
  'Let me assess each region in turn.',
];
const CLOSINGS = ['Overall, the image follows most of the prompt.', 'In summary, the layout is mostly correct but one object is off.'];

/** A score on the 0.05 grid in [-1, 1] (what judges write), never -0. */
export const drawScore = (rng: Rng): number => Math.round(rng.int(-20, 20) * 5) / 100 + 0;

function writeNumber(score: number, style: ReplyStyle['numbers'], rng: Rng): string {
  const plain = rng.next() < 0.3 && Number.isInteger(score) ? score.toFixed(1) : String(score);
  if (style === 'leading-dot' && Math.abs(score) < 1 && score !== 0) return plain.replace(/^(-?)0\./, '$1.');
  if (style === 'plus' && score > 0) return `+${plain}`;
  return plain;
}

function writeKey(key: string, value: string, style: ReplyStyle['keys']): string {
  switch (style) {
    case 'plain':
      return `${key}: ${value}`;
    case 'bold-key':
      return `**${key}**: ${value}`;
    case 'bold-colon':
      return `**${key}:** ${value}`;
    case 'bullet':
      return `- ${key}: ${value}`;
    case 'spaced':
      return `${key} : ${value}`;
  }
}

function writeHeader(id: number, style: ReplyStyle['header']): string {
  switch (style) {
    case 'colon':
      return `Region ID: ${id}`;
    case 'bold':
      return `**Region ID: ${id}**`;
    case 'heading':
      return `### Region ID ${id}`;
    case 'heading-colon':
      return `## Region ID: ${id}`;
    case 'short':
      return `Region ${id}:`;
  }
}

const SEPARATOR_TEXT: Record<ReplyStyle['separator'], string> = {
  blank: '\n\n',
  newline: '\n',
  rule: '\n---\n',
  'blank-rule': '\n\n---\n\n',
};

export const isReleasedStyle = (style: ReplyStyle): boolean =>
  (Object.keys(RELEASED_STYLE) as Array<keyof ReplyStyle>).every((k) => style[k] === RELEASED_STYLE[k]);

export function drawStyle(rng: Rng): ReplyStyle {
  if (rng.next() < 0.2) return { ...RELEASED_STYLE };
  return {
    header: rng.pick(HEADER_STYLES),
    keys: rng.pick(KEY_STYLES),
    numbers: rng.pick(NUMBER_STYLES),
    separator: rng.pick(SEPARATORS),
    preamble: rng.next() < 0.4,
    closing: rng.next() < 0.3,
    think: rng.next() < 0.15,
  };
}

function frame(body: string, style: ReplyStyle, rng: Rng): string {
  const parts = [body];
  if (style.preamble) parts.unshift(rng.pick(PREAMBLES));
  if (style.closing) parts.push(rng.pick(CLOSINGS));
  const text = parts.join('\n\n');
  return style.think ? `<think>Region ID: 1 looks like Score: -1 at first.</think>\n${text}` : text;
}

/** A hybrid-region reply writing `regions` in `style`. */
export function writeRegionReply(regions: readonly WrittenRegion[], style: ReplyStyle, rng: Rng): string {
  const blocks = regions.map((r) =>
    [
      writeHeader(r.regionId, style.header),
      writeKey('Identified Object', r.identifiedObject, style.keys),
      writeKey('Score', writeNumber(r.score, style.numbers, rng), style.keys),
      writeKey('Reason', r.reason, style.keys),
    ].join('\n'),
  );
  return frame(blocks.join(SEPARATOR_TEXT[style.separator]), style, rng);
}

/** A global-layout reply writing `score` and `reason` in `style`. */
export function writeGlobalReply(score: number, reason: string, style: ReplyStyle, rng: Rng): string {
  const key = isReleasedStyle(style) || rng.next() < 0.6 ? 'Score' : 'Global Layout Score';
  const lines = [writeKey(key, writeNumber(score, style.numbers, rng), style.keys), writeKey('Reason', reason, style.keys)];
  return frame(lines.join('\n'), style, rng);
}

/** A random style (one in five the released format) and `count` regions with seeded objects, scores, reasons. */
export function drawRegions(rng: Rng, count: number): WrittenRegion[] {
  return Array.from({ length: count }, (_, i) => ({
    regionId: i + 1,
    identifiedObject: rng.pick(OBJECTS),
    score: drawScore(rng),
    reason: rng.pick(REASONS),
  }));
}

/** One hybrid-region reply with 1-5 regions (IDs 1..n in order). */
export function regionReply(rng: Rng): RegionReply {
  const style = drawStyle(rng);
  const regions = drawRegions(rng, rng.int(1, 5));
  return { text: writeRegionReply(regions, style, rng), style, regions };
}

/** One global-layout reply: a score line and a reason line, keyed `Score` or `Global Layout Score`. */
export function globalReply(rng: Rng): GlobalReply {
  const style = drawStyle(rng);
  const score = drawScore(rng);
  const reason = rng.pick(REASONS);
  return { text: writeGlobalReply(score, reason, style, rng), style, score, reason };
}

/** `count` region replies from `seed`. */
export function regionCorpus(seed: number, count: number): RegionReply[] {
  const rng = makeRng(seed);
  return Array.from({ length: count }, () => regionReply(rng));
}

/** `count` global replies from `seed`. */
export function globalCorpus(seed: number, count: number): GlobalReply[] {
  const rng = makeRng(seed);
  return Array.from({ length: count }, () => globalReply(rng));
}

/** What a region parser recovered from a corpus: regions written, regions kept with any score, with the right
 *  score (the written value exactly), with the right object too, and the right reason too; replies where
 *  nothing parsed. */
export interface RegionTally {
  replies: number;
  written: number;
  keptWithScore: number;
  rightScore: number;
  rightScoreAndObject: number;
  /** Right score, object and reason. */
  rightAll: number;
  /** Regions parsed with a score under an ID that was never written (should be 0). */
  invented: number;
  emptyReplies: number;
}

export function tallyRegions(corpus: readonly RegionReply[], parse: (text: string) => Map<number, ParsedRegion>): RegionTally {
  const t: RegionTally = {
    replies: corpus.length,
    written: 0,
    keptWithScore: 0,
    rightScore: 0,
    rightScoreAndObject: 0,
    rightAll: 0,
    invented: 0,
    emptyReplies: 0,
  };
  for (const reply of corpus) {
    const parsed = parse(reply.text);
    if (parsed.size === 0) t.emptyReplies += 1;
    const writtenIds = new Set(reply.regions.map((r) => r.regionId));
    for (const [id, region] of parsed) if (!writtenIds.has(id) && region.score !== undefined) t.invented += 1;
    for (const truth of reply.regions) {
      t.written += 1;
      const got = parsed.get(truth.regionId);
      if (got?.score === undefined) continue;
      t.keptWithScore += 1;
      if (got.score !== truth.score) continue;
      t.rightScore += 1;
      if (got.identifiedObject !== truth.identifiedObject) continue;
      t.rightScoreAndObject += 1;
      if (got.reason === truth.reason) t.rightAll += 1;
    }
  }
  return t;
}

export interface GlobalTally {
  replies: number;
  parsed: number;
  rightScore: number;
}

export function tallyGlobal(corpus: readonly GlobalReply[], parse: (text: string) => ParsedGlobal | null): GlobalTally {
  const t: GlobalTally = { replies: corpus.length, parsed: 0, rightScore: 0 };
  for (const reply of corpus) {
    const got = parse(reply.text);
    if (got === null) continue;
    t.parsed += 1;
    if (got.score === reply.score) t.rightScore += 1;
  }
  return t;
}
