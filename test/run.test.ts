// `srum run` end to end through main() on a freshly initialised tiny model: 4 candidates, 3 training steps, 14
// evaluation prompts; summary.json holds every field with numbers in range; a second invocation skips every stage.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../lib/cli/main';
import { COMPBENCH_CATEGORIES, GENEVAL_CATEGORIES } from '../lib/world/types';
import { STAGE_LOG, type StageLogLine } from '../lib/run/stages';
import type { RunSummary } from '../lib/run/pipeline';
import { compBenchMini, genEvalMini } from '../lib/eval/benchmarks';
import type { Generator } from '../lib/eval/gap';
import { makeRng } from '../lib/rng';
import { sceneFor } from '../lib/world/layout';
import { renderScene } from '../lib/world/render';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-run-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const STAGES = ['candidates', 'judge', 'reward-maps', 'eval-base', 'train', 'eval-trained'];
const args = (method: string, out: string): string[] => [
  'run',
  '--method',
  method,
  '--lambda',
  '0.5',
  '--mode',
  'official',
  '--seed',
  '3',
  '--out',
  out,
  '--preset',
  'tiny',
  '--n-candidates',
  '4',
  '--steps',
  '3',
  '--batch-size',
  '2',
  '--candidate-steps',
  '3',
  '--eval-n',
  '14',
  '--quiet',
];
const stageLog = (dir: string): StageLogLine[] =>
  fs
    .readFileSync(path.join(dir, STAGE_LOG), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as StageLogLine);
const inRange = (x: number, lo: number, hi: number): boolean => Number.isFinite(x) && x >= lo && x <= hi;

function checkScores(scores: RunSummary['base']): void {
  expect(Object.keys(scores.compbench.per_category).sort()).toEqual([...COMPBENCH_CATEGORIES].sort()); // 14 prompts reach all 8
  expect(Object.keys(scores.geneval.per_category).sort()).toEqual([...GENEVAL_CATEGORIES].sort());
  for (const v of [...Object.values(scores.compbench.per_category), ...Object.values(scores.geneval.per_category)])
    expect(inRange(v as number, 0, 100)).toBe(true);
  expect(inRange(scores.compbench.overall, 0, 100)).toBe(true);
  expect(inRange(scores.understanding, 0, 100)).toBe(true);
}

describe('srum run', () => {
  it('runs SRUM end to end, writes a complete summary.json, and resumes without redoing stages', async () => {
    const dir = path.join(root, 'srum');
    await main(args('srum', dir));
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary).toMatchObject({ method: 'srum', lambda: 0.5, mode: 'official', seed: 3 });
    expect((summary.config.srum as { steps: number; lambdaC: number }).steps).toBe(3);
    expect(summary.command).toMatch(/^srum run .*--method srum/);
    checkScores(summary.base);
    checkScores(summary.trained);
    for (const artefact of [
      'candidates/candidates.jsonl',
      'candidates/cand-00003.png',
      'rewards.jsonl',
      'reward-maps.json',
      'train/manifest.json',
      'eval-base.json',
      'eval-trained.json',
    ]) {
      expect(fs.existsSync(path.join(dir, artefact)), artefact).toBe(true);
    }
    expect(stageLog(dir).map((l) => [l.stage, l.action])).toEqual(STAGES.map((s) => [s, 'ran']));

    const mtimes = (): number[] =>
      ['rewards.jsonl', 'eval-base.json', 'train/manifest.json', 'eval-trained.json'].map((f) => fs.statSync(path.join(dir, f)).mtimeMs);
    const before = mtimes();
    await main(args('srum', dir));
    expect(
      stageLog(dir)
        .slice(STAGES.length)
        .map((l) => [l.stage, l.action]),
    ).toEqual(STAGES.map((s) => [s, 'skipped']));
    expect(mtimes()).toEqual(before);

    // More steps: training resumes from its step-3 checkpoint and the trained model is evaluated again.
    await main(args('srum', dir).map((a, i, all) => (all[i - 1] === '--steps' ? '5' : a)));
    const third = stageLog(dir)
      .slice(2 * STAGES.length)
      .map((l) => [l.stage, l.action]);
    expect(third).toEqual(STAGES.map((s) => [s, s === 'train' || s === 'eval-trained' ? 'ran' : 'skipped']));
    const trainLog = fs.readFileSync(path.join(dir, 'train', 'log.jsonl'), 'utf8');
    expect((JSON.parse(fs.readFileSync(path.join(dir, 'train', 'manifest.json'), 'utf8')) as { step: number }).step).toBe(5);
    expect(trainLog.length).toBeGreaterThan(0);
  }, 120_000);

  it('benchmarks score with the independent evaluator: true scenes pass, blank images fail', () => {
    const rng = makeRng(5);
    const truth: Generator = (prompts) => prompts.map((p, k) => renderScene(sceneFor(p, rng.fork(`s:${k}`), { allowHeldOut: true })));
    const blank: Generator = (prompts) => prompts.map(() => renderScene({ width: 32, height: 32, objects: [] }));
    const good = compBenchMini(truth, { n: 16, seed: 2 });
    expect(good.n).toBe(16);
    expect(good.overall).toBeGreaterThan(80);
    expect(genEvalMini(truth, { n: 12, seed: 2 }).overall).toBeGreaterThan(80);
    expect(compBenchMini(blank, { n: 16, seed: 2 }).overall).toBe(0);
  });

  it('runs the SFT baseline the same way', async () => {
    const dir = path.join(root, 'sft');
    await main(args('sft', dir));
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.method).toBe('sft');
    expect((summary.config.srum as { method: string }).method).toBe('sft');
    checkScores(summary.trained);
  }, 120_000);

  it("an SFT run on a SRUM run's shared candidates (records pointing at the SRUM run's PNGs) trains each on its plan", async () => {
    const from = path.join(root, 'srum');
    const shared = (name: string): string => {
      const dir = path.join(root, name);
      fs.mkdirSync(dir, { recursive: true });
      for (const f of ['candidates', 'rewards.jsonl', 'eval-base.json'])
        fs.cpSync(path.join(from, f), path.join(dir, f), { recursive: true });
      return dir;
    };
    const sft = shared('sft-shared');
    await main(args('sft', sft));
    expect(fs.existsSync(path.join(sft, 'summary.json'))).toBe(true);
    // Records whose image is not the candidate the plans were drawn with: an error, not the normal-mode path.
    const broken = shared('sft-broken');
    const lines = fs.readFileSync(path.join(broken, 'rewards.jsonl'), 'utf8').split('\n');
    const firstImage = (JSON.parse(lines[0]) as { image_file: string }).image_file;
    lines[0] = lines[0].split(firstImage).join(path.join(broken, 'elsewhere.png'));
    fs.copyFileSync(path.join(from, 'candidates', 'cand-00001.png'), path.join(broken, 'elsewhere.png'));
    fs.writeFileSync(path.join(broken, 'rewards.jsonl'), lines.join('\n'));
    await expect(main(args('sft', broken))).rejects.toThrow(/no plan for this think-mode candidate/);
  }, 120_000);

  it('rejects an unknown method or mode', async () => {
    await expect(main(['run', '--method', 'dpo', '--out', path.join(root, 'x'), '--preset', 'tiny'])).rejects.toThrow(/--method/);
    await expect(main(['run', '--mode', 'dense', '--out', path.join(root, 'x'), '--preset', 'tiny'])).rejects.toThrow(/--mode/);
    await expect(main(['run', '--candidate-prompts', 'test', '--out', path.join(root, 'x'), '--preset', 'tiny'])).rejects.toThrow(
      /--candidate-prompts/,
    );
  });

  it('refuses a ground-truth reference for held-out candidate prompts (it would render the held-out pairs)', async () => {
    const dir = path.join(root, 'held-out-gt');
    await expect(
      main(['run', '--candidate-prompts', 'held-out', '--reference', 'ground-truth', '--out', dir, '--preset', 'tiny', '--quiet']),
    ).rejects.toThrow(/held-out.*ground-truth/);
    expect(fs.existsSync(path.join(dir, 'candidates'))).toBe(false);
  });
});
