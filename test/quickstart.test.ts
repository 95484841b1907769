// `srum quickstart` end to end through main() on a freshly initialised tiny model (seconds): every stage runs, the
// printed table's numbers are the ones recomputed here from the verdicts it wrote (eval/scores.json), the flips and the
// pixel change are recomputed from the PNGs it wrote, the figure is a PNG, no tensor is leaked, and a second invocation
// skips every stage and prints the same table.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { main } from '../lib/cli/main';
import type { ScoreFile } from '../lib/eval/compare';
import { clusteredMean } from '../lib/eval/gap';
import { protocolImages } from '../lib/eval/protocol';
import { QUICKSTART_FILES, type QuickstartSummary } from '../lib/run/quickstart';
import { STAGE_LOG, type StageLogLine } from '../lib/run/stages';
import { readPng } from '../lib/world/png';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-quickstart-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend({ quiet: true });
});

const STAGES = ['candidates', 'judge', 'reward-maps', 'eval-base', 'train', 'eval-trained'];
// A large rate so that three tiny steps visibly change the images (the test checks that they do).
const SETTINGS = 'nCandidates=4,steps=3,batchSize=2,candidateSteps=2,warmupSteps=1,learningRate=0.01';
const args = (dir: string, figure: string): string[] => [
  'quickstart',
  '--preset',
  'tiny',
  '--out',
  dir,
  '--figure',
  figure,
  '--set',
  SETTINGS,
  '--per-category',
  '1',
  '--draws',
  '2',
  '--workers',
  '1',
  '--quiet',
];

/** main(argv) with console.log captured. */
async function printed(argv: string[]): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    lines.push(parts.map(String).join(' '));
  });
  try {
    await main(argv);
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const stageLog = (dir: string): StageLogLine[] =>
  fs
    .readFileSync(path.join(dir, STAGE_LOG), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as StageLogLine);
const cell = (mean: number, se: number, signed: boolean): string =>
  `${signed && mean >= 0 ? '+' : ''}${mean.toFixed(1)} ± ${se.toFixed(1)}`;

describe('srum quickstart', () => {
  it('runs every stage, prints numbers that come from the files it wrote, draws the figure, and resumes', async () => {
    const dir = path.join(root, 'q');
    const figure = path.join(root, 'quickstart.png');
    const tensorsBefore = tf.memory().numTensors;
    const output = await printed(args(dir, figure));
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(stageLog(dir).map((l) => [l.stage, l.action])).toEqual(STAGES.map((s) => [s, 'ran']));
    expect(output).toMatch(/demonstration-sized run/);

    // The table: pass rates and the paired difference recomputed from eval/scores.json.
    const scores = readJson<ScoreFile>(path.join(dir, QUICKSTART_FILES.scores));
    const images = protocolImages(scores.protocol);
    expect(scores.protocol).toEqual({ split: 'val', perCategory: 1, draws: 2, seed: 0 });
    const prompts = images.map((image) => image.prompt);
    const [base, trained] = [scores.arms.base.passed, scores.arms.trained.passed];
    expect(base).toHaveLength(images.length);
    expect(trained).toHaveLength(images.length);
    const rate = (passed: number[]): ReturnType<typeof clusteredMean> =>
      clusteredMean(
        passed.map((v) => 100 * v),
        prompts,
      );
    const difference = clusteredMean(
      trained.map((v, k) => 100 * (v - base[k])),
      prompts,
    );
    const row = (name: string): string => output.split('\n').find((line) => line.startsWith(name.padEnd(22)))!;
    expect(row('base')).toContain(cell(rate(base).mean, rate(base).se, false));
    expect(row('trained')).toContain(cell(rate(trained).mean, rate(trained).se, false));
    expect(row('trained')).toContain(cell(difference.mean, difference.se, true));
    expect(output).toContain(`${images.length / 2} prompts x 2 draws = ${images.length} images per arm`);

    // Every evaluated image is on disk; the flips and the pixel change are the ones the PNGs and verdicts give.
    let change = 0;
    let values = 0;
    for (let k = 0; k < images.length; k++) {
      const [before, after] = ['base', 'trained'].map(
        (arm) => readPng(path.join(dir, 'eval', arm, `${String(k).padStart(5, '0')}.png`)).data,
      );
      for (let i = 0; i < before.length; i++) change += Math.abs(before[i] - after[i]);
      values += before.length;
    }
    const summary = readJson<QuickstartSummary>(path.join(dir, QUICKSTART_FILES.summary));
    expect(summary.flips.meanPixelChange).toBeCloseTo(change / values, 6);
    expect(summary.flips.meanPixelChange).toBeGreaterThan(0.001); // the training moved the weights
    expect(summary.flips.failToPass).toBe(base.filter((b, k) => b === 0 && trained[k] === 1).length);
    expect(summary.flips.passToFail).toBe(base.filter((b, k) => b === 1 && trained[k] === 0).length);
    expect(output).toContain(`${summary.flips.failToPass} fail -> pass, ${summary.flips.passToFail} pass -> fail of ${images.length}`);
    expect(summary.trainStep).toBe(3);
    expect(summary.config.srum).toMatchObject({ steps: 3, warmupSteps: 1, learningRate: 0.01 });

    // The figure: a PNG.
    expect(fs.readFileSync(figure).subarray(1, 4).toString()).toBe('PNG');

    // Resumed: every stage skipped, the same table.
    const again = await printed(args(dir, figure));
    expect(
      stageLog(dir)
        .slice(STAGES.length)
        .map((l) => [l.stage, l.action]),
    ).toEqual(STAGES.map((s) => [s, 'skipped']));
    const table = (text: string): string => text.slice(text.indexOf('val split'), text.indexOf('verdicts that changed'));
    expect(table(again)).toBe(table(output));
    // The stage seconds are those of the invocation that ran each stage, not the skips' near-zeros.
    expect(readJson<QuickstartSummary>(path.join(dir, QUICKSTART_FILES.summary)).seconds).toEqual(summary.seconds);
    expect(Object.keys(summary.seconds)).toEqual(STAGES);
  }, 120_000);

  it('refuses settings it does not read, and a directory started with other settings', async () => {
    await expect(main(['quickstart', '--preset', 'tiny', '--out', path.join(root, 'x'), '--set', 'evalN=14'])).rejects.toThrow(
      /--set evalN: the quickstart evaluates on the protocol/,
    );
    await expect(main(['quickstart', '--preset', 'tiny', '--out', path.join(root, 'x'), '--set', 'bogus=1'])).rejects.toThrow(
      /unknown setting 'bogus' \(valid keys: .*lambdaC/,
    );
    const dir = path.join(root, 'q');
    const other = args(dir, path.join(root, 'other.png')).map((a) =>
      a === SETTINGS ? SETTINGS.replace('learningRate=0.01', 'learningRate=0.02') : a,
    );
    await expect(main(other)).rejects.toThrow(/holds a quickstart with other config/);
  });
});
