// Control for SRUM's post-training: the same prompts as a finished `srum run`, with every candidate image replaced
// by a ground-truth render of its prompt (a world scene laid out for it). SFT on these separates what fine-tuning
// on a narrow prompt set does by itself from what imitating the model's own failures adds.
// Regenerate:
//   npx ts-node --transpile-only scripts/experiments/sft-ground-truth.ts --from runs/val/srum-s0 --out runs/val/sft-gt-s0 [--seed 123]
//   npx srum run --method sft --seed 0 --checkpoint CK --eval-split val --out runs/val/sft-gt-s0   (same options as --from)
// The base evaluation is copied from --from, so base and SFT scores are on the same prompts and noise. Think-mode
// candidates get the ground-truth scene's plan (on the plan grid of --checkpoint, default data/base) in place of the
// model's, so each image is trained on the layout it shows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readJsonl, writeFileAtomic } from '../../lib/io';
import { makeRng } from '../../lib/rng';
import { parsePrompt } from '../../lib/world/grammar';
import { sceneIfFits } from '../../lib/world/layout';
import { writePng } from '../../lib/world/png';
import { renderScene } from '../../lib/world/render';
import { readManifest } from '../../lib/model/checkpoint';
import { CANDIDATES_JSONL, type CandidateLine } from '../../lib/run/candidates';
import { planTargets } from '../../lib/train/plan';
import { runScript } from '../lib/run-script';

/** The image paths a reward record names (the released schema's `image_file`, plus the x_bad / x_good copies). */
const IMAGE_KEYS = ['image_file', 'bad_image_file', 'good_image_file'];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string', default: '0' },
      checkpoint: { type: 'string', default: 'data/base' },
    },
    strict: true,
  });
  if (values.from === undefined || values.out === undefined)
    throw new Error('usage: sft-ground-truth.ts --from RUN_DIR --out DIR [--seed N]');
  const { from, out } = values;
  for (const name of ['rewards.jsonl', 'eval-base.json', path.join('candidates', 'candidates.jsonl')]) {
    if (!fs.existsSync(path.join(from, name)))
      throw new Error(`${from} has no ${name}: point --from at a run whose candidates, judge and base evaluation are done`);
  }
  if (fs.existsSync(path.join(out, 'rewards.jsonl'))) throw new Error(`${out} already holds records; choose a new --out`);
  fs.mkdirSync(path.join(out, 'candidates'), { recursive: true });
  fs.copyFileSync(path.join(from, 'eval-base.json'), path.join(out, 'eval-base.json'));
  const planGrid = readManifest(values.checkpoint).model_config.planGrid;
  const lines = readJsonl<CandidateLine>(path.join(from, 'candidates', CANDIDATES_JSONL));
  const byImage = new Map(lines.map((line) => [line.image_file, line]));
  const rng = makeRng(Number(values.seed)); // seed of the scene layouts
  const records = readJsonl<Record<string, unknown> & { image_file: string; prompt: string }>(path.join(from, 'rewards.jsonl'));
  const kept: typeof records = [];
  for (const record of records) {
    const file = path.resolve(out, 'candidates', path.basename(record.image_file));
    // A few tight prompts have no layout (layout.ts): their records are dropped, and the script says how many.
    const scene = sceneIfFits(parsePrompt(record.prompt), rng);
    if (scene === undefined) continue;
    kept.push(record);
    writePng(file, renderScene(scene));
    const line = byImage.get(path.basename(record.image_file));
    if (line?.plan !== undefined) line.plan = Array.from(planTargets(scene, planGrid));
    for (const key of IMAGE_KEYS) if (typeof record[key] === 'string') record[key] = file;
  }
  writeFileAtomic(path.join(out, 'candidates', CANDIDATES_JSONL), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  // The records file last: `srum run` treats its presence as "judge done", so an interrupted script leaves no half-state.
  writeFileAtomic(path.join(out, 'rewards.jsonl'), `${kept.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const dropped = records.length - kept.length;
  const nFlag = dropped > 0 ? ` --n-candidates ${kept.length}` : '';
  console.log(
    `wrote ${kept.length} ground-truth candidates to ${out}${dropped > 0 ? ` (${dropped} prompts without a layout dropped)` : ''}; now: npx srum run --method sft${nFlag} --out ${out} (with the options of ${from})`,
  );
}

runScript(main);
