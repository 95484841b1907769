// Parser corpus measurement (issue 36, item 3): a seeded corpus of judge replies in real VLM styles
// (lib/judge/replyCorpus.ts) goes through `srum parse-judge` in both modes and through a Python restatement of the
// released parsers (released_parsers.py, Python's own `re`). Reports regions written, regions the official and
// robust modes keep with a score and with the right score, global replies parsed, and whether official mode
// agrees line for line with the Python restatement.
//   npx ts-node --transpile-only scripts/experiments/parser-corpus.ts --seed 36 --replies 1200 --globals 1000 \
//     --json figures/results/parser-corpus.json
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { parseJudgeCommand } from '../../lib/cli/parse-judge';
import { writeJsonAtomic } from '../../lib/io';
import type { RegionJson } from '../../lib/judge/parseModes';
import { globalCorpus, isReleasedStyle, regionCorpus, type WrittenRegion } from '../../lib/judge/replyCorpus';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '36' },
    replies: { type: 'string', default: '1200' },
    globals: { type: 'string', default: '1000' },
    json: { type: 'string' },
  },
});
const seed = Number(values.seed);
const regionReplies = regionCorpus(seed, Number(values.replies));
const globalReplies = globalCorpus(seed + 1, Number(values.globals));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parser-corpus-'));
const toJsonl = (texts: string[]): string => texts.map((text) => JSON.stringify({ text }) + '\n').join('');
fs.writeFileSync(path.join(dir, 'regions.jsonl'), toJsonl(regionReplies.map((r) => r.text)));
fs.writeFileSync(path.join(dir, 'global.jsonl'), toJsonl(globalReplies.map((r) => r.text)));

type GlobalJson = { global_layout_score?: number; reason?: string };

async function cli(kind: 'regions' | 'global', mode: 'official' | 'robust'): Promise<unknown[]> {
  const out = path.join(dir, `${kind}-${mode}.json`);
  await parseJudgeCommand.run({ kind, mode, jsonl: path.join(dir, `${kind}.jsonl`), out, clamp: false });
  return JSON.parse(fs.readFileSync(out, 'utf8')) as unknown[];
}

function python(kind: 'regions' | 'global'): unknown[] {
  const out = path.join(dir, `${kind}-python.json`);
  execFileSync('python3', [path.join(__dirname, 'released_parsers.py'), kind, path.join(dir, `${kind}.jsonl`), out]);
  return JSON.parse(fs.readFileSync(out, 'utf8')) as unknown[];
}

/** Written regions kept with a score, and with the written score exactly. */
function tally(parsed: unknown[], truths: WrittenRegion[][]): { kept: number; rightScore: number; rightAll: number } {
  const t = { kept: 0, rightScore: 0, rightAll: 0 };
  truths.forEach((regions, i) => {
    const byId = parsed[i] as Record<string, RegionJson>;
    for (const truth of regions) {
      const got = byId[String(truth.regionId)];
      if (got === undefined || got.score === null) continue;
      t.kept += 1;
      if (got.score !== truth.score) continue;
      t.rightScore += 1;
      if (got.identified_object === truth.identifiedObject && got.reason === truth.reason) t.rightAll += 1;
    }
  });
  return t;
}

async function main(): Promise<void> {
  const truths = regionReplies.map((r) => r.regions);
  const written = truths.reduce((n, r) => n + r.length, 0);
  const [official, robust, py] = [await cli('regions', 'official'), await cli('regions', 'robust'), python('regions')];
  const [gOfficial, gRobust, gPy] = [await cli('global', 'official'), await cli('global', 'robust'), python('global')];
  const sameLines = (a: unknown[], b: unknown[]): number => a.filter((x, i) => isDeepStrictEqual(x, b[i])).length;
  const globalTally = (parsed: unknown[]): { parsed: number; rightScore: number } => ({
    parsed: parsed.filter((p) => (p as GlobalJson).global_layout_score !== undefined).length,
    rightScore: parsed.filter((p, i) => (p as GlobalJson).global_layout_score === globalReplies[i].score).length,
  });
  const result = {
    command:
      'npx ts-node --transpile-only scripts/experiments/parser-corpus.ts' +
      ` --seed ${seed} --replies ${values.replies} --globals ${values.globals}` +
      (values.json ? ` --json ${values.json}` : ''),
    corpus: {
      seed,
      region_replies: regionReplies.length,
      released_style_replies: regionReplies.filter((r) => isReleasedStyle(r.style)).length,
      regions_written: written,
      global_replies: globalReplies.length,
    },
    regions: { official: tally(official, truths), robust: tally(robust, truths) },
    global: { official: globalTally(gOfficial), robust: globalTally(gRobust) },
    official_equals_python_restatement: {
      regions_lines: sameLines(official, py),
      global_lines: sameLines(gOfficial, gPy),
      of: [official.length, gOfficial.length],
    },
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.json) writeJsonAtomic(values.json, result);
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
