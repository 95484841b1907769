// Reward-map interop measurement (issue 36, item 1): a seeded corpus of released-shape records
// (lib/reward/recordCorpus.ts: in-list global entries, malformed boxes, missing scores, some judge records) goes
// through `srum reward-map --mode official` and through a numpy restatement of the released loader
// (released_loader.py). Reports how many records each maps, whether they null the same records, and the largest
// absolute difference between the maps.
//   npx ts-node --transpile-only scripts/experiments/reward-map-interop.ts --seed 36 --count 320 --width 64 --height 48 \
//     --json figures/results/reward-map-interop.json
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { rewardMapCommand } from '../../lib/cli/rewardMap';
import { writeJsonAtomic } from '../../lib/io';
import { recordCorpus } from '../../lib/reward/recordCorpus';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '36' },
    count: { type: 'string', default: '320' },
    width: { type: 'string', default: '64' },
    height: { type: 'string', default: '48' },
    json: { type: 'string' },
  },
});
const [seed, count, width, height] = [values.seed, values.count, values.width, values.height].map(Number);

async function main(): Promise<void> {
  const records = recordCorpus({ seed, count, width, height });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reward-map-interop-'));
  const jsonl = path.join(dir, 'records.jsonl');
  fs.writeFileSync(jsonl, records.map((r) => JSON.stringify(r) + '\n').join(''));
  const cliOut = path.join(dir, 'cli.json');
  const pyOut = path.join(dir, 'python.json');
  const error = console.error;
  let warnings = 0;
  console.error = () => void (warnings += 1);
  try {
    await rewardMapCommand.run({ mode: 'official', jsonl, width: String(width), height: String(height), out: cliOut, clamp: false });
  } finally {
    console.error = error;
  }
  execFileSync('python3', [path.join(__dirname, 'released_loader.py'), jsonl, String(width), String(height), pyOut]);
  const cli = JSON.parse(fs.readFileSync(cliOut, 'utf8')) as Array<number[][] | null>;
  const py = JSON.parse(fs.readFileSync(pyOut, 'utf8')) as Array<number[][] | null>;
  let maxAbsDiff = 0;
  let sameNulls = 0;
  cli.forEach((map, i) => {
    if ((map === null) === (py[i] === null)) sameNulls += 1;
    if (map === null || py[i] === null) return;
    map.forEach((row, y) => row.forEach((v, x) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - (py[i] as number[][])[y][x])))));
  });
  const entries = records.flatMap((r) => r.vlm_rewards as Array<Record<string, unknown>>);
  const result = {
    command:
      'npx ts-node --transpile-only scripts/experiments/reward-map-interop.ts' +
      ` --seed ${seed} --count ${count} --width ${width} --height ${height}` +
      (values.json ? ` --json ${values.json}` : ''),
    records: records.length,
    judge_form_records: records.filter((r) => 'global_layout_reward' in r).length,
    entries: entries.length,
    in_list_global_entries: entries.filter((e) => e.object === 'global_layout_reward').length,
    regions_without_score: entries.filter((e) => e.object !== 'global_layout_reward' && !('score' in e)).length,
    cli_maps: cli.filter((m) => m !== null).length,
    python_maps: py.filter((m) => m !== null).length,
    cli_warnings: warnings,
    same_null_pattern: sameNulls,
    max_abs_diff: maxAbsDiff,
    within_1e5: maxAbsDiff <= 1e-5 && sameNulls === records.length && cli.length === records.length,
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.json) writeJsonAtomic(values.json, result);
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
