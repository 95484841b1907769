// `srum parse-judge`: parse judge replies offline, in the released (official) or robust mode.
// Input: JSONL with one {"text": ...} object a line. Output: a JSON array, one entry per non-empty input line, in
// order: for --kind regions an object keyed by Region ID with identified_object, score, reason (null where the
// reply had none; {} when nothing parsed); for --kind global {global_layout_score, reason}, or {} when nothing
// parsed. A line that is not a {"text": string} object is an error naming the line (nothing is written).
import * as fs from 'node:fs';
import { writeJsonAtomic } from '../io';
import { PARSE_MODES, globalJson, globalParser, regionParser, regionsJson } from '../judge/parseModes';
import { choiceOption, Command, requireString } from './command';

const KINDS = ['regions', 'global'] as const;

/** The reply texts of a {"text": ...} JSONL, one per non-empty line. */
export function readReplyTexts(content: string, file: string): string[] {
  const texts: string[] = [];
  content.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
    const text = (value as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new Error(`${file}:${i + 1}: expected {"text": "<the judge's reply>"}, got ${raw.slice(0, 80)}`);
    texts.push(text);
  });
  return texts;
}

export const parseJudgeCommand: Command = {
  name: 'parse-judge',
  summary: 'parse judge replies ({"text": ...} JSONL) into region or global scores, released (official) or robust',
  options: {
    kind: { type: 'string', help: `what the replies answer: ${KINDS.join(', ')}` },
    mode: { type: 'string', help: `parser: ${PARSE_MODES.join(', ')} (official = the released regexes, bit-exact)`, default: 'robust' },
    jsonl: { type: 'string', help: 'input JSONL, one {"text": ...} a line' },
    out: { type: 'string', help: 'output JSON array (written atomically)' },
    clamp: { type: 'boolean', help: 'clamp scores to [-1, 1] (the released parsers keep them as written)', default: false },
  },
  async run(values) {
    const kind = choiceOption(values, 'kind', KINDS);
    const mode = choiceOption(values, 'mode', PARSE_MODES);
    const file = requireString(values, 'jsonl');
    const out = requireString(values, 'out');
    if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
    const texts = readReplyTexts(fs.readFileSync(file, 'utf8'), file);
    const options = { mode, clamp: values.clamp === true };
    let summary: string;
    if (kind === 'regions') {
      const parse = regionParser(options);
      const parsed = texts.map((text) => regionsJson(parse(text)));
      const regions = parsed.flatMap((p) => Object.values(p));
      writeJsonAtomic(out, parsed);
      summary =
        `${regions.length} regions (${regions.filter((r) => r.score !== null).length} with a score); ` +
        `${parsed.filter((p) => Object.keys(p).length === 0).length} replies with nothing parseable`;
    } else {
      const parsed = texts.map((text) => globalJson(globalParser(options)(text)));
      writeJsonAtomic(out, parsed);
      const scored = parsed.filter((p) => 'global_layout_score' in p).length;
      summary = `${scored} global scores; ${parsed.length - scored} replies with nothing parseable`;
    }
    console.log(`parsed ${texts.length} ${kind} replies (${mode}${options.clamp ? ', clamped' : ''}) into ${out}: ${summary}`);
  },
};
