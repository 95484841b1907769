// The quickstart's evaluation and its files (lib/run/quickstart.ts): the protocol's images drawn with the model as it
// is at one stage (base, then trained), kept as PNGs beside their verdicts, and what changed between the two.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScoreFile } from '../eval/compare';
import type { SamplerPool } from '../eval/pool';
import { protocolImages, type ProtocolConfig } from '../eval/protocol';
import type { SamplingSettings } from '../generate/generate';
import { writeJsonAtomic } from '../io';
import type { UnifiedModel } from '../model/params';
import { Progress } from '../progress';
import { readPng, writePng } from '../world/png';
import type { RgbImage } from '../world/types';

export const QUICKSTART_FILES = {
  candidates: 'candidates',
  rewards: 'rewards.jsonl',
  maps: 'reward-maps.json',
  train: 'train',
  scores: path.join('eval', 'scores.json'),
  summary: 'summary.json',
  config: 'quickstart.json',
} as const;

/** Folder of an arm's evaluated images. */
export const armImagesDir = (dir: string, arm: 'base' | 'trained'): string => path.join(dir, 'eval', arm);
export const imageFile = (index: number): string => `${String(index).padStart(5, '0')}.png`;

/** Verdict changes from base to trained, image by image. */
export interface VerdictFlips {
  failToPass: number;
  passToFail: number;
  /** Mean absolute pixel change between an image before and after (values in [0, 1]), over all images. */
  meanPixelChange: number;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** eval/scores.json, or undefined before the base is scored; another protocol's file is an error. */
export function readScores(file: string, protocol: ProtocolConfig): ScoreFile | undefined {
  if (!fs.existsSync(file)) return undefined;
  const scores = readJson<ScoreFile>(file);
  if (JSON.stringify(scores.protocol) !== JSON.stringify(protocol)) {
    throw new Error(`${file} was scored on another protocol (${JSON.stringify(scores.protocol)}): use another --out or remove it`);
  }
  return scores;
}

export interface ScoreArmOptions {
  pool: SamplerPool;
  model: UnifiedModel;
  protocol: ProtocolConfig;
  sampling: Partial<SamplingSettings>;
  dir: string;
  arm: 'base' | 'trained';
  source: string;
  quiet?: boolean;
}

/** Draws the protocol's images with the model as it is now, keeps them as PNGs and their verdicts in eval/scores.json. */
export async function scoreArm(options: ScoreArmOptions): Promise<void> {
  const { pool, model, protocol, arm } = options;
  const images = protocolImages(protocol);
  const bar = new Progress({ label: `eval ${arm} (${pool.size} threads)`, total: images.length, unit: 'img', quiet: options.quiet });
  let shown = 0;
  const drawn = await pool.generate(
    model,
    images.map((image) => image.prompt),
    {
      ...options.sampling,
      seed: protocol.seed,
      noiseKeys: images.map((image) => image.noiseKey),
      batchSize: 16,
      evaluate: true,
      onProgress: (done) => {
        bar.tick(done - shown);
        shown = done;
      },
    },
  );
  const folder = armImagesDir(options.dir, arm);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  drawn.images.forEach((image, k) => writePng(path.join(folder, imageFile(k)), image));
  const file = path.join(options.dir, QUICKSTART_FILES.scores);
  const scores: ScoreFile = readScores(file, protocol) ?? { protocol, arms: {} };
  // A new base invalidates an older trained arm (it was paired with other base images).
  if (arm === 'base') delete scores.arms.trained;
  scores.arms[arm] = { source: options.source, sampling: options.sampling, passed: drawn.passed!.map(Number) };
  writeJsonAtomic(file, scores);
}

/** Verdict flips and the mean pixel change, from the scores and the PNGs both arms left. */
export function verdictFlips(dir: string, scores: ScoreFile): VerdictFlips {
  const [before, after] = [scores.arms.base.passed, scores.arms.trained.passed];
  let failToPass = 0;
  let passToFail = 0;
  before.forEach((b, k) => {
    if (b === 0 && after[k] === 1) failToPass += 1;
    if (b === 1 && after[k] === 0) passToFail += 1;
  });
  let change = 0;
  let values = 0;
  for (let k = 0; k < before.length; k++) {
    const [x, y] = (['base', 'trained'] as const).map((arm) => readArmImage(dir, arm, k).data);
    for (let i = 0; i < x.length; i++) change += Math.abs(x[i] - y[i]);
    values += x.length;
  }
  return { failToPass, passToFail, meanPixelChange: change / Math.max(1, values) };
}

/** Image k of an arm's evaluation, as evaluated (8-bit PNG). */
export function readArmImage(dir: string, arm: 'base' | 'trained', index: number): RgbImage {
  return readPng(path.join(armImagesDir(dir, arm), imageFile(index)));
}
