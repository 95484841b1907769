// The understanding-generation gap: measureGap with a briefly trained tiny model, its label balance, and the
// `srum gap` command end to end (JSON fields, a missing checkpoint).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { main } from '../lib/cli/main';
import { clusteredStandardError, measureGap, understandingCorrect, type GapRates, type GapReport, type PromptJudge } from '../lib/eval/gap';
import { gapChart } from '../lib/plot';
import { generateImages } from '../lib/generate/generate';
import { promptVerdict } from '../lib/judge/verdict';
import { disposeModel, type UnifiedModel } from '../lib/model/params';
import { pretrain } from '../lib/train/pretrain';
import { parsePrompt } from '../lib/world/grammar';
import { blankImage } from '../lib/world/render';
import { mentionsHeldOut, samplePrompts } from '../lib/world/splits';
import { CATEGORIES, type Prompt } from '../lib/world/types';

const N = 14;
const SEED = 11;
const RATE_KEYS = [
  'understanding_accuracy',
  'generation_accuracy',
  'understanding_on_generated',
  'generation_accuracy_normal',
  'generation_accuracy_think',
] as const;

let dir: string;
let model: UnifiedModel;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-gap-test-'));
  model = (await pretrain({ preset: 'tiny', outDir: dir, seed: 0, train: { steps: 2 }, quiet: true })).model;
}, 60_000);

afterAll(() => {
  disposeModel(model);
  fs.rmSync(dir, { recursive: true, force: true });
});

function expectRates(rates: GapRates): void {
  for (const key of RATE_KEYS) {
    expect(typeof rates[key], key).toBe('number');
    expect(rates[key]).toBeGreaterThanOrEqual(0);
    expect(rates[key]).toBeLessThanOrEqual(1);
  }
}

describe('measureGap', () => {
  it('gives rates in [0, 1] overall and for all 14 categories, with a tiny model, without leaking tensors', () => {
    const before = tf.memory().numTensors;
    const report = measureGap({
      n: N,
      seed: SEED,
      think: true,
      judge: (images, prompts) => images.map((image, k) => promptVerdict(model, image, prompts[k]).passed),
      generate: (prompts, { think }) =>
        generateImages(
          model,
          prompts.map((p) => p.text),
          { seed: SEED, think },
        ),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.n).toBe(N);
    expectRates(report);
    expect(report.distinct_prompts).toBe(new Set(samplePrompts({ split: 'test', n: N, seed: SEED }).map((p) => p.text)).size);
    for (const se of Object.values(report.standard_error)) expect(se).toBeGreaterThanOrEqual(0);
    // The chart draws each rate's standard error as error bars when every bar has one: not here, where each category
    // holds one prompt (NaN), nor for a report saved before they existed; yes once every category has a finite one.
    const errorBars = (r: GapReport): ({ array: number[] } | undefined)[] =>
      (gapChart(r).data as { error_y?: { array: number[] } }[]).map((trace) => trace.error_y);
    expect(errorBars(report).every((e) => e === undefined)).toBe(true);
    const saved = JSON.parse(JSON.stringify(report, (key, value: unknown) => (key === 'standard_error' ? undefined : value))) as GapReport;
    expect(errorBars(saved).every((e) => e === undefined)).toBe(true);
    const everyCategory = {
      ...report,
      per_category: Object.fromEntries(
        Object.entries(report.per_category).map(([c, r]) => [c, { ...r, standard_error: report.standard_error }]),
      ),
    };
    expect(errorBars(everyCategory).every((e) => e?.array.length === 1 + CATEGORIES.length)).toBe(true);
    expect(report.generation_accuracy).toBe(report.generation_accuracy_think); // think: true is the mode of generation_accuracy
    expect(Object.keys(report.per_category).sort()).toEqual([...CATEGORIES].sort());
    for (const category of CATEGORIES) {
      const rates = report.per_category[category]!;
      expectRates(rates);
      expect(rates.n).toBe(1);
    }
    // The held-out split covers exactly the prompts that name a held-out colour-shape pair.
    const heldOut = samplePrompts({ split: 'test', n: N, seed: SEED }).filter(mentionsHeldOut).length;
    expect(report.by_domain.held_out.n).toBe(heldOut);
    expect(report.by_domain.in_domain.n).toBe(N - heldOut);
  }, 60_000);

  it('asks half of the understanding questions with the own prompt and half with a contradiction, in every category', () => {
    const N = 28; // two prompts per category
    const original = samplePrompts({ split: 'test', n: N, seed: SEED });
    const asked: Prompt[][] = [];
    const recording =
      (answer: boolean): PromptJudge =>
      (images, prompts) => {
        asked.push([...prompts]);
        return images.map(() => answer);
      };
    const generate = (prompts: readonly Prompt[]) => prompts.map(() => blankImage(32, 32));
    const yes = measureGap({ n: N, seed: SEED, think: false, bothModes: false, judge: recording(true), generate });
    const no = measureGap({ n: N, seed: SEED, think: false, bothModes: false, judge: recording(false), generate });
    // The first judge call of each run is the understanding pass on rendered scenes.
    const understandingPrompts = asked[0];
    expect(understandingPrompts).toHaveLength(N);
    expect(understandingPrompts.filter((p, k) => p.text === original[k].text)).toHaveLength(N / 2);
    // So a judge that always says yes, or always no, is right exactly half the time.
    expect(yes.understanding_accuracy).toBe(0.5);
    expect(no.understanding_accuracy).toBe(0.5);
    for (const rates of Object.values(yes.per_category)) expect(rates?.understanding_accuracy).toBe(0.5);
    // Blank images pass no prompt: the always-no judge agrees with the evaluator on all of them, always-yes on none.
    expect(no.generation_accuracy).toBe(0);
    expect(no.understanding_on_generated).toBe(1);
    expect(yes.understanding_on_generated).toBe(0);
    expect(yes.generation_accuracy_think).toBeUndefined(); // one mode asked: neither per-mode rate
    expect(yes.generation_accuracy_normal).toBeUndefined();
  });
});

describe('clusteredStandardError', () => {
  it('is the binomial standard error when no prompt repeats, and grows when repeats agree with each other', () => {
    const values = [true, false, true, true, false, undefined, true, false];
    const distinct = values.map((_, k) => `p${k}`);
    const n = 7;
    const p = 4 / 7;
    expect(clusteredStandardError(values, distinct)).toBeCloseTo(Math.sqrt((p * (1 - p)) / (n - 1)), 12);
    // The same seven outcomes, each drawn twice for one prompt (a repeat gives the same verdict): n doubles, but the
    // information does not, so the error stays where it was instead of falling by sqrt(2).
    const twice = values.flatMap((v) => [v, v]);
    const pairs = distinct.flatMap((c) => [c, c]);
    expect(clusteredStandardError(twice, pairs)).toBeCloseTo(clusteredStandardError(values, distinct), 12);
    expect(
      clusteredStandardError(
        twice,
        twice.map((_, k) => `q${k}`),
      ),
    ).toBeLessThan(clusteredStandardError(values, distinct));
    expect(clusteredStandardError([true, false], ['a', 'a'])).toBeNaN();
    expect(() => clusteredStandardError([true], ['a', 'b'])).toThrow(/cluster labels/);
  });
});

describe('understandingCorrect', () => {
  it('leaves out a prompt no scene fits (two large squares stacked) and asks the others exactly as without it', () => {
    const prompts = samplePrompts({ split: 'test', n: 6, seed: 2 });
    const unfit = parsePrompt('a large checkered purple square above a large red square');
    const judge: PromptJudge = (images) => images.map((_, k) => k % 2 === 0);
    const without = understandingCorrect(prompts, { seed: 4, judge });
    const withUnfit = understandingCorrect([...prompts, unfit], { seed: 4, judge });
    expect(withUnfit.slice(0, prompts.length)).toEqual(without);
    expect(withUnfit[prompts.length]).toBeUndefined();
    expect(without.every((v) => typeof v === 'boolean')).toBe(true);
  });
});

describe('srum gap', () => {
  it('prints one JSON object with the required fields', async () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await main(['gap', '--checkpoint', dir, '--n', String(N), '--seed', String(SEED), '--json']);
    } finally {
      log.mockRestore();
      stderr.mockRestore();
    }
    expect(printed).toHaveLength(1);
    const result = JSON.parse(printed[0]) as GapRates & {
      seed: number;
      checkpoint: string;
      checkpoint_step: number;
      per_category: Record<string, GapRates>;
    };
    expectRates(result);
    expect(result).toMatchObject({ n: N, seed: SEED, checkpoint: dir, checkpoint_step: 2 });
    expect(Object.keys(result.per_category).sort()).toEqual([...CATEGORIES].sort());
    for (const rates of Object.values(result.per_category)) expectRates(rates);
  }, 60_000);

  it('names a missing checkpoint directory', async () => {
    const missing = path.join(dir, 'no-such-checkpoint');
    await expect(main(['gap', '--checkpoint', missing, '--n', String(N), '--json'])).rejects.toThrow(
      `checkpoint ${missing}: directory does not exist`,
    );
  });
});
