// An external VLM judges a candidates directory (DIR/candidates.jsonl, as `srum candidates` writes it) into a
// rewards JSONL in the released training form, like the self-judge (lib/run/judge.ts) does: for every image,
// propose regions (lib/regions/propose, the SAM stand-in), ask the VLM the released region and global prompts
// (external.ts), format the record for training (the global entry inside vlm_rewards; the released zero-global
// filter off) and append it. Each line also carries `external_judge`: what parsed (regions asked / scored,
// global parsed, attempts used). Resumable: images already in `out` are skipped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendJsonl, readJsonl } from '../io';
import { proposeRegions } from '../regions/propose';
import { CANDIDATES_JSONL, type CandidateLine } from './candidates-file';
import { readPng } from '../world/png';
import { ExternalJudgeConfig, ExternalJudgeSummary, judgeExternallyWithSummary } from './external';
import { formatForTraining } from './records';

export interface ExternalRunSummary {
  judged: number;
  already: number;
  regionsAsked: number;
  regionsScored: number;
  globalParsed: number;
  attemptsUsed: number;
  /** Images where nothing parsed at all (no region score and no global score): named, never guessed. */
  nothingParsed: string[];
}

export interface JudgeCandidatesExternallyOptions {
  config: ExternalJudgeConfig;
  imagesDir: string;
  out: string;
  /** Called after each image (progress and per-image warnings). */
  onImage?: (imageFile: string, summary: ExternalJudgeSummary) => void;
}

export async function judgeCandidatesExternally(options: JudgeCandidatesExternallyOptions): Promise<ExternalRunSummary> {
  const { config, imagesDir, out } = options;
  const candidates = readJsonl<CandidateLine>(path.join(imagesDir, CANDIDATES_JSONL));
  const done = new Set(fs.existsSync(out) ? readJsonl<{ bad_image_file?: string }>(out).map((r) => r.bad_image_file) : []);
  const todo = candidates.filter((c) => !done.has(path.resolve(imagesDir, c.image_file)));
  const total: ExternalRunSummary = {
    judged: 0,
    already: candidates.length - todo.length,
    regionsAsked: 0,
    regionsScored: 0,
    globalParsed: 0,
    attemptsUsed: 0,
    nothingParsed: [],
  };
  for (const candidate of todo) {
    const imageFile = path.resolve(imagesDir, candidate.image_file);
    const image = readPng(imageFile);
    const regions = proposeRegions(image);
    const { record, summary } = await judgeExternallyWithSummary(config, { image, imageFile, prompt: candidate.original_prompt, regions });
    const formatted = formatForTraining(record, { dropZeroGlobal: false });
    if (!('record' in formatted)) throw new Error(`${imageFile}: ${formatted.skipped}`); // unreachable: the global entry is always present
    appendJsonl(out, { ...formatted.record, external_judge: summary });
    total.judged += 1;
    total.regionsAsked += summary.regionsAsked;
    total.regionsScored += summary.regionsScored;
    total.globalParsed += summary.globalParsed ? 1 : 0;
    total.attemptsUsed += summary.attemptsUsed;
    if (summary.regionsScored === 0 && !summary.globalParsed) total.nothingParsed.push(imageFile);
    options.onImage?.(imageFile, summary);
  }
  return total;
}

/** One line for the console: what parsed over a run. */
export function describeExternalRun(s: ExternalRunSummary): string {
  const named = s.nothingParsed.slice(0, 3).join(', ');
  const nothing = s.nothingParsed.length > 0 ? `; NOTHING parsed for ${s.nothingParsed.length} image(s): ${named}` : '';
  return (
    `judged ${s.judged} images (${s.already} already done): regions asked ${s.regionsAsked}, regions scored ${s.regionsScored}, ` +
    `global parsed ${s.globalParsed}/${s.judged}, attempts used ${s.attemptsUsed}${nothing}`
  );
}
