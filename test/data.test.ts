// Training data: deterministic batches, labels that agree with the scene oracle, no held-out pairs or
// val/test prompts in train batches, plan slots in prompt order, and distorted objects.
import { describe, expect, it } from 'vitest';
import { resolveModelConfig } from '../lib/model/config';
import { NONE_SHAPE, PLAN_FIELDS, PLAN_SLOTS } from '../lib/model/classes';
import { patchCoverage } from '../lib/model/patches';
import { generationBatch, unbindCaption, unbindStructure, understandingBatch, type BatchOptions } from '../lib/train/data';
import { makeRng } from '../lib/rng';
import { planTargets, promptSlots } from '../lib/train/plan';
import { DISTORTION_KINDS, distortedMask } from '../lib/world/distort';
import { shapeMask } from '../lib/world/geometry';
import { isHeldOut } from '../lib/world/heldout';
import { parsePrompt } from '../lib/world/grammar';
import { renderScene } from '../lib/world/render';
import { holds, matches } from '../lib/world/semantics';
import { mentionsHeldOut, splitsOf } from '../lib/world/splits';
import { COLORS, COMPBENCH_CATEGORIES, SHAPES, type Scene, type SceneObject } from '../lib/world/types';

const config = resolveModelConfig('tiny');
const options: BatchOptions = { batchSize: 8, seed: 5, config };

describe('batch builders', () => {
  it('batch k is a pure function of (seed, k): same arrays twice, different for another k or seed', () => {
    const a = generationBatch(3, options);
    const b = generationBatch(3, options);
    expect(b.x0).toEqual(a.x0);
    expect(b.textTokens).toEqual(a.textTokens);
    expect(b.plan).toEqual(a.plan);
    expect(generationBatch(4, options).textTokens).not.toEqual(a.textTokens);
    expect(generationBatch(3, { ...options, seed: 6 }).textTokens).not.toEqual(a.textTokens);
    const u = understandingBatch(2, options);
    const v = understandingBatch(2, options);
    expect(v.x0).toEqual(u.x0);
    expect(v.region).toEqual(u.region);
    expect(v.verdict).toEqual(u.verdict);
    expect(v.count).toEqual(u.count);
    expect(understandingBatch(3, options).x0).not.toEqual(u.x0);
  });

  it('has the documented shapes and value ranges', () => {
    const g = generationBatch(0, options);
    const Np = (config.imageSize / config.patchSize) ** 2;
    const patchDim = config.patchSize ** 2 * 3;
    expect(g.x0.length).toBe(8 * Np * patchDim);
    expect(Math.min(...g.x0)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...g.x0)).toBeLessThanOrEqual(1);
    expect(g.textTokens.length).toBe(8 * config.maxTextTokens);
    expect(g.plan.length).toBe(8 * PLAN_SLOTS * PLAN_FIELDS.length);
    const u = understandingBatch(0, options);
    expect(u.region.boxes.length).toBe(32);
    expect(u.region.patchCoverage.length).toBe(8 * Np);
    expect(u.verdict.tokens.length).toBe(8 * config.maxTextTokens);
  });

  it('balances the 8 CompBench categories round-robin across batches', () => {
    const categories = [0, 1].flatMap((k) => generationBatch(k, { ...options, batchSize: 4 }).prompts.map((p) => p.category));
    expect(categories).toEqual([...COMPBENCH_CATEGORIES]);
  });
});

function nominalBoxDistance(o: SceneObject, box: Float32Array, scene: Scene): number {
  const half = o.diameter / 2;
  const edges = [o.cx - half, o.cy - half, o.cx + half, o.cy + half].map((v) => v / scene.width);
  return Math.max(...edges.map((e, i) => Math.abs(e - box[i])));
}

describe('understanding labels agree with the scene oracle', () => {
  const batches = [0, 1, 2, 3, 4].map((k) => understandingBatch(k, { ...options, batchSize: 16 }));
  it('verdict and count labels', () => {
    let trueVerdicts = 0;
    for (const u of batches) {
      u.scenes.forEach((scene, b) => {
        const [constraint] = parsePrompt(u.verdict.texts[b]).constraints;
        expect(u.verdict.label[b]).toBe(holds(constraint, scene) ? 1 : 0);
        trueVerdicts += u.verdict.label[b];
        const [described] = parsePrompt(u.count.texts[b]).constraints;
        if (described.kind !== 'exists') throw new Error(`count text "${u.count.texts[b]}" is not a description`);
        expect(u.count.label[b]).toBe(scene.objects.filter((o) => matches(described.object, o)).length);
      });
    }
    expect(trueVerdicts / 80).toBeGreaterThan(0.35);
    expect(trueVerdicts / 80).toBeLessThan(0.65);
  });

  it('region labels: an object box (tight or snapped to patches) names its object, a background box holds no object pixel', () => {
    let distorted = 0;
    let background = 0;
    for (const u of batches) {
      u.scenes.forEach((scene, b) => {
        const box = u.region.boxes.subarray(4 * b, 4 * b + 4);
        const isNone = u.region.color[b] === COLORS.length;
        if (isNone) {
          background++;
          const [x1, y1, x2, y2] = Array.from(box, (v) => Math.round(v * scene.width));
          for (const o of scene.objects) {
            const mask = o.distorted ? distortedMask(o, scene.width, scene.height) : shapeMask(o, scene.width, scene.height);
            for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) expect(mask[y * scene.width + x]).toBe(0);
          }
          return;
        }
        const nearest = scene.objects.reduce((best, o) =>
          nominalBoxDistance(o, box, scene) < nominalBoxDistance(best, box, scene) ? o : best,
        );
        // Tight boxes are within the 1-px jitter; boxes snapped out to whole 4-px patches within 3 px more.
        expect(nominalBoxDistance(nearest, box, scene)).toBeLessThanOrEqual(4.01 / scene.width);
        expect(u.region.color[b]).toBe(COLORS.indexOf(nearest.color));
        expect(u.region.distorted[b]).toBe(nearest.distorted ? 1 : 0);
        expect(u.region.shape[b]).toBe(nearest.distorted ? NONE_SHAPE : SHAPES.indexOf(nearest.shape));
        distorted += u.region.distorted[b];
      });
    }
    expect(distorted).toBeGreaterThan(0);
    expect(background).toBeGreaterThan(0);
  });

  it('patch coverage sums to the box area in patch units', () => {
    const coverage = patchCoverage([0.1, 0.2, 0.6, 0.5], config);
    const grid = config.imageSize / config.patchSize;
    expect(coverage.reduce((a, b) => a + b, 0)).toBeCloseTo(0.5 * grid * 0.3 * grid, 4);
  });
});

describe('train batches never show held-out pairs or val/test prompts', () => {
  it('prompts, scenes and query texts', () => {
    for (let k = 0; k < 6; k++) {
      const g = generationBatch(k, { ...options, batchSize: 16 });
      const u = understandingBatch(k, { ...options, batchSize: 16 });
      for (const prompt of [...g.prompts, ...u.prompts]) {
        expect(mentionsHeldOut(prompt)).toBe(false);
        expect(splitsOf(prompt)).toContain('train');
      }
      for (const scene of [...g.scenes, ...u.scenes]) for (const o of scene.objects) expect(isHeldOut(o.color, o.shape)).toBe(false);
      for (const text of [...u.verdict.texts, ...u.count.texts]) {
        const prompt = parsePrompt(text);
        expect(mentionsHeldOut(prompt)).toBe(false);
        expect(splitsOf(prompt)).toContain('train');
      }
    }
  });

  it('heldOutScenes lets held-out pairs into the images only: never into a prompt, or a query text', () => {
    let heldOutObjects = 0;
    for (let k = 0; k < 12; k++) {
      const u = understandingBatch(k, { ...options, batchSize: 16, heldOutScenes: true });
      u.prompts.forEach((prompt, b) => {
        expect(mentionsHeldOut(prompt)).toBe(false);
        expect(splitsOf(prompt)).toContain('train');
        const undistorted = { ...u.scenes[b], objects: u.scenes[b].objects.map((o) => ({ ...o, distorted: false })) };
        expect(prompt.constraints.every((c) => holds(c, undistorted))).toBe(true);
      });
      for (const text of [...u.verdict.texts, ...u.count.texts]) expect(mentionsHeldOut(parsePrompt(text))).toBe(false);
      for (const scene of u.scenes) for (const o of scene.objects) if (isHeldOut(o.color, o.shape)) heldOutObjects++;
    }
    expect(heldOutObjects).toBeGreaterThan(0);
  });
});

describe('plan targets', () => {
  it('slot i is the i-th object the prompt mentions (counts expanded); empty slots are not present', () => {
    const g = generationBatch(1, { ...options, batchSize: 16 });
    const fields = PLAN_FIELDS.length;
    g.prompts.forEach((prompt, b) => {
      const slots = promptSlots(prompt);
      const scene = g.scenes[b];
      expect(scene.objects.length).toBe(slots.length);
      slots.forEach((desc, i) => expect(matches(desc, scene.objects[i])).toBe(true));
      const plan = g.plan.subarray(b * PLAN_SLOTS * fields, (b + 1) * PLAN_SLOTS * fields);
      expect(plan).toEqual(planTargets(scene));
      for (let s = 0; s < PLAN_SLOTS; s++) {
        expect(plan[s * fields]).toBe(s < slots.length ? 1 : 0);
        if (s < slots.length) expect(plan[s * fields + 1]).toBe(SHAPES.indexOf(scene.objects[s].shape));
      }
    });
  });

  it('cells and depth ranks follow the scene', () => {
    const scene: Scene = {
      width: 32,
      height: 32,
      objects: [
        { shape: 'circle', color: 'red', texture: 'plain', size: 'small', cx: 30, cy: 2, diameter: 8, depth: 5 },
        { shape: 'square', color: 'blue', texture: 'plain', size: 'small', cx: 1, cy: 17, diameter: 8, depth: 2 },
      ],
    };
    const plan = planTargets(scene);
    const fields = PLAN_FIELDS.length;
    expect(plan[5]).toBe(3); // row 0, col 3
    expect(plan[fields + 5]).toBe(8); // row 2, col 0
    expect([plan[6], plan[fields + 6]]).toEqual([1, 0]); // the square is farther
  });
});

describe('distorted objects', () => {
  const base: SceneObject = { shape: 'circle', color: 'red', texture: 'plain', size: 'large', cx: 16, cy: 16, diameter: 14, depth: 0 };
  it('every kind changes the mask a lot but leaves a visible blob, deterministically', () => {
    for (const shape of SHAPES) {
      for (const kind of DISTORTION_KINDS) {
        const object = { ...base, shape };
        const clean = shapeMask(object, 32, 32);
        const broken = distortedMask(object, 32, 32, kind);
        let inter = 0;
        let union = 0;
        let area = 0;
        clean.forEach((c, i) => {
          inter += c & broken[i];
          union += c | broken[i];
          area += broken[i];
        });
        expect(inter / union, `${kind} ${shape}`).toBeLessThan(0.85);
        expect(area, `${kind} ${shape}`).toBeGreaterThan(0.3 * clean.reduce((a, b) => a + b, 0));
        expect(distortedMask(object, 32, 32, kind)).toEqual(broken);
      }
    }
  });

  it('the renderer honours the flag and the oracle matches no description to a distorted object', () => {
    const scene: Scene = { width: 32, height: 32, objects: [base] };
    const distorted: Scene = { ...scene, objects: [{ ...base, distorted: true }] };
    expect(renderScene(distorted).data).not.toEqual(renderScene(scene).data);
    expect(holds({ kind: 'exists', object: { shape: 'circle', color: 'red' } }, scene)).toBe(true);
    expect(holds({ kind: 'exists', object: { shape: 'circle', color: 'red' } }, distorted)).toBe(false);
    expect(holds({ kind: 'count', object: { shape: 'circle' }, count: 1 }, distorted)).toBe(false);
  });
});

describe('builder speed', () => {
  it('builds batches fast enough not to dominate a training step (measured, printed)', () => {
    const start = performance.now();
    let examples = 0;
    for (let k = 0; k < 4; k++)
      examples +=
        generationBatch(k, { ...options, batchSize: 16 }).batchSize + understandingBatch(k, { ...options, batchSize: 16 }).batchSize;
    const perSecond = examples / ((performance.now() - start) / 1000);
    console.log(`data builders: ${perSecond.toFixed(0)} examples/s (generation + understanding mixed, tiny geometry)`);
    expect(perSecond).toBeGreaterThan(20);
  });
});

describe('morphed shapes (shapeMorph)', () => {
  const iou = (a: Uint8Array, b: Uint8Array): number => {
    let [both, either] = [0, 0];
    a.forEach((v, i) => {
      both += v & b[i];
      either += v | b[i];
    });
    return both / either;
  };

  it('draw circles and squares as superellipses nearer their own ideal pixels, keeping every label and the other draws', () => {
    const plain = understandingBatch(7, options);
    const morphed = understandingBatch(7, { ...options, shapeMorph: 1 });
    expect(morphed.region).toEqual(plain.region); // labels and boxes: names stay
    expect(morphed.verdict).toEqual(plain.verdict);
    expect(morphed.count).toEqual(plain.count);
    expect(morphed.prompts).toEqual(plain.prompts);
    expect(understandingBatch(7, { ...options, shapeMorph: 0 }).x0).toEqual(plain.x0);
    let drawn = 0;
    for (let k = 0; k < 6; k++) {
      for (const scene of understandingBatch(k, { ...options, shapeMorph: 1 }).scenes) {
        for (const o of scene.objects) {
          if (o.exponent === undefined) continue;
          drawn++;
          expect(o.shape).not.toBe('triangle');
          const other = o.shape === 'circle' ? 'square' : 'circle';
          const mask = shapeMask(o, scene.width, scene.height);
          const [own, rival] = [
            shapeMask({ ...o, exponent: undefined }, scene.width, scene.height),
            shapeMask({ ...o, shape: other, exponent: undefined }, scene.width, scene.height),
          ];
          expect(iou(mask, own)).toBeGreaterThan(iou(mask, rival));
        }
      }
    }
    expect(drawn).toBeGreaterThan(10);
    expect(morphed.x0).not.toEqual(plain.x0);
  });
});

describe('unbound structure (unboundStructure)', () => {
  it('swap relation sides about half the time and deal counts afresh, keeping each noun its attributes', () => {
    const bound = generationBatch(5, { ...options, batchSize: 256 });
    const unbound = generationBatch(5, { ...options, batchSize: 256, unboundStructure: 1 });
    expect(unbound.x0).toEqual(bound.x0);
    expect(unbound.plan).toEqual(bound.plan);
    let relations = 0;
    let swapped = 0;
    let counts = 0;
    let recounted = 0;
    bound.prompts.forEach((prompt, b) => {
      const written = unbindStructure(prompt, makeRng(b));
      expect(parsePrompt(written.text).constraints).toEqual(written.constraints);
      expect(mentionsHeldOut(written)).toBe(false);
      prompt.constraints.forEach((c, i) => {
        const w = written.constraints[i];
        if (c.kind === 'relation' && w.kind === 'relation') {
          relations++;
          expect(w.relation).toBe(c.relation);
          expect(new Set([w.subject, w.object].map((d) => JSON.stringify(d)))).toEqual(
            new Set([c.subject, c.object].map((d) => JSON.stringify(d))),
          );
          if (w.subject !== c.subject) swapped++;
        } else if (c.kind === 'count' && w.kind === 'count') {
          counts++;
          expect(w.object).toEqual(c.object);
          if (w.count !== c.count) recounted++;
        } else expect(w).toEqual(c);
      });
    });
    expect(relations).toBeGreaterThan(60);
    expect(swapped / relations).toBeGreaterThan(0.3);
    expect(swapped / relations).toBeLessThan(0.7);
    expect(counts).toBeGreaterThan(20);
    expect(recounted).toBeGreaterThan(counts / 4);
    expect(unbound.textTokens).not.toEqual(bound.textTokens);
    expect(generationBatch(5, { ...options, batchSize: 256, unboundStructure: 0 }).textTokens).toEqual(bound.textTokens);
  });
});

describe('unbound captions (unboundCaptions)', () => {
  const words = (text: string): string[] => text.split(' ').sort();
  it('deal the attribute words to the nouns at random and leave images, plans and prompts as they were', () => {
    const bound = generationBatch(7, { ...options, batchSize: 64 });
    const unbound = generationBatch(7, { ...options, batchSize: 64, unboundCaptions: 1 });
    expect(unbound.x0).toEqual(bound.x0);
    expect(unbound.plan).toEqual(bound.plan);
    expect(unbound.prompts).toEqual(bound.prompts);
    let changed = 0;
    bound.prompts.forEach((prompt, b) => {
      const caption = unbindCaption(prompt, makeRng(b));
      // the same words, up to a/an, and the same nouns in the same order
      expect(words(caption.replace(/\ban\b/g, 'a'))).toEqual(words(prompt.text.replace(/\ban\b/g, 'a')));
      expect(promptSlots(parsePrompt(caption)).map((d) => d.shape)).toEqual(promptSlots(prompt).map((d) => d.shape));
      if (caption !== prompt.text) changed++;
    });
    expect(changed).toBeGreaterThan(8);
    expect(unbound.textTokens).not.toEqual(bound.textTokens);
  });
  it('share 0 changes nothing; a single object keeps its caption', () => {
    expect(generationBatch(7, { ...options, unboundCaptions: 0 }).textTokens).toEqual(generationBatch(7, options).textTokens);
    const single = parsePrompt('a red circle');
    expect(unbindCaption(single, makeRng(1))).toBe('a red circle');
  });
  it('never names a held-out colour-shape pair', () => {
    const batch = generationBatch(11, { ...options, batchSize: 256 });
    for (const [b, prompt] of batch.prompts.entries()) expect(mentionsHeldOut(parsePrompt(unbindCaption(prompt, makeRng(b))))).toBe(false);
    // orange squares are held out: "an orange circle and a green square" may only read as it is
    const prompt = parsePrompt('an orange circle and a green square');
    for (let seed = 0; seed < 20; seed++) expect(unbindCaption(prompt, makeRng(seed))).toBe(prompt.text);
  });
  it('binds nothing: over many deals each attribute lands on either noun', () => {
    const prompt = parsePrompt('a red circle left of a blue square');
    const captions = new Set(Array.from({ length: 40 }, (_, i) => unbindCaption(prompt, makeRng(i))));
    expect([...captions].sort()).toEqual(['a blue circle on the left of a red square', 'a red circle on the left of a blue square'].sort());
  });
});
