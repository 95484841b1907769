// `srum reward-map`: reward maps for every record of a rewards JSONL, at image resolution. Both forms are read:
// the released loader's records (the global score an entry {"object": "global_layout_reward", "score": g} inside
// vlm_rewards) and judge records (a top-level global_layout_reward); see lib/reward/sources.ts. Each region goes
// through the released loader's rule on its own: a bad box is skipped and the rest kept, a missing score counts
// as 0, a missing global entry means g = 0.
// Output: a JSON array with one entry per non-empty input line, in order, each H rows of W numbers; null (with a
// warning on stderr naming the line) only where the line is not a record or the released loader would drop the
// whole sample (a non-object entry, a non-numeric score on a valid box, an infinite coordinate).
// Numbers are written as the shortest decimal that reads back to the same float32.
import * as fs from 'node:fs';
import { writeJsonAtomic } from '../io';
import { DroppedRecordError } from '../reward/loaderRules';
import { REWARD_MODES, mapRows, rewardMap } from '../reward/rewardMap';
import { readRewardSources } from '../reward/sources';
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
  summary: 'fuse each record of a rewards JSONL (loader or judge form) into a dense reward map (JSON: records x H rows x W numbers)',
  options: {
    mode: { type: 'string', help: `reward-map mode: ${REWARD_MODES.join(', ')}`, default: 'official' },
    jsonl: { type: 'string', help: 'rewards JSONL (released loader records or judge records)' },
    width: { type: 'string', help: 'image width in pixels' },
    height: { type: 'string', help: 'image height in pixels' },
    out: { type: 'string', help: 'output JSON file (written atomically)' },
    clamp: { type: 'boolean', help: 'clamp region scores and g to [-1, 1] (the released loader uses them as written)', default: false },
  },
  async run(values) {
    requireString(values, 'mode');
    const mode = choiceOption(values, 'mode', REWARD_MODES);
    const width = intOption(values, 'width');
    const height = intOption(values, 'height');
    const file = requireString(values, 'jsonl');
    const out = requireString(values, 'out');
    if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
    const maps: Array<number[][] | null> = [];
    for (const entry of readRewardSources(fs.readFileSync(file, 'utf8'))) {
      if ('problem' in entry) {
        console.error(`${file}:${entry.line}: skipped: ${entry.problem}`);
        maps.push(null);
        continue;
      }
      try {
        const map = rewardMap(entry.source, { mode, width, height, clampScores: values.clamp === true });
        maps.push(mapRows(map, width).map((row) => row.map(shortestFloat32)));
      } catch (error) {
        if (!(error instanceof DroppedRecordError)) throw error;
        console.error(`${file}:${entry.line}: dropped: ${error.message}`);
        maps.push(null);
      }
    }
    writeJsonAtomic(out, maps);
    const dropped = maps.filter((m) => m === null).length;
    const nulls = dropped > 0 ? `; ${dropped} null (see warnings)` : '';
    console.log(`wrote ${maps.length} ${mode} reward maps (${width} x ${height}) to ${out}${nulls}`);
  },
};
