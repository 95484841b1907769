// `srum reward-map`: reward maps for every record of a rewards JSONL (judge or training form), at image resolution.
// Output: a JSON array with one entry per non-empty input line, each H rows of W numbers; null (with a warning
// on stderr naming the line) where the line is malformed or the released loader would drop the record.
// Judge records are formatted for training first, without the released zero-global filter (every record
// gets its map). Numbers are written as the shortest decimal that reads back to the same float32.
import * as fs from 'node:fs';
import { writeJsonAtomic } from '../io';
import { formatForTraining, parseRewardJsonl } from '../judge/records';
import { DroppedRecordError } from '../reward/loaderRules';
import { REWARD_MODES, mapRows, rewardMap } from '../reward/rewardMap';
import { choiceOption, Command, intOption, requireString } from './command';

/** The shortest decimal that rounds to the same float32 (0.975 rather than 0.9750000238418579). */
export function shortestFloat32(value: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

export const rewardMapCommand: Command = {
  name: 'reward-map',
  summary: 'fuse each record of a rewards JSONL into a dense reward map (JSON: records x H rows x W numbers)',
  options: {
    mode: { type: 'string', help: `reward-map mode: ${REWARD_MODES.join(', ')}`, default: 'official' },
    jsonl: { type: 'string', help: 'rewards JSONL (judge records or training records)' },
    width: { type: 'string', help: 'image width in pixels' },
    height: { type: 'string', help: 'image height in pixels' },
    out: { type: 'string', help: 'output JSON file (written atomically)' },
  },
  async run(values) {
    requireString(values, 'mode');
    const mode = choiceOption(values, 'mode', REWARD_MODES);
    const width = intOption(values, 'width');
    const height = intOption(values, 'height');
    const file = requireString(values, 'jsonl');
    const out = requireString(values, 'out');
    if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
    const read = parseRewardJsonl(fs.readFileSync(file, 'utf8'));
    const byLine = new Map<number, number[][] | null>();
    for (const { line, message } of read.errors) {
      console.error(`${file}:${line}: skipped: ${message}`);
      byLine.set(line, null);
    }
    for (const entry of read.entries) {
      let source = entry.record;
      if (entry.kind === 'judge') {
        const formatted = formatForTraining(entry.record, { dropZeroGlobal: false });
        source = 'record' in formatted ? formatted.record : { ...entry.record, bad_image_file: entry.record.image_file, vlm_rewards: [] };
      }
      try {
        const rows = mapRows(rewardMap(source, { mode, width, height }), width).map((row) => row.map(shortestFloat32));
        byLine.set(entry.line, rows);
      } catch (error) {
        if (!(error instanceof DroppedRecordError)) throw error;
        console.error(`${file}:${entry.line}: dropped: ${error.message}`);
        byLine.set(entry.line, null);
      }
    }
    const maps = [...byLine.entries()].sort((a, b) => a[0] - b[0]).map(([, rows]) => rows);
    writeJsonAtomic(out, maps);
    const dropped = maps.filter((m) => m === null).length;
    console.log(`wrote ${maps.length} ${mode} reward maps (${width} x ${height}) to ${out}${dropped > 0 ? `; ${dropped} null (see warnings)` : ''}`);
  },
};
