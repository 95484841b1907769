// Self-verification and the built-in self-judge: the scoring rules on hand-made region-head answers (pure), then
// the whole judge on a tiny untrained model: released schema, score ranges, neutral band, no tensor leak.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { formatForTraining, parseRewardJsonl, serializeRecords } from '../lib/judge/records';
import { applyDistortionPenalty, globalLayoutScore, hasDirective, scoreRegion, selfJudge } from '../lib/judge/self';
import { resolveModelConfig } from '../lib/model/config';
import { disposeModel, initModel, REGION_FIELDS, type RegionField } from '../lib/model/params';
import type { RegionIdentity } from '../lib/model/understand';
import { backgroundProbe, verifyIdentity, type VerifiedRegion } from '../lib/regions/verify';
import { makeRng } from '../lib/rng';
import { parsePrompt } from '../lib/world/grammar';
import { sceneFor } from '../lib/world/layout';
import { renderScene } from '../lib/world/render';
import { COLORS, SHAPES, SIZES, TEXTURES, type Color, type Shape } from '../lib/world/types';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

const CLASS_NAMES: Record<RegionField, readonly string[]> = {
  shape: SHAPES,
  color: COLORS,
  texture: TEXTURES,
  size: SIZES,
  distorted: ['no', 'yes'],
};

/** A region-head answer with probability `confidence` on the named class of each field (rest spread evenly). */
function identity(answer: { shape: Shape | 'none'; color: Color | 'none'; distorted?: number; confidence?: number }): RegionIdentity {
  const confidence = answer.confidence ?? 0.9;
  const peaked = (field: RegionField, name: string): Float32Array => {
    const classes = CLASS_NAMES[field].length + (field === 'distorted' ? 0 : 1); // + 'none'
    const index = name === 'none' ? CLASS_NAMES[field].length : CLASS_NAMES[field].indexOf(name);
    return Float32Array.from({ length: classes }, (_, i) => (i === index ? confidence : (1 - confidence) / (classes - 1)));
  };
  const distorted = answer.distorted ?? 0.02;
  const probabilities = Object.fromEntries(
    REGION_FIELDS.map((f) => [
      f,
      peaked(f, f === 'shape' ? answer.shape : f === 'color' ? answer.color : f === 'texture' ? 'plain' : f === 'size' ? 'medium' : 'no'),
    ]),
  ) as Record<RegionField, Float32Array>;
  probabilities.distorted = Float32Array.from([1 - distorted, distorted]);
  return { shape: answer.shape, color: answer.color, texture: 'plain', size: 'medium', distorted, probabilities };
}

const prompt = parsePrompt('a red circle on the left of a blue square');
const objectBox = { bbox: [2, 3, 13, 14] as [number, number, number, number], area: 95 };
const backgroundBox = { bbox: [0, 0, 32, 32] as [number, number, number, number], area: 800 };
const verify = (box: typeof objectBox, answer: Parameters<typeof identity>[0], requireColor = false): VerifiedRegion =>
  verifyIdentity(box, identity(answer), { prompt, width: 32, height: 32, requireColor });

describe('self-verification rules', () => {
  it('keeps prompted shapes, plain background and distorted attempts; drops the rest with a reason', () => {
    const circle = verify(objectBox, { shape: 'circle', color: 'red' });
    expect([circle.kept, circle.kind, circle.keyword]).toEqual([true, 'object', { shape: 'circle', color: 'red' }]);
    expect(circle.identified).toBe('a medium plain red circle');
    const triangle = verify(objectBox, { shape: 'triangle', color: 'red' });
    expect([triangle.kept, triangle.reason]).toEqual([false, expect.stringContaining('the prompt names no triangle')]);
    expect(verify(backgroundBox, { shape: 'none', color: 'none' })).toMatchObject({
      kept: true,
      kind: 'background',
      identified: 'background',
    });
    expect(verify(backgroundBox, { shape: 'square', color: 'blue' })).toMatchObject({
      kept: false,
      reason: expect.stringContaining('not plain background'),
    });
    expect(verify(objectBox, { shape: 'none', color: 'none' })).toMatchObject({
      kept: false,
      reason: expect.stringContaining('no object'),
    });
    expect(verify(objectBox, { shape: 'none', color: 'blue', distorted: 0.9 })).toMatchObject({
      kept: true,
      kind: 'distorted',
      keyword: { shape: 'square', color: 'blue' },
    });
    expect(verify(objectBox, { shape: 'none', color: 'green', distorted: 0.9 })).toMatchObject({
      kept: false,
      reason: expect.stringContaining('no prompt object is green'),
    });
    // The colour is checked only when asked: a green square is kept (and scored down) by default.
    expect(verify(objectBox, { shape: 'square', color: 'green' }).kept).toBe(true);
    expect(verify(objectBox, { shape: 'square', color: 'green' }, true).kept).toBe(false);
  });
});

describe('background probe', () => {
  it('is the square nearest the centre clear of every object box, smaller when needed, undefined when none fits', () => {
    expect(backgroundProbe([0, 0, 32, 32], [])).toEqual([11, 11, 21, 21]);
    const objects: Array<[number, number, number, number]> = [[8, 8, 24, 24]];
    const probe = backgroundProbe([0, 0, 32, 32], objects)!;
    expect(probe[2] - probe[0]).toBe(8); // a 10 px square does not fit beside the 16 px object in 32 px
    expect(probe[0] >= 24 || probe[2] <= 8 || probe[1] >= 24 || probe[3] <= 8).toBe(true);
    expect(backgroundProbe([0, 0, 32, 32], [[3, 3, 29, 29]])).toBeUndefined();
  });
});

describe('self-judge scoring rules', () => {
  it('the distortion penalty sends P(distorted) >= 0.8 into [-0.9, -0.5], d = 1 to -0.9, and is monotone and non-linear', () => {
    for (let s0 = -1; s0 <= 1.0001; s0 += 0.1) {
      for (const d of [0.8, 0.9, 1]) {
        expect(applyDistortionPenalty(s0, d)).toBeGreaterThanOrEqual(-0.9 - 1e-9);
        expect(applyDistortionPenalty(s0, d)).toBeLessThanOrEqual(-0.5 + 1e-9);
      }
      expect(applyDistortionPenalty(s0, 1)).toBeCloseTo(-0.9, 9);
      expect(applyDistortionPenalty(s0, 0.1)).toBeCloseTo(s0, 9);
    }
    for (const s0 of [-0.5, 0, 0.5, 1]) {
      const curve = Array.from({ length: 101 }, (_, k) => applyDistortionPenalty(s0, k / 100));
      curve.slice(1).forEach((s, k) => expect(s).toBeLessThanOrEqual(curve[k] + 1e-12));
    }
    // Non-linear: from a clean score 1, the first steps above d = 0.2 cost less than the later ones.
    const drop = (a: number, b: number): number => applyDistortionPenalty(1, a) - applyDistortionPenalty(1, b);
    expect(drop(0.2, 0.35)).toBeLessThan(0.5 * drop(0.35, 0.5));
  });

  it('global score: 2 min P - 1 with a directive, inside the neutral band [-0.4, 0.4] without', () => {
    expect(hasDirective(prompt)).toBe(true);
    expect(hasDirective(parsePrompt('two red circles'))).toBe(true);
    expect(hasDirective(parsePrompt('a red circle'))).toBe(false);
    expect(hasDirective(parsePrompt('a red circle and a blue square'))).toBe(false);
    expect(globalLayoutScore([0.9, 0.3], true)).toBeCloseTo(-0.4, 9);
    expect(globalLayoutScore([1], true)).toBe(1);
    for (const p of [0, 0.2, 0.5, 0.93, 1]) {
      expect(Math.abs(globalLayoutScore([p], false))).toBeLessThanOrEqual(0.4);
    }
    expect(globalLayoutScore([0.75], false)).toBeCloseTo(0.2, 9);
  });

  it('region scores follow grounding, distortion and background rules, with reasons naming the identified object', () => {
    const good = scoreRegion(verify(objectBox, { shape: 'circle', color: 'red', confidence: 0.95 }));
    expect(good.score).toBeGreaterThan(0.8);
    expect(good.reason).toContain('identified a medium plain red circle');
    expect(good.reason).toContain('prompt asks for a red circle');
    expect(good.reason).toContain('no distortion (p=0.02)');
    const wrongColour = scoreRegion(verify(objectBox, { shape: 'square', color: 'green', confidence: 0.95 }));
    expect(wrongColour.score).toBeLessThan(-0.5);
    const distorted = scoreRegion(verify(objectBox, { shape: 'none', color: 'blue', distorted: 0.95 }));
    expect(distorted.score).toBeGreaterThanOrEqual(-0.9);
    expect(distorted.score).toBeLessThanOrEqual(-0.5);
    expect(distorted.reason).toContain('severely distorted (p=0.95)');
    const background = scoreRegion(verify(backgroundBox, { shape: 'none', color: 'none' }));
    expect(Math.abs(background.score)).toBeLessThanOrEqual(0.1);
    expect(background.score).toBeGreaterThan(0);
  });
});

describe('selfJudge on a tiny model', () => {
  const prompts = ['a red circle on the left of a blue square', 'a green triangle', 'two yellow squares'].map(parsePrompt);
  const images = prompts.map((p, k) => renderScene(sceneFor(p, makeRng(5).fork(`scene:${k}`))));

  it('writes released-schema records with scores in [-1, 1], the neutral band, and no tensor leak', () => {
    const model = initModel(resolveModelConfig('tiny'), 3);
    selfJudge(model, images[0], prompts[0]); // warm-up (kernels, caches)
    const before = tf.memory().numTensors;
    const records = prompts.map((p, k) => selfJudge(model, images[k], p, { imageFile: `img-${k}.png` }));
    expect(tf.memory().numTensors).toBe(before);
    const read = parseRewardJsonl(serializeRecords(records));
    expect(read.errors).toEqual([]);
    expect(read.entries.map((e) => e.kind)).toEqual(['judge', 'judge', 'judge']);
    for (const record of records) {
      const global = record.global_layout_reward!;
      expect(Math.abs(global.global_layout_score)).toBeLessThanOrEqual(1);
      expect(global.bbox).toEqual([0, 0, 32, 32]);
      expect(global.reason).toContain('P(yes)=');
      for (const region of record.vlm_rewards) {
        expect(Math.abs(region.score)).toBeLessThanOrEqual(1);
        expect(region.reason).toContain(
          region.identified_object === 'background' ? 'identified background' : `identified ${region.identified_object}`,
        );
      }
      expect('record' in formatForTraining(record, { dropZeroGlobal: false })).toBe(true);
    }
    expect(Math.abs(records[1].global_layout_reward!.global_layout_score)).toBeLessThanOrEqual(0.4);
    expect(records[1].global_layout_reward!.reason).toContain('neutral band');
    disposeModel(model);
  });

  it('scores the verified regions it is given, in order, each with its reason', () => {
    const model = initModel(resolveModelConfig('tiny'), 3);
    const verified = [
      verify(backgroundBox, { shape: 'none', color: 'none' }),
      verify(objectBox, { shape: 'triangle', color: 'red' }), // dropped: not in the prompt
      verify(objectBox, { shape: 'circle', color: 'red' }),
    ];
    const record = selfJudge(model, images[0], prompts[0], { verified });
    expect(record.vlm_rewards.map((r) => r.identified_object)).toEqual(['background', 'a medium plain red circle']);
    expect(record.vlm_rewards.map((r) => r.bbox)).toEqual([backgroundBox.bbox, objectBox.bbox]);
    expect(record.vlm_rewards[1].reason).toContain('identified a medium plain red circle');
    disposeModel(model);
  });
});
