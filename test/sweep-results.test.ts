// The lambda-sweep and ablation result files (lib/eval/sweep-results.ts) read off a synthetic paired score: the rows
// found by arm name, per-seed columns and the report's clustered SEs passed through, and errors that name what to
// score; the figures (lib/plot/sweep.ts) draw the expected series from them.
import { describe, expect, it } from 'vitest';
import type { ScoreFile } from '../lib/eval/compare';
import { protocolImages, type ProtocolConfig } from '../lib/eval/protocol';
import { ablationResult, formatAblations, formatLambdaSweep, lambdaSweepResult, scoreResult } from '../lib/eval/sweep-results';
import { ablationChart, lambdaSweepChart } from '../lib/plot';
import { hashString, makeRng } from '../lib/rng';

const PROTOCOL: ProtocolConfig = { split: 'val', perCategory: 1, draws: 2, seed: 0 };
const N_IMAGES = protocolImages(PROTOCOL).length;
const SEEDS = [0, 1, 2];

/** Verdicts that pass with probability p, fixed by the arm's name. */
function verdicts(name: string, p: number): number[] {
  const rng = makeRng(hashString(name));
  return Array.from({ length: N_IMAGES }, () => (rng.next() < p ? 1 : 0));
}

/** A score file with `base` and each group at every seed (groups without seeds: one arm of that name). */
function scores(groups: Record<string, number>, seeded = true): { scores: ScoreFile; understanding: Record<string, number> } {
  const arms: ScoreFile['arms'] = {};
  const understanding: Record<string, number> = {};
  const add = (name: string, p: number): void => {
    arms[name] = { source: `runs/${name}`, sampling: {}, passed: verdicts(name, p) };
    understanding[name] = 80 + p * 10;
  };
  add('base', 0.3);
  for (const [group, p] of Object.entries(groups)) {
    if (group.startsWith('base') || !seeded) add(group, p);
    else for (const seed of SEEDS) add(`${group}@${seed}`, p + 0.05 * seed);
  }
  return { scores: { protocol: PROTOCOL, arms }, understanding };
}

const SWEEP = { 'lambda-2': 0.35, 'lambda-0': 0.4, 'lambda-0.5': 0.5, 'base-normal': 0.2 };
const NORMAL = { 'lambda-2-normal': 0.25, 'lambda-0-normal': 0.3, 'lambda-0.5-normal': 0.3 };
const NORMAL_PAIRS = Object.keys(NORMAL).map((arm): [string, string] => [arm, 'base-normal']);
const options = { from: 'score.json', command: 'test' };

describe('lambda sweep result', () => {
  const { scores: file, understanding } = scores({ ...SWEEP, ...NORMAL });
  const result = scoreResult(file, understanding, { seeds: SEEDS, command: 'score', pairs: NORMAL_PAIRS });

  it('finds the lambdas by arm name, in order, with per-seed columns and the report SEs', () => {
    const sweep = lambdaSweepResult(result, options);
    expect(sweep.lambdas).toEqual([0, 0.5, 2]);
    expect(sweep.seeds).toEqual(SEEDS);
    expect(sweep.arms).toEqual(['lambda-0', 'lambda-0.5', 'lambda-2']);
    expect(sweep.overall[1]).toEqual(result.arms['lambda-0.5'].overall);
    expect(sweep.overall[1]).toHaveLength(3);
    expect(sweep.se[2]).toBe(result.report.arms['lambda-2'].overall.se);
    expect(sweep.minus_base[0]).toEqual({
      mean: result.report.paired['lambda-0-base'].overall.mean,
      se: result.report.paired['lambda-0-base'].overall.se,
    });
    expect(sweep.understanding[0]).toEqual(result.arms['lambda-0'].understanding);
    expect(sweep.base).toMatchObject({ arm: 'base', understanding: 83 });
    expect(sweep.normal?.arms).toEqual(['lambda-0-normal', 'lambda-0.5-normal', 'lambda-2-normal']);
    expect(sweep.normal?.base.arm).toBe('base-normal');
    expect(sweep.normal?.minus_base[2].se).toBe(result.report.paired['lambda-2-normal-base-normal'].overall.se);
    expect(formatLambdaSweep(sweep)).toContain('normal mode:');
  });

  it('says which --pairs and which arms are missing', () => {
    const unpaired = scoreResult(file, understanding, { seeds: SEEDS, command: 'score' });
    expect(() => lambdaSweepResult(unpaired, options)).toThrow(
      'score with --pairs lambda-0-normal:base-normal,lambda-0.5-normal:base-normal,lambda-2-normal:base-normal',
    );
    const partial = scores({ ...SWEEP, 'lambda-0-normal': 0.3 });
    const partResult = scoreResult(partial.scores, partial.understanding, { seeds: SEEDS, command: 'score', pairs: [] });
    expect(() => lambdaSweepResult(partResult, options)).toThrow(
      /add the extra arms lambda-0.5-normal@SEED=RUNS\/lambda-0.5@SEED:think=off/,
    );
    const none = scores({ srum: 0.4 });
    expect(() => lambdaSweepResult(scoreResult(none.scores, none.understanding, { seeds: SEEDS, command: 's' }), options)).toThrow(
      'score.json: no lambda-<value> arms (arms: base, srum)',
    );
    const oneSeed = scoreResult(file, understanding, { seeds: [0, 1], command: 'score', pairs: NORMAL_PAIRS });
    expect(() => lambdaSweepResult(oneSeed, options)).toThrow(
      /arm lambda-0 has members lambda-0@0, lambda-0@1, lambda-0@2, not lambda-0@0, lambda-0@1/,
    );
  });

  it('leaves normal out when no normal-mode arm was scored, and draws the series', () => {
    const thinkOnly = scores({ 'lambda-0': 0.4, 'lambda-1': 0.45 });
    const sweep = lambdaSweepResult(scoreResult(thinkOnly.scores, thinkOnly.understanding, { seeds: SEEDS, command: 's' }), options);
    expect(sweep.normal).toBeUndefined();
    expect(lambdaSweepChart(sweep).data.map((trace) => trace.name)).toEqual([
      'think mode: mean ± 1 SE',
      'think mode: each training seed',
      'understanding: mean ± sd over seeds',
      'base understanding (83.0%)',
    ]);
    const figure = lambdaSweepChart(lambdaSweepResult(result, options));
    const [think, normal] = figure.data;
    expect(normal.name).toBe('normal mode (vs base in normal mode): mean ± 1 SE');
    expect((think.error_y as { array: number[] }).array).toEqual(lambdaSweepResult(result, options).minus_base.map((d) => d.se));
    expect(figure.data.filter((trace) => trace.mode === 'markers').map((trace) => (trace.y as number[]).length)).toEqual([9, 9]);
    expect((figure.layout.xaxis as { ticktext: string[] }).ticktext).toEqual(['0', '0.5', '2']);
    expect(JSON.stringify(figure.layout.title)).not.toMatch(/\.json|figures\//);
  });
});

describe('ablation result', () => {
  const ABLATION_ARMS = { full: 0.5, 'no-global': 0.4, sparse: 0.35, 'lambda-0': 0.45 };
  const { scores: file, understanding } = scores(ABLATION_ARMS);
  const pairs: Array<[string, string]> = [
    ['no-global', 'full'],
    ['sparse', 'full'],
    ['lambda-0', 'full'],
  ];
  const result = scoreResult(file, understanding, { seeds: SEEDS, command: 'score', pairs });

  it('keeps the rows present in figure order, each against the base and against full', () => {
    const ablations = ablationResult(result, { ...options, as: { 'no-reference': 'lambda-0' } });
    expect(ablations.rows).toEqual(['full', 'no-global', 'no-reference', 'sparse']);
    expect(ablations.arms).toEqual(['full', 'no-global', 'lambda-0', 'sparse']);
    expect(ablations.minus_full[0]).toBeNull();
    expect(ablations.minus_full[2]?.se).toBe(result.report.paired['lambda-0-full'].overall.se);
    expect(ablations.se[3]).toBe(result.report.arms.sparse.overall.se);
    expect(ablations.what[1]).toMatch(/local-only/);
    expect(formatAblations(ablations)).toContain('- full');
    const figure = ablationChart(ablations);
    expect(figure.data[0]).toMatchObject({ type: 'bar', orientation: 'h', x: ablations.minus_base.map((d) => d.mean) });
    expect((figure.data[0].y as string[])[0]).toContain('full SRUM');
    expect((figure.data[0].error_x as { array: number[] }).array).toEqual(ablations.minus_base.map((d) => d.se));
    expect((figure.data[1].x as number[]).length).toBe(4 * SEEDS.length);
  });

  it('says what is missing: full, a pair against it, an arm named by as', () => {
    expect(() => ablationResult(scoreResult(file, understanding, { seeds: SEEDS, command: 's' }), options)).toThrow(
      'score with --pairs no-global:full,sparse:full',
    );
    expect(() => ablationResult(result, { ...options, as: { full: 'srum' } })).toThrow('no arm srum for row full');
    const noFull = scores({ 'no-global': 0.4 });
    expect(() => ablationResult(scoreResult(noFull.scores, noFull.understanding, { seeds: SEEDS, command: 's' }), options)).toThrow(
      /no arm full/,
    );
  });
});
