// Per-step layout and detail scores: the constraints a prompt's layout and detail are read from (hand-checked), the
// evaluator's scores on rendered scenes (a wrong colour costs detail, not layout), and perStepScores on a tiny model
// (one entry per sampling step, the last step's x0_hat is the sample, no leaked tensors).
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { evaluatorLayoutDetail, judgeLayoutDetail, layoutDetailPrompt } from '../lib/eval/layout-detail';
import { detectObjects } from '../lib/eval/objects';
import { perStepScores } from '../lib/eval/per-step';
import { perStepChart } from '../lib/plot/per-step';
import { protocolImages } from '../lib/eval/protocol';
import { generateImages } from '../lib/generate/generate';
import { resolveModelConfig } from '../lib/model/config';
import { initModel, type UnifiedModel } from '../lib/model/params';
import { makeRng } from '../lib/rng';
import { parsePrompt } from '../lib/world/grammar';
import { sceneFor } from '../lib/world/layout';
import { renderScene } from '../lib/world/render';
import type { RgbImage } from '../lib/world/types';

describe('layout and detail constraints of a prompt', () => {
  it('a relation: nouns plus the fields telling two same-shape objects apart; detail: each noun-attribute pair once', () => {
    const split = layoutDetailPrompt(parsePrompt('a small striped green circle on the right of a striped blue circle'));
    expect(split.layoutCount).toBe(1);
    expect(split.prompt.constraints[0]).toEqual({
      kind: 'relation',
      relation: 'right of',
      subject: { shape: 'circle', color: 'green' }, // texture: both striped; size: stated for one only
      object: { shape: 'circle', color: 'blue' },
    });
    expect(split.prompt.constraints.slice(1).map((c) => (c.kind === 'exists' ? c.object : c))).toEqual([
      { shape: 'circle' },
      { shape: 'circle', color: 'green' },
      { shape: 'circle', texture: 'striped' },
      { shape: 'circle', size: 'small' },
      { shape: 'circle', color: 'blue' },
    ]);
  });

  it('counts keep their numbers over nouns; attribute-only prompts have no layout constraint', () => {
    const counts = layoutDetailPrompt(parsePrompt('two yellow triangles and one green circle'));
    expect(counts.prompt.constraints.slice(0, counts.layoutCount)).toEqual([
      { kind: 'count', object: { shape: 'triangle' }, count: 2 },
      { kind: 'count', object: { shape: 'circle' }, count: 1 },
    ]);
    expect(counts.prompt.constraints).toHaveLength(2 + 4);
    const colours = layoutDetailPrompt(parsePrompt('a purple triangle and an orange circle'));
    expect(colours.layoutCount).toBe(0);
    expect(colours.prompt.constraints).toHaveLength(4);
  });
});

describe('scores of an image', () => {
  const rendered = (text: string): RgbImage => renderScene(sceneFor(parsePrompt(text), makeRng(5), { allowHeldOut: true }));

  it('the evaluator: a scene of the prompt scores 1 and 1; the same scene read for another colour loses detail only', () => {
    const image = rendered('a red circle on the left of a blue square');
    const detection = detectObjects(image);
    expect(evaluatorLayoutDetail(detection, layoutDetailPrompt(parsePrompt('a red circle on the left of a blue square')))).toEqual({
      layout: 1,
      detail: 1,
    });
    // Detail asks: a circle, a green circle, a square, a blue square: 3 of 4.
    expect(evaluatorLayoutDetail(detection, layoutDetailPrompt(parsePrompt('a green circle on the left of a blue square')))).toEqual({
      layout: 1,
      detail: 0.75,
    });
    expect(evaluatorLayoutDetail(detection, layoutDetailPrompt(parsePrompt('a red circle on the right of a blue square'))).layout).toBe(0);
  });
});

describe('perStepScores', () => {
  let model: UnifiedModel;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', quiet: true });
    model = initModel(resolveModelConfig('tiny'), 9);
  });

  it('one entry per step, t falling, the last x0_hat the sample itself, scores in [0, 100], no leaked tensors', () => {
    const images = protocolImages({ split: 'val', perCategory: 1, draws: 1, seed: 0 }).slice(0, 5);
    const options = { images, seed: 0, sampling: { steps: 3 }, batchSize: 2 };
    const lastStep: RgbImage[] = [];
    const before = tf.memory().numTensors;
    const steps = perStepScores(model, {
      ...options,
      onStep: ({ first, step, images: decoded, scores }) => {
        expect(scores).toHaveLength(decoded.length);
        if (step === 3) decoded.forEach((image, i) => (lastStep[first + i] = image));
      },
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(steps[0].t).toBe(1);
    expect(steps[1].t).toBeLessThan(steps[0].t);
    const samples = generateImages(
      model,
      images.map((i) => i.prompt),
      { seed: 0, steps: 3, noiseKeys: images.map((i) => i.noiseKey) },
    );
    expect(lastStep.map((i) => Array.from(i.data))).toEqual(samples.map((i) => Array.from(i.data)));
    for (const s of steps) {
      expect(s.detail.n).toBe(5);
      expect(s.layout.n).toBe(images.filter((i) => layoutDetailPrompt(parsePrompt(i.prompt)).layoutCount > 0).length);
      for (const m of [s.layout, s.detail, s.judgeLayout!, s.judgeDetail!]) {
        expect(m.mean).toBeGreaterThanOrEqual(0);
        expect(m.mean).toBeLessThanOrEqual(100);
      }
    }
    // The judge's share from its own verdicts on the last step's images.
    const judged = lastStep.map((image, k) => judgeLayoutDetail(model, image, layoutDetailPrompt(parsePrompt(images[k].prompt))).detail);
    expect(steps[2].judgeDetail!.mean).toBeCloseTo((100 * judged.reduce((a, b) => a + b, 0)) / judged.length, 10);
  }, 60_000);
});

describe('perStepChart', () => {
  it('per arm and panel a band and a line for the evaluator and the judge; no band where the SE is not finite', () => {
    const arm = {
      layout: [10, 20],
      detail: [30, 40],
      layout_se: [NaN, 1],
      detail_se: [2, 2],
      judge_layout: [5, 6],
      judge_detail: [7, 8],
      judge_layout_se: [1, 1],
      judge_detail_se: [1, 1],
      images: 4,
      layout_images: 2,
    };
    const figure = perStepChart({ steps: [1, 2], arms: { a: arm, b: { ...arm, judge_layout: undefined, judge_detail: undefined } } });
    const lines = figure.data.filter((t) => t.mode === 'lines+markers');
    expect(lines).toHaveLength(4 + 2); // a: evaluator and judge in both panels; b: evaluator only
    const bands = figure.data.filter((t) => t.fill === 'toself');
    expect(bands).toHaveLength(3 + 1); // a: all but its evaluator layout (NaN SE); b: evaluator detail
    expect(figure.data.filter((t) => t.showlegend === true).map((t) => t.name)).toEqual([
      'a',
      'b',
      'independent evaluator',
      "model's own judge",
    ]);
  });
});
