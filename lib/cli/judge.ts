// `srum judge`: the model judges its own candidates. For every line of DIR/candidates.jsonl: propose regions
// (lib/regions/propose), self-verify them (lib/regions/verify), self-judge (lib/judge/self) and append one
// record to --out in the released TRAINING form (formatForTraining: the global entry inside vlm_rewards with
// object "global_layout_reward"), so `srum reward-map` and the training loader read it directly.
//   image_file / bad_image_file / good_image_file: the image's absolute path.
//   self_verification: every proposed box with what the model identified, kept or not, and why (extra field;
//   the loader ignores it).
// The released zero-global filter is off: a self-judged global score of exactly 0 is a judgment, not a failure.
// Resumable: images already in --out are skipped; a torn last line (killed mid-append) is cut off first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../backend/select';
import { appendJsonl, readJsonl, writeFileAtomic } from '../io';
import { formatForTraining, GLOBAL_OBJECT, type TrainingRecord } from '../judge/records';
import { selfJudge } from '../judge/self';
import { disposeModel } from '../model/params';
import { Progress } from '../progress';
import { proposeRegions } from '../regions/propose';
import { verifyRegions } from '../regions/verify';
import { parsePrompt } from '../world/grammar';
import { readPng } from '../world/png';
import type { Prompt } from '../world/types';
import { CANDIDATES_JSONL, loadCommandModel, type CandidateLine } from './candidates';
import { Command, requireString } from './command';
import { DEFAULT_CHECKPOINT } from './gap';

/** One line of the judge's output. */
export interface SelfJudgedLine extends TrainingRecord {
  self_verification: Array<{ bbox: number[]; area: number; identified: string; kept: boolean; reason: string }>;
}

/** Cut a torn last line (no trailing newline) so that appends start on a fresh line. */
function repairTail(file: string): void {
  if (!fs.existsSync(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  if (text === '' || text.endsWith('\n')) return;
  writeFileAtomic(file, text.slice(0, text.lastIndexOf('\n') + 1));
}

export const judgeCommand: Command = {
  name: 'judge',
  summary: 'self-judge candidate images (regions, self-verification, global + local scores) into a rewards JSONL',
  options: {
    images: { type: 'string', help: `candidates directory (holds ${CANDIDATES_JSONL})` },
    out: { type: 'string', help: 'rewards JSONL (appended; images already there are skipped)' },
    checkpoint: { type: 'string', help: 'checkpoint directory', default: DEFAULT_CHECKPOINT },
    preset: { type: 'string', help: 'use an untrained model of this preset instead of --checkpoint (smoke runs)' },
    seed: { type: 'string', help: 'seed of --preset weights', default: '0' },
    'require-color': { type: 'boolean', help: 'self-verification also requires the keyword colour', default: false },
    quiet: { type: 'boolean', help: 'no progress bar', default: false },
  },
  async run(values) {
    const dir = requireString(values, 'images');
    const out = requireString(values, 'out');
    const candidates = readJsonl<CandidateLine>(path.join(dir, CANDIDATES_JSONL));
    repairTail(out);
    const done = new Set(fs.existsSync(out) ? readJsonl<{ bad_image_file?: string }>(out).map((r) => r.bad_image_file) : []);
    const todo = candidates.filter((c) => !done.has(path.resolve(dir, c.image_file)));
    await initBackend();
    const { model, source } = loadCommandModel(values);
    const bar = new Progress({ label: 'judge', total: todo.length, unit: 'img', quiet: values.quiet === true });
    let globalSum = 0;
    let keptSum = 0;
    let judged = 0;
    for (const candidate of todo) {
      const imageFile = path.resolve(dir, candidate.image_file);
      let prompt: Prompt;
      try {
        prompt = parsePrompt(candidate.original_prompt);
      } catch (error) {
        console.error(`${imageFile}: skipped: ${(error as Error).message}`);
        bar.tick();
        continue;
      }
      const image = readPng(imageFile);
      const verified = verifyRegions(model, image, { prompt, proposals: proposeRegions(image), requireColor: values['require-color'] === true });
      const record = selfJudge(model, image, prompt, { imageFile, verified });
      const formatted = formatForTraining(record, { dropZeroGlobal: false });
      if (!('record' in formatted)) throw new Error(`${imageFile}: ${formatted.skipped}`); // unreachable: the global entry is always present
      const line: SelfJudgedLine = {
        ...formatted.record,
        self_verification: verified.map(({ bbox, area, identified, kept, reason }) => ({ bbox: [...bbox], area, identified, kept, reason })),
      };
      appendJsonl(out, line);
      judged += 1;
      globalSum += line.vlm_rewards.find((r) => r.object === GLOBAL_OBJECT)?.score ?? 0;
      keptSum += line.vlm_rewards.length - 1;
      bar.tick(1, { global: globalSum / judged, regions: keptSum / judged });
    }
    disposeModel(model);
    const summary = judged > 0 ? `; mean global ${(globalSum / judged).toFixed(3)}, mean kept regions ${(keptSum / judged).toFixed(2)}` : '';
    console.log(`judged ${judged} images (${candidates.length - todo.length} already in ${out}) with ${source}${summary}`);
  },
};
