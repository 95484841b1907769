// The quickstart figure's panels, chosen only from what the run wrote (so the figure shows the run, not a redraw):
// - candidates: a few of the base's own samples across the range of its self-judged global score, each with its
//   reward map in the run's mode (lib/reward/rewardMap.ts), as training read them;
// - pairs: a few protocol images before and after training (same prompt, same noise), the verdict flips first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScoreFile } from '../eval/compare';
import { protocolImages } from '../eval/protocol';
import { readJsonl } from '../io';
import { GLOBAL_OBJECT } from '../judge/records';
import { rewardMap, type RewardMode } from '../reward/rewardMap';
import { readPng } from '../world/png';
import type { RgbImage } from '../world/types';
import type { SelfJudgedLine } from './judge';
import { QUICKSTART_FILES, readArmImage } from './quickstart-eval';

export interface CandidatePanel {
  image: RgbImage;
  prompt: string;
  /** The model's own global layout score g in [-1, 1]. */
  globalScore: number;
  /** The scores in [-1, 1] of the regions the model kept (objects and background), in the record's order. */
  regionScores: number[];
  /** [H * W], row-major, at the image's size. */
  rewardMap: Float32Array;
}

export interface PairPanel {
  prompt: string;
  before: RgbImage;
  after: RgbImage;
  passedBefore: boolean;
  passedAfter: boolean;
}

export interface QuickstartPanels {
  mode: RewardMode;
  candidates: CandidatePanel[];
  pairs: PairPanel[];
}

/** `count` indices spread evenly over 0 .. n - 1 (both ends included when count > 1). */
function spread(n: number, count: number): number[] {
  const k = Math.min(n, count);
  if (k <= 1) return k === 1 ? [0] : [];
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

export function quickstartPanels(dir: string, mode: RewardMode, counts = { candidates: 4, pairs: 4 }): QuickstartPanels {
  const records = readJsonl<SelfJudgedLine>(path.join(dir, QUICKSTART_FILES.rewards));
  const globalOf = (record: SelfJudgedLine): number => record.vlm_rewards.find((r) => r.object === GLOBAL_OBJECT)?.score ?? 0;
  const byScore = records.slice().sort((a, b) => globalOf(a) - globalOf(b));
  const candidates = spread(byScore.length, counts.candidates).map((k): CandidatePanel => {
    const record = byScore[k];
    // The judge records absolute paths; the run directory may have moved since, the file name has not.
    const image = readPng(path.join(dir, QUICKSTART_FILES.candidates, path.basename(record.image_file)));
    const map = rewardMap(record, { mode, width: image.width, height: image.height });
    const regionScores = record.vlm_rewards.filter((r) => r.object !== GLOBAL_OBJECT).map((r) => r.score);
    return { image, prompt: record.prompt, globalScore: globalOf(record), regionScores, rewardMap: map };
  });

  const scores = JSON.parse(fs.readFileSync(path.join(dir, QUICKSTART_FILES.scores), 'utf8')) as ScoreFile;
  const images = protocolImages(scores.protocol);
  const [before, after] = [scores.arms.base.passed, scores.arms.trained.passed];
  const indices = images.map((_, k) => k);
  const failToPass = indices.filter((k) => before[k] === 0 && after[k] === 1);
  const passToFail = indices.filter((k) => before[k] === 1 && after[k] === 0);
  const chosen: number[] = [];
  const prompts = new Set<string>();
  const take = (k: number): void => {
    if (chosen.length < counts.pairs && !prompts.has(images[k].prompt)) {
      chosen.push(k);
      prompts.add(images[k].prompt);
    }
  };
  // Both directions of change when there are both, then the unchanged verdicts in protocol order.
  for (let i = 0; i < Math.max(failToPass.length, passToFail.length); i++) {
    if (i < failToPass.length) take(failToPass[i]);
    if (i < passToFail.length) take(passToFail[i]);
  }
  for (const k of indices) take(k);
  const pairs = chosen.map((k): PairPanel => ({
    prompt: images[k].prompt,
    before: readArmImage(dir, 'base', k),
    after: readArmImage(dir, 'trained', k),
    passedBefore: before[k] === 1,
    passedAfter: after[k] === 1,
  }));
  return { mode, candidates, pairs };
}
