// Generalisation across category groups: the result file (lib/eval/generalisation.ts) read off a synthetic paired
// score whose group arms pass more often on their own categories, the report's per-category SEs passed through, the
// own-group and other-groups aggregates computed from the verdicts, errors that say what is missing; the figure
// (lib/plot/generalisation.ts); and the --train-categories filter of srum-gain.ts (lib/run/candidates.ts).
import { describe, expect, it } from 'vitest';
import { compareArms, pairedMean, type ScoreFile } from '../lib/eval/compare';
import { clusteredMean } from '../lib/eval/gap';
import {
  CATEGORY_GROUPS,
  formatGeneralisation,
  generalisationResult,
  type CategoryGroups,
  type GeneralisationResult,
} from '../lib/eval/generalisation';
import { protocolImages, type ProtocolConfig, type ProtocolImage } from '../lib/eval/protocol';
import { scoreResult } from '../lib/eval/sweep-results';
import { generalisationChart } from '../lib/plot';
import { hashString, makeRng } from '../lib/rng';
import { candidatesOfCategories, parseTrainCategories, type CandidateLine } from '../lib/run/candidates';

const PROTOCOL: ProtocolConfig = { split: 'val', perCategory: 4, draws: 2, seed: 0 };
const IMAGES = protocolImages(PROTOCOL);
const SEEDS = [0, 1, 2];
const GROUPS: CategoryGroups = CATEGORY_GROUPS;
const inGroup = (group: string) => (image: ProtocolImage) => (GROUPS[group] as readonly string[]).includes(image.category);

/** A score file: base passes 30% of the images; `gen-<group>@<seed>` 80% of its own group's and 35% of the others. */
function scoreFile(groups: readonly string[] = Object.keys(GROUPS)): ScoreFile {
  const arm = (name: string, p: (image: ProtocolImage) => number): ScoreFile['arms'][string] => {
    const rng = makeRng(hashString(name));
    return { source: `runs/${name}`, sampling: {}, passed: IMAGES.map((image) => (rng.next() < p(image) ? 1 : 0)) };
  };
  const arms: ScoreFile['arms'] = { base: arm('base', () => 0.3) };
  for (const group of groups)
    for (const seed of SEEDS) arms[`gen-${group}@${seed}`] = arm(`gen-${group}@${seed}`, (image) => (inGroup(group)(image) ? 0.8 : 0.35));
  return { protocol: PROTOCOL, arms };
}

const understandingOf = (scores: ScoreFile): Record<string, number> => Object.fromEntries(Object.keys(scores.arms).map((a) => [a, 80]));
const resultOf = (scores: ScoreFile, seeds = SEEDS) =>
  scoreResult(scores, understandingOf(scores), { seeds, command: 'srum-gain.ts --phase score' });
const options = { groups: GROUPS, from: 'score.json', command: 'sweep-table.ts --kind generalisation' };

describe('generalisation result', () => {
  const scores = scoreFile();
  const result = resultOf(scores);

  it("passes the report's paired per-category, held-out and in-domain means through, per trained group", () => {
    const r = generalisationResult(result, options);
    expect(r.trained_on).toEqual(['attribute', 'layout', 'complex']);
    expect(r.arms).toEqual(['gen-attribute', 'gen-layout', 'gen-complex']);
    expect(r.groups.attribute).toEqual(['color', 'shape', 'texture']);
    const paired = result.report.paired['gen-layout-base'];
    const { mean, se } = paired.per_category.numeracy!;
    expect(r.minus_base.layout.numeracy).toEqual({ mean, se });
    expect(r.minus_base.layout.held_out).toEqual({ mean: paired.held_out.mean, se: paired.held_out.se });
    expect(r.minus_base.layout.in_domain.se).toBe(paired.in_domain.se);
    expect(r.minus_base.complex.overall.mean).toBe(result.report.paired['gen-complex-base'].overall.mean);
    expect(r.minus_base.attribute.in_group).toBeUndefined(); // no verdicts: no aggregate
    expect(r.overall.complex).toEqual(result.arms['gen-complex'].overall);
    expect(r.overall.complex).toHaveLength(3);
    expect(r).toMatchObject({ seeds: SEEDS, from: 'score.json', score_command: 'srum-gain.ts --phase score', test_looked_at: false });
    expect(r.scores_file).toBeUndefined();
    expect(formatGeneralisation(r)).toMatch(/trained on\s+color/);
  });

  it('computes own-group and other-groups differences from the verdicts, clustered by prompt', () => {
    const r = generalisationResult(result, { ...options, scores: { file: 'scores-val.json', verdicts: scores } });
    const own = inGroup('attribute');
    const ks = IMAGES.map((_, k) => k).filter((k) => own(IMAGES[k]));
    const seedMean = (k: number): number => SEEDS.reduce((sum, s) => sum + scores.arms[`gen-attribute@${s}`].passed[k], 0) / 3;
    const byHand = clusteredMean(
      ks.map((k) => 100 * (seedMean(k) - scores.arms.base.passed[k])),
      ks.map((k) => IMAGES[k].prompt),
    );
    expect(r.minus_base.attribute.in_group?.mean).toBeCloseTo(byHand.mean, 10);
    expect(r.minus_base.attribute.in_group?.se).toBeCloseTo(byHand.se, 10);
    for (const group of r.trained_on) expect(r.minus_base[group].in_group!.mean).toBeGreaterThan(r.minus_base[group].out_of_group!.mean);
    expect(r.scores_file).toBe('scores-val.json');
    expect(formatGeneralisation(r)).toContain('other groups');
    // the whole protocol through pairedMean is the report's paired overall, to the last bit
    expect(pairedMean(scores, { group: 'gen-layout', keep: () => true })).toEqual(compareArms(scores).paired['gen-layout-base'].overall);
  });

  it('keeps the groups that were trained, and names another arm for a group', () => {
    const two = scoreFile(['layout', 'complex']);
    const r = generalisationResult(resultOf(two), options);
    expect(r.trained_on).toEqual(['layout', 'complex']);
    const renamed = generalisationResult(result, { ...options, as: { attribute: 'gen-layout' } });
    expect(renamed.arms).toEqual(['gen-layout', 'gen-layout', 'gen-complex']);
  });

  it('says what is missing or wrong', () => {
    const none = { protocol: PROTOCOL, arms: { base: scores.arms.base, 'srum@0': scores.arms['gen-layout@0'] } };
    expect(() => generalisationResult(resultOf(none, [0]), options)).toThrow(
      'score.json: no arm trained on a category group (looked for gen-attribute, gen-layout, gen-complex; arms: base, srum)',
    );
    expect(() => generalisationResult(result, { ...options, as: { spatial: 'gen-layout' } })).toThrow('unknown category group spatial');
    expect(() => generalisationResult(result, { ...options, as: { layout: 'srum' } })).toThrow('no arm srum for group layout');
    expect(() => generalisationResult(result, { ...options, groups: { a: ['color'], b: ['color', 'shape'] } })).toThrow(
      'category color is in two groups, a and b',
    );
    expect(() => generalisationResult(resultOf(scores, [0, 1]), options)).toThrow(
      /arm gen-attribute has members .* not gen-attribute@0, gen-attribute@1/,
    );
    const otherProtocol = { ...scores, protocol: { ...PROTOCOL, draws: 1 } };
    expect(() => generalisationResult(result, { ...options, scores: { file: 's.json', verdicts: otherProtocol } })).toThrow(
      's.json was scored on another protocol',
    );
    const flipped = {
      ...scores,
      arms: { ...scores.arms, 'gen-complex@1': { ...scores.arms['gen-complex@1'], passed: IMAGES.map(() => 1) } },
    };
    expect(() => generalisationResult(result, { ...options, scores: { file: 's.json', verdicts: flipped } })).toThrow(
      's.json: the verdicts of gen-complex are not those the score result paired',
    );
  });

  it('draws a cell per group and column, the trained categories outlined', () => {
    const r: GeneralisationResult = generalisationResult(result, { ...options, scores: { file: 's.json', verdicts: scores } });
    const figure = generalisationChart(r);
    const [cells] = figure.data;
    expect(cells.type).toBe('heatmap');
    expect(cells.y).toEqual(['attribute', 'layout', 'complex']);
    const x = cells.x as string[];
    expect(x).toEqual([
      'color',
      'shape',
      'texture',
      'spatial',
      '3d_spatial',
      'numeracy',
      'non-spatial',
      'complex',
      'held-out pairs',
      'own group',
      'other groups',
    ]);
    expect((cells.z as number[][])[1][5]).toBe(r.minus_base.layout.numeracy!.mean);
    expect((cells.text as string[][])[0][0]).toContain(`± ${r.minus_base.attribute.color!.se.toFixed(1)}`);
    const shapes = figure.layout.shapes as Array<{ type: string; x0: number; x1: number; y0: number }>;
    expect(shapes.filter((s) => s.type === 'rect').map((s) => [s.x0, s.x1, s.y0])).toEqual([
      [-0.5, 2.5, -0.5],
      [2.5, 5.5, 0.5],
      [5.5, 7.5, 1.5],
    ]);
    expect(shapes.filter((s) => s.type === 'line').map((s) => s.x0)).toEqual([7.5]);
    expect(JSON.stringify(figure.layout.title)).not.toMatch(/\.json|figures\//);
  });
});

describe('--train-categories', () => {
  const line = (index: number, category: string): CandidateLine => ({
    image_file: `cand-${index}.png`,
    original_prompt: `prompt ${index}`,
    category,
    index,
    think: true,
  });
  const lines = [line(0, 'color'), line(1, 'spatial'), line(2, 'shape'), line(3, 'complex')];

  it('reads a list of CompBench categories, and refuses others, repeats and an empty list', () => {
    expect(parseTrainCategories('color,shape,texture')).toEqual(['color', 'shape', 'texture']);
    expect(() => parseTrainCategories('colour')).toThrow(
      `--train-categories: unknown category "colour" (the world's CompBench categories: color, shape, texture, spatial, 3d_spatial, numeracy, non-spatial, complex)`,
    );
    expect(() => parseTrainCategories('counting')).toThrow('unknown category "counting"'); // GenEval: no train split
    expect(() => parseTrainCategories('color,color')).toThrow('category "color" named twice');
    expect(() => parseTrainCategories('')).toThrow('no category named');
  });

  it('keeps the candidates of those categories, every one without, and names a category with none', () => {
    expect(candidatesOfCategories(lines, ['color', 'shape'], 'c.jsonl').map((l) => l.index)).toEqual([0, 2]);
    expect(candidatesOfCategories(lines, undefined, 'c.jsonl')).toEqual(lines);
    expect(() => candidatesOfCategories(lines, ['texture'], 'c.jsonl')).toThrow(
      'c.jsonl: no candidate of texture (its categories: color, spatial, shape, complex)',
    );
  });
});
