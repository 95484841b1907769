// The main-result collection (base / SFT / SRUM per seed) and the judge-evaluator agreement on judged candidates.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mainResultsChart } from '../lib/plot';
import { makeRng } from '../lib/rng';
import { appendJsonl } from '../lib/io';
import { collectMainResults, judgeAgreement, mean, std } from '../lib/run/results';
import type { ModelScores, RunSummary } from '../lib/run/pipeline';
import { sceneFor } from '../lib/world/layout';
import { writePng } from '../lib/world/png';
import { renderScene } from '../lib/world/render';
import { samplePrompts } from '../lib/world/splits';
import { contradict } from '../lib/world/sample';

const scores = (overall: number, understanding: number): ModelScores => ({
  compbench: { per_category: { color: overall + 1, spatial: overall - 1 }, overall },
  geneval: { per_category: {}, overall: overall / 2 },
  understanding,
});

const summary = (method: 'sft' | 'srum', seed: number, base: number, trained: number): RunSummary =>
  ({ method, seed, base: scores(base, 90), trained: scores(trained, 89) }) as unknown as RunSummary;

describe('collectMainResults', () => {
  it('lists base, SFT and SRUM per seed in seed order', () => {
    const results = collectMainResults([
      summary('srum', 1, 40, 47),
      summary('sft', 0, 30, 33),
      summary('srum', 0, 30, 36),
      summary('sft', 1, 40, 41),
    ]);
    expect(results.base.overall).toEqual([30, 40]);
    expect(results.sft.overall).toEqual([33, 41]);
    expect(results.srum.overall).toEqual([36, 47]);
    expect(results.srum.per_category.color).toEqual([37, 48]);
    expect(results.base.understanding).toEqual([90, 90]);
    expect(mainResultsChart(results).data).toHaveLength(3);
  });

  it('refuses a seed whose SFT and SRUM runs saw different base models, or a missing run', () => {
    expect(() => collectMainResults([summary('sft', 0, 30, 33), summary('srum', 0, 31, 36)])).toThrow(/different base/);
    expect(() => collectMainResults([summary('srum', 0, 30, 36)])).toThrow(/one sft run/);
  });

  it('mean and sample standard deviation', () => {
    expect(mean([1, 2, 3])).toBe(2);
    expect(std([1, 2, 3])).toBeCloseTo(1, 12);
    expect(std([5])).toBe(0);
  });
});

describe('judgeAgreement', () => {
  it('compares the global verdict (score > 0) with the evaluator on every judged image', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agree-'));
    const prompts = samplePrompts({ split: 'train', n: 4, seed: 3, categories: ['color'] });
    const rng = makeRng(5);
    const lines = prompts.map((prompt, k) => {
      const scene = sceneFor(prompt, rng, { allowHeldOut: false });
      // Even k: asked with its own prompt (evaluator passes); odd k: with a contradicting prompt (evaluator fails).
      const asked = k % 2 === 0 ? prompt : contradict(prompt, scene, rng);
      const file = path.join(dir, `${k}.png`);
      writePng(file, renderScene(scene));
      // The judge is right on images 0, 1, 2 and wrong on image 3 (says yes to a contradicting scene).
      const score = k === 3 ? 0.8 : k % 2 === 0 ? 0.5 : -0.5;
      return {
        image_file: file,
        bad_image_file: file,
        good_image_file: file,
        prompt: asked.text,
        vlm_rewards: [{ object: 'global_layout_reward', score, bbox: [0, 0, 0, 0] }],
        self_verification: [],
      };
    });
    const file = path.join(dir, 'rewards.jsonl');
    lines.forEach((line) => appendJsonl(file, line));
    const result = judgeAgreement(file);
    expect(result.n).toBe(4);
    expect(result.agreement).toBe(0.75);
    expect(result.per_category.color).toEqual({ agreement: 0.75, n: 4 });
  });
});
