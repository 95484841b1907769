// Control, not a method: the ceiling of any judge's choice among a run's candidates. Copies a finished `srum run`'s
// candidates and base evaluation into a new run directory with only the records whose image the *independent
// evaluator* passes, so `srum run --method sft` there trains on exactly what a perfect judge would keep. The
// evaluator chooses here, so this is never a SRUM result (docs/srum-notes.md, "Even a perfect judge would not carry it").
// Regenerate:
//   npx ts-node --transpile-only scripts/experiments/oracle-filter.ts --from runs/val-lg4 --out runs/val-lg4-oracle-sft
//   npx srum run --method sft --n-candidates K --out runs/val-lg4-oracle-sft ...   (K = the count printed; same options as --from)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateImage } from '../../lib/eval/evaluate';
import { readJsonl, writeFileAtomic } from '../../lib/io';
import { readPng } from '../../lib/world/png';
import { runScript } from '../lib/run-script';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { from: { type: 'string' }, out: { type: 'string' } }, strict: true });
  if (values.from === undefined || values.out === undefined) throw new Error('usage: oracle-filter.ts --from RUN --out DIR');
  if (fs.existsSync(path.join(values.out, 'rewards.jsonl'))) throw new Error(`${values.out} already holds rewards.jsonl`);
  const records = readJsonl<{ image_file: string; prompt: string }>(path.join(values.from, 'rewards.jsonl'));
  const kept = records.filter((r) => evaluateImage(readPng(r.image_file), r.prompt).passed);
  fs.mkdirSync(values.out, { recursive: true });
  for (const name of ['candidates', 'eval-base.json'])
    fs.cpSync(path.join(values.from, name), path.join(values.out, name), { recursive: true });
  writeFileAtomic(path.join(values.out, 'rewards.jsonl'), kept.map((r) => JSON.stringify(r) + '\n').join(''));
  console.log(
    `${kept.length} of ${records.length} candidates pass; now: npx srum run --method sft --n-candidates ${kept.length} --out ${values.out} (with the options of ${values.from})`,
  );
}

runScript(main);
