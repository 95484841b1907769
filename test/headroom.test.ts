// Headroom numbers: the unbiased pass@k against hand-computed values, self best-of-k over disjoint groups, the
// judge's precision and recall, distinct plans; and the pool's per-image self-verdicts and plans (tiny model).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { headroom, passAtK, selfBestOfK, type Candidate } from '../lib/eval/headroom';
import { SamplerPool } from '../lib/eval/pool';
import { promptVerdict } from '../lib/judge/verdict';
import { generateImages } from '../lib/generate/generate';
import { resolveModelConfig } from '../lib/model/config';
import { initModel, type UnifiedModel } from '../lib/model/params';
import { parsePrompt } from '../lib/world/grammar';

const candidate = (prompt: string, draw: number, passed: boolean, selfScore: number, plan = 'p'): Candidate => ({
  prompt,
  category: 'color',
  heldOut: false,
  draw,
  noiseKey: `${prompt}#${draw}`,
  passed,
  selfPassed: selfScore > 0.5,
  selfScore,
  plan,
});

describe('headroom numbers', () => {
  it('pass@k is 1 - C(n - c, k) / C(n, k)', () => {
    expect(passAtK(8, 2, 4)).toBeCloseTo(1 - 15 / 70, 12); // C(6, 4) = 15, C(8, 4) = 70
    expect(passAtK(8, 2, 1)).toBeCloseTo(2 / 8, 12);
    expect(passAtK(8, 0, 8)).toBe(0);
    expect(passAtK(8, 1, 8)).toBe(1);
    expect(() => passAtK(4, 1, 8)).toThrow(/k <= n/);
  });

  it('self best-of-k keeps the top-ranked draw of each disjoint group of k', () => {
    const draws = [
      candidate('a', 0, false, 0.9),
      candidate('a', 1, true, 0.2),
      candidate('a', 2, true, 0.7),
      candidate('a', 3, false, 0.1),
    ];
    expect(selfBestOfK(draws, 2)).toBe(0.5); // group 1 keeps draw 0 (fails), group 2 keeps draw 2 (passes)
    expect(selfBestOfK(draws, 4)).toBe(0); // draw 0 ranks first of all four
    expect(selfBestOfK(draws, 1)).toBe(0.5);
  });

  it('the report: pass@k, self best-of-k, precision, recall and distinct plans on a hand-made set', () => {
    const set = [
      candidate('a', 0, true, 0.9, 'p1'),
      candidate('a', 1, false, 0.6, 'p2'),
      candidate('b', 0, false, 0.8, 'q'),
      candidate('b', 1, true, 0.3, 'q'),
    ];
    const h = headroom(set, [1, 2]);
    expect(h.pass_at_k).toEqual([50, 100]);
    expect(h.self_best_of_k).toEqual([50, 50]); // a keeps its passing draw, b its failing one
    expect(h.judge_precision).toBeCloseTo(1 / 3, 12); // the judge says yes to 3, the evaluator agrees on 1
    expect(h.judge_recall).toBe(0.5);
    expect(h.distinct_plans_at_max).toBe(1.5);
  });
});

describe('pool scoring', () => {
  let model: UnifiedModel;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', quiet: true });
    model = initModel(resolveModelConfig('tiny'), 9);
  });

  it("returns per image the evaluator verdict, the model's own verdict and score, and the plan; sampled plans vary by key", async () => {
    const prompts = ['a red circle and a blue square', 'a red circle and a blue square', 'two green triangles'];
    const noiseKeys = prompts.map((p, k) => `${p}#${k}`);
    const pool = await SamplerPool.open(1);
    const before = tf.memory().numTensors;
    const scored = await pool.generate(model, prompts, {
      seed: 1,
      steps: 2,
      noiseKeys,
      planTemperature: 1,
      evaluate: true,
      selfJudge: true,
      recordPlans: true,
    });
    expect(tf.memory().numTensors).toBe(before);
    const images = generateImages(model, prompts, { seed: 1, steps: 2, noiseKeys, planTemperature: 1 });
    expect(scored.images.map((i) => Array.from(i.data))).toEqual(images.map((i) => Array.from(i.data)));
    const own = images.map((image, k) => promptVerdict(model, image, parsePrompt(prompts[k])));
    expect(scored.selfPassed).toEqual(own.map((v) => v.passed));
    expect(scored.selfScore).toEqual(own.map((v) => v.probabilities.reduce((a, b) => a * b, 1)));
    expect(scored.plan).toHaveLength(3);
    expect(scored.plan![0]).not.toEqual(scored.plan![1]); // the same prompt, two keys: two sampled plans (random tiny model)
    const argmax = await pool.generate(model, prompts, { seed: 1, steps: 2, noiseKeys, recordPlans: true });
    expect(argmax.plan![0]).toEqual(argmax.plan![1]); // the argmax plan is one per prompt text
    await pool.close();
  }, 60_000);
});
