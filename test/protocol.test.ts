// The evaluation protocol and paired comparisons: the prompt-clustered standard error against hand-computed cases,
// a fixed prompt set per split, noise keyed by prompt and draw, every arm on the same images (so an arm identical to
// the base differs from it by exactly 0), seed groups averaged image by image, a resumable score file, the worker pool
// drawing exactly the images of the single-thread path, and no leaked tensor.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { parseArmSpecs } from '../lib/cli/compare';
import {
  armGroups,
  cachedUnderstanding,
  compareArms,
  formatComparison,
  pairedUnderstanding,
  scoreArms,
  seedColumns,
  type ScoreFile,
} from '../lib/eval/compare';
import { understandingAccuracy, understandingItems } from '../lib/eval/benchmarks';
import { SamplerPool } from '../lib/eval/pool';
import { clusteredMean } from '../lib/eval/gap';
import { protocolImages, protocolPrompts, type ProtocolConfig } from '../lib/eval/protocol';
import { evaluateImage } from '../lib/eval/evaluate';
import { protocolResultsChart, roundsChart } from '../lib/plot';
import { generateImages } from '../lib/generate/generate';
import { resolveModelConfig } from '../lib/model/config';
import { disposeModel, initModel, type UnifiedModel } from '../lib/model/params';
import { splitsOf } from '../lib/world/splits';
import { COMPBENCH_CATEGORIES } from '../lib/world/types';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-protocol-'));
const SMALL: ProtocolConfig = { split: 'val', perCategory: 1, draws: 2, seed: 3 };
let model: UnifiedModel;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  model = initModel(resolveModelConfig('tiny'), 4);
});
afterAll(() => {
  disposeModel(model);
  fs.rmSync(root, { recursive: true, force: true });
});

describe('clusteredMean', () => {
  it('matches a hand-computed case: three clusters of two', () => {
    // mean 0.5; cluster sums of (y - 0.5): a 0, b +1, c -1; G / (G - 1) * 2 = 3; se = sqrt(3) / 6
    const m = clusteredMean([1, 0, 1, 1, 0, 0], ['a', 'a', 'b', 'b', 'c', 'c']);
    expect(m.mean).toBe(0.5);
    expect(m.se).toBeCloseTo(Math.sqrt(3) / 6, 12);
    expect(m.clusters).toBe(3);
  });

  it('with one value per cluster it is sqrt(n / (n - 1) * sum (y - mean)^2) / n; fewer than two clusters give NaN', () => {
    const ys = [2, 4, 9, 1];
    const mean = 4;
    const expected = Math.sqrt((4 / 3) * ys.reduce((s, y) => s + (y - mean) ** 2, 0)) / 4;
    expect(clusteredMean(ys, ['a', 'b', 'c', 'd']).se).toBeCloseTo(expected, 12);
    expect(clusteredMean([1, 2], ['a', 'a']).se).toBeNaN();
    expect(() => clusteredMean([1], ['a', 'b'])).toThrow(/cluster labels/);
  });

  it('repeats of one prompt count once: two identical copies of each value leave the standard error unchanged', () => {
    const once = clusteredMean([1, 0, 1, 0, 0], ['a', 'b', 'c', 'd', 'e']);
    const twice = clusteredMean([1, 1, 0, 0, 1, 1, 0, 0, 0, 0], ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd', 'e', 'e']);
    expect(twice.se).toBeCloseTo(once.se, 12);
  });
});

describe('protocol prompts and images', () => {
  it('a fixed set per split: distinct texts of that split, every CompBench category, at most perCategory each, the same on every call', () => {
    const prompts = protocolPrompts('val', 4);
    expect(protocolPrompts('val', 4).map((p) => p.text)).toEqual(prompts.map((p) => p.text));
    expect(new Set(prompts.map((p) => p.text)).size).toBe(prompts.length);
    for (const p of prompts) expect(splitsOf(p)).toContain('val');
    for (const category of COMPBENCH_CATEGORIES) {
      const n = prompts.filter((p) => p.category === category).length;
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(4);
    }
    const test = new Set(protocolPrompts('test', 4).map((p) => p.text));
    expect(prompts.some((p) => test.has(p.text))).toBe(false);
  });

  it('each prompt `draws` times, with a noise key per (prompt, draw)', () => {
    const images = protocolImages(SMALL);
    expect(images.length).toBe(2 * protocolPrompts('val', 1).length);
    expect(new Set(images.map((i) => i.noiseKey)).size).toBe(images.length);
    expect(() => protocolImages({ ...SMALL, draws: 0 })).toThrow(/draws/);
  });
});

describe('paired scoring', () => {
  it('the pool draws exactly the single-thread images and verdicts', async () => {
    const prompts = protocolImages(SMALL)
      .map((i) => i.prompt)
      .slice(0, 10);
    const options = { seed: 2, steps: 2, batchSize: 4, noiseKeys: prompts.map((p, k) => `${p}#${k}`) };
    const reference = generateImages(model, prompts, options);
    const pool = await SamplerPool.open(2);
    try {
      const pooled = await pool.generate(model, prompts, { ...options, evaluate: true });
      expect(pooled.images.map((i) => Array.from(i.data))).toEqual(reference.map((i) => Array.from(i.data)));
      expect(pooled.passed).toEqual(reference.map((image, k) => evaluateImage(image, prompts[k]).passed));
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('an arm identical to the base differs from it by exactly 0; arms are resumed from the score file; no tensor leaks', async () => {
    const pool = await SamplerPool.open(1);
    const file = path.join(root, 'scores.json');
    const before = tf.memory().numTensors;
    const arm = { source: model, sampling: { steps: 2 } };
    const scores = await scoreArms({ pool, protocol: SMALL, arms: { base: arm, same: arm }, file });
    expect(tf.memory().numTensors).toBe(before);
    expect(scores.arms.same.passed).toEqual(scores.arms.base.passed);
    const report = compareArms(scores);
    expect(report.paired['same-base'].overall.mean).toBe(0);
    expect(report.paired['same-base'].overall.se).toBe(0);
    // Resumed: the finished arms are read back, not loaded again (this source does not exist).
    const again = await scoreArms({
      pool,
      protocol: SMALL,
      arms: { base: { source: '/no/such/checkpoint', sampling: { steps: 2 } } },
      file,
    });
    expect(again.arms.base.passed).toEqual(scores.arms.base.passed);
    await expect(scoreArms({ pool, protocol: { ...SMALL, draws: 3 }, arms: {}, file })).rejects.toThrow(/another protocol/);
    await expect(scoreArms({ pool, protocol: SMALL, arms: { base: { source: model, sampling: { steps: 3 } } }, file })).rejects.toThrow(
      /other sampler settings/,
    );
    const onDisk = path.join(root, 'sources.json');
    fs.writeFileSync(onDisk, JSON.stringify({ ...scores, arms: { base: { ...scores.arms.base, source: 'runs/a', sampling: {} } } }));
    await expect(scoreArms({ pool, protocol: SMALL, arms: { base: { source: 'runs/b' } }, file: onDisk })).rejects.toThrow(
      /drawn from runs\/a, not runs\/b/,
    );
  }, 120_000);

  it('seeds of an arm are averaged image by image before pairing; the difference is a hand-checkable mean', () => {
    const n = protocolImages(SMALL).length;
    const base = Array.from({ length: n }, (_, k) => k % 2);
    const seed0 = base.map(() => 1);
    const seed1 = base.slice();
    const scores: ScoreFile = {
      protocol: SMALL,
      arms: {
        base: { source: 'b', sampling: {}, passed: base },
        'x@0': { source: 'x0', sampling: {}, passed: seed0 },
        'x@1': { source: 'x1', sampling: {}, passed: seed1 },
      },
    };
    const report = compareArms(scores);
    const expected = (100 * seed0.reduce((s, v, k) => s + (v + seed1[k]) / 2 - base[k], 0)) / n;
    expect(report.paired['x-base'].overall.mean).toBeCloseTo(expected, 10);
    expect(Object.keys(report.arms.x.per_seed ?? {})).toEqual(['x@0', 'x@1']);
    // An arm against another, seed-averaged: x - y with y passing everything is mean((x@0 + x@1) / 2 - 1) = -expected.
    expect(() => compareArms(scores, 'base', [['x', 'y']])).toThrow(/cannot pair x with y/);
    const withY = { ...scores, arms: { ...scores.arms, y: { source: 'y', sampling: {}, passed: base.map(() => 1) } } };
    const xy = compareArms(withY, 'base', [['x', 'y']]);
    expect(xy.paired['x-y'].overall.mean).toBeCloseTo(-expected, 10);
    expect(formatComparison(xy)).toMatch(new RegExp(`x-y\\s+-${expected.toFixed(1)} ±`));
    expect([...armGroups(['base', 'x@0', 'x@1', 'y']).keys()]).toEqual(['base', 'x', 'y']);
    // Table 1 on the protocol: one bar series per arm, overall / in-domain / held-out / categories, clustered SEs.
    const chart = protocolResultsChart(report, [
      ['base', 'base'],
      ['x', 'X'],
    ]);
    expect(chart.data).toHaveLength(2);
    const bars = chart.data[1] as unknown as { name: string; y: number[]; error_y: { array: number[] } };
    expect(bars.name).toBe(`X (2 seeds), +${expected.toFixed(1)} ± ${report.paired['x-base'].overall.se.toFixed(1)} vs base`);
    expect(bars.y.slice(0, 3)).toEqual([report.arms.x.overall.mean, report.arms.x.in_domain.mean, report.arms.x.held_out.mean]);
    expect(bars.error_y.array[0]).toBe(report.arms.x.overall.se);
    expect(() => protocolResultsChart(report, [['nope', 'N']])).toThrow(/no arm nope/);

    // rounds: round 0 is base at 0; each later round its paired gain with the clustered SE as the error bar
    const rounds = roundsChart(report, ['base', 'x']);
    const [overall, inDomain] = rounds.data as unknown as Array<{ x: number[]; y: number[]; error_y: { array: number[] } }>;
    expect(overall.x).toEqual([0, 1]);
    expect(overall.y).toEqual([0, report.paired['x-base'].overall.mean]);
    expect(overall.error_y.array).toEqual([0, report.paired['x-base'].overall.se]);
    expect(inDomain.y[1]).toBe(report.paired['x-base'].in_domain.mean);
    expect(() => roundsChart(report, ['base', 'nope'])).toThrow(/no arm nope/);
    const labelled = roundsChart(report, ['base', 'x'], { labels: ['base', 'round 1'] });
    expect((labelled.layout.xaxis as { ticktext: string[] }).ticktext).toEqual(['base', 'round 1']);
    expect(() => roundsChart(report, ['base', 'x'], { labels: ['base'] })).toThrow(/1 labels for 2 rounds/);
  });

  it('arm specs: name=source[:sampler key=value]; bad specs are errors that say why', () => {
    expect(parseArmSpecs('base=data/base,h=data/base:solver=heun:steps=8')).toEqual({
      base: { source: 'data/base', sampling: undefined },
      h: { source: 'data/base', sampling: { solver: 'heun', steps: 8 } },
    });
    expect(parseArmSpecs('g=ckpt:guidanceInterval=0.4-1').g.sampling).toEqual({ guidanceInterval: [0.4, 1] });
    expect(() => parseArmSpecs('base')).toThrow(/name=source/);
    expect(() => parseArmSpecs('a=x:colour=red')).toThrow(/sampler key/);
    expect(() => parseArmSpecs('a=x:steps=many')).toThrow(/number/);
  });
});

describe('result columns', () => {
  it('cachedUnderstanding measures an arm once and reads it back; seedColumns lists base alone or group@seed', () => {
    const file = path.join(root, 'understanding-val.json');
    const before = tf.memory().numTensors;
    const first = cachedUnderstanding({ base: { source: model } }, { file, n: 4, seed: 5, split: 'val' });
    expect(tf.memory().numTensors).toBe(before);
    expect(first.base).toBeGreaterThanOrEqual(0);
    expect(first.base).toBeLessThanOrEqual(100);
    fs.writeFileSync(file, JSON.stringify({ base: 12.5 })); // a kept value is not measured again
    expect(cachedUnderstanding({ base: { source: model } }, { file, n: 4, seed: 5, split: 'val' }).base).toBe(12.5);
    const scores: ScoreFile = {
      protocol: SMALL,
      arms: {
        base: { source: 'b', sampling: {}, passed: [1, 0, 0, 0] },
        a: { source: 'a', sampling: {}, passed: [1, 1, 0, 0] },
        'x@0': { source: 'x', sampling: {}, passed: [1, 1, 1, 0] },
        'x@1': { source: 'x', sampling: {}, passed: [0, 0, 0, 0] },
      },
    };
    expect(seedColumns(scores, { base: 90, 'x@0': 91, 'x@1': 92 }, 'base', [0, 1])).toEqual({ overall: [25], understanding: [90] });
    expect(seedColumns(scores, { base: 90, 'x@0': 91, 'x@1': 92 }, 'x', [0, 1])).toEqual({ overall: [75, 0], understanding: [91, 92] });
  });

  it('understandingItems are the scenes understandingAccuracy counts; pairedUnderstanding averages seeds scene by scene', () => {
    const options = { n: 12, seed: 5, split: 'val' as const };
    const before = tf.memory().numTensors;
    const items = understandingItems(model, options);
    expect(tf.memory().numTensors).toBe(before);
    expect(items.length).toBeGreaterThan(0);
    expect((100 * items.filter((i) => i.correct).length) / items.length).toBeCloseTo(understandingAccuracy(model, options), 12);
    expect(pairedUnderstanding(items, [items])).toMatchObject({ mean: 0, se: 0 });

    const base = ['p', 'p', 'q', 'r'].map((prompt, k) => ({ prompt, correct: k !== 0 }));
    const right = base.map((item) => ({ ...item, correct: true }));
    const wrong = base.map((item) => ({ ...item, correct: false }));
    // per scene: seeds average to 0.5; minus base 0.5 - [0, 1, 1, 1] = [+50, -50, -50, -50] points
    const paired = pairedUnderstanding(base, [right, wrong]);
    expect(paired.mean).toBeCloseTo(-25, 12);
    expect(paired.clusters).toBe(3);
    expect(paired.se).toBeCloseTo(clusteredMean([50, -50, -50, -50], ['p', 'p', 'q', 'r']).se, 12);
    expect(() => pairedUnderstanding(base, [right.slice(1)])).toThrow(/same scenes/);
    expect(() => pairedUnderstanding(base, [])).toThrow(/at least one seed/);
  });
});
