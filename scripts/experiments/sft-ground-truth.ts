// Control for SRUM's post-training: the same prompts as a finished `srum run`, with every candidate image replaced
// by a ground-truth render of its prompt (a world scene laid out for it). SFT on these separates what fine-tuning
// on a narrow prompt set does by itself from what imitating the model's own failures adds.
// Regenerate:
//   npx ts-node --transpile-only scripts/experiments/sft-ground-truth.ts --from runs/val/srum-s0 --out runs/val/sft-gt-s0 [--seed 123]
//   npx srum run --method sft --seed 0 --checkpoint CK --eval-split val --out runs/val/sft-gt-s0   (same options as --from)
// The base evaluation is copied from --from, so base and SFT scores are on the same prompts and noise.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readJsonl, writeFileAtomic } from '../../lib/io';
import { makeRng } from '../../lib/rng';
import { parsePrompt } from '../../lib/world/grammar';
import { sceneFor } from '../../lib/world/layout';
import { writePng } from '../../lib/world/png';
import { renderScene } from '../../lib/world/render';
import { runScript } from '../lib/run-script';

/** The image paths a reward record names (the released schema's `image_file`, plus the x_bad / x_good copies). */
const IMAGE_KEYS = ['image_file', 'bad_image_file', 'good_image_file'];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { from: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string', default: '0' } }, strict: true });
  if (values.from === undefined || values.out === undefined) throw new Error('usage: sft-ground-truth.ts --from RUN_DIR --out DIR [--seed N]');
  const { from, out } = values;
  for (const name of ['rewards.jsonl', 'eval-base.json', path.join('candidates', 'candidates.jsonl')]) {
    if (!fs.existsSync(path.join(from, name))) throw new Error(`${from} has no ${name}: point --from at a run whose candidates, judge and base evaluation are done`);
  }
  if (fs.existsSync(path.join(out, 'rewards.jsonl'))) throw new Error(`${out} already holds records; choose a new --out`);
  fs.mkdirSync(path.join(out, 'candidates'), { recursive: true });
  fs.copyFileSync(path.join(from, 'eval-base.json'), path.join(out, 'eval-base.json'));
  fs.copyFileSync(path.join(from, 'candidates', 'candidates.jsonl'), path.join(out, 'candidates', 'candidates.jsonl'));
  const rng = makeRng(Number(values.seed)); // seed of the scene layouts
  const records = readJsonl<Record<string, unknown> & { image_file: string; prompt: string }>(path.join(from, 'rewards.jsonl'));
  for (const record of records) {
    const file = path.resolve(out, 'candidates', path.basename(record.image_file));
    writePng(file, renderScene(sceneFor(parsePrompt(record.prompt), rng)));
    for (const key of IMAGE_KEYS) if (typeof record[key] === 'string') record[key] = file;
  }
  // The records file last: `srum run` treats its presence as "judge done", so an interrupted script leaves no half-state.
  writeFileAtomic(path.join(out, 'rewards.jsonl'), `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  console.log(`wrote ${records.length} ground-truth candidates to ${out}; now: npx srum run --method sft --out ${out} (with the options of ${from})`);
}

runScript(main);
