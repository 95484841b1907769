// Stage 2 of the pipeline: the model judges its own candidates. For every line of DIR/candidates.jsonl: propose
// regions (lib/regions/propose), self-verify them (lib/regions/verify), self-judge (lib/judge/self) and append one
// record to `out` in the released TRAINING form (formatForTraining: the global entry inside vlm_rewards with
// object "global_layout_reward"), so `srum reward-map` and the training loader read it directly.
//   image_file / bad_image_file / good_image_file: the image's absolute path.
//   self_verification: every proposed box with what the model identified, kept or not, and why (extra field;
//   the loader ignores it).
// The released zero-global filter is off: a self-judged global score of exactly 0 is a judgment, not a failure.
// Resumable: images already in `out` are skipped; a torn last line (killed mid-append) is cut off first.
// Used by `srum judge` and `srum run`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendJsonl, readJsonl, writeFileAtomic } from '../io';
import { formatForTraining, GLOBAL_OBJECT, type TrainingRecord } from '../judge/records';
import { selfJudge } from '../judge/self';
import type { UnifiedModel } from '../model/params';
import { Progress } from '../progress';
import { proposeRegions } from '../regions/propose';
import { verifyRegions } from '../regions/verify';
import { parsePrompt } from '../world/grammar';
import { readPng } from '../world/png';
import type { Prompt } from '../world/types';
import { CANDIDATES_JSONL, type CandidateLine } from './candidates';

/** One line of the judge's output. */
export interface SelfJudgedLine extends TrainingRecord {
  self_verification: Array<{ bbox: number[]; area: number; identified: string; kept: boolean; reason: string }>;
}

export interface JudgeCandidatesOptions {
  model: UnifiedModel;
  /** Candidates directory (holds candidates.jsonl). */
  imagesDir: string;
  /** Rewards JSONL (appended). */
  out: string;
  /** Self-verification also requires the keyword colour. */
  requireColor?: boolean;
  quiet?: boolean;
}

export interface JudgeSummary {
  judged: number;
  /** Candidates already in `out`. */
  already: number;
  meanGlobal: number;
  meanKeptRegions: number;
}

/** Cut a torn last line (no trailing newline) so that appends start on a fresh line. */
function repairTail(file: string): void {
  if (!fs.existsSync(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  if (text === '' || text.endsWith('\n')) return;
  writeFileAtomic(file, text.slice(0, text.lastIndexOf('\n') + 1));
}

/** Judge every candidate of imagesDir not yet in `out`. */
export function judgeCandidates(options: JudgeCandidatesOptions): JudgeSummary {
  const { model, imagesDir: dir, out } = options;
  const candidates = readJsonl<CandidateLine>(path.join(dir, CANDIDATES_JSONL));
  repairTail(out);
  const done = new Set(fs.existsSync(out) ? readJsonl<{ bad_image_file?: string }>(out).map((r) => r.bad_image_file) : []);
  const todo = candidates.filter((c) => !done.has(path.resolve(dir, c.image_file)));
  const bar = new Progress({ label: 'judge', total: todo.length, unit: 'img', quiet: options.quiet === true });
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
    const verified = verifyRegions(model, image, { prompt, proposals: proposeRegions(image), requireColor: options.requireColor === true });
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
  const already = candidates.length - todo.length;
  return { judged, already, meanGlobal: globalSum / Math.max(1, judged), meanKeptRegions: keptSum / Math.max(1, judged) };
}
