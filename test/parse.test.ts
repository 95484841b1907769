// The scene parse: targets in slot order, the loss (learnable, leak-free), decoding, and
// how much the 2-px position bins cost the world's rules when the parse is perfect.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { resolveModelConfig, modelDims } from '../lib/model/config';
import { AdamW } from '../lib/model/optimizer';
import { disposeModel, initModel, namedVariables } from '../lib/model/params';
import { binCentre, parsedScene, parseScenes, type ParsedObject } from '../lib/model/parse';
import { promptVerdict } from '../lib/model/judgePrompt';
import { makeRng } from '../lib/rng';
import { understandingBatch } from '../lib/train/data';
import { gradientStep } from '../lib/train/head-losses';
import { parseLoss, parseTargets, slotOrder } from '../lib/train/parse';
import { WORLD } from '../lib/world/config';
import { sceneFor } from '../lib/world/layout';
import { contradict } from '../lib/world/sample';
import { holds } from '../lib/world/semantics';
import { samplePrompts } from '../lib/world/splits';
import { COLORS, SHAPES, SIZES, TEXTURES, type Scene, type SceneObject } from '../lib/world/types';

const tiny = resolveModelConfig('tiny');

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

/** The parse a perfect model would give: every target decoded as parseScenes decodes predictions. */
function perfectParse(scene: Scene): ParsedObject[] {
  return parseTargets(scene).map(([, shape, color, texture, size, x, y, depth, distorted]) => ({
    shape: SHAPES[shape], color: COLORS[color], texture: TEXTURES[texture], size: SIZES[size],
    cx: binCentre(x, scene.width), cy: binCentre(y, scene.height), diameter: WORLD.diameters[SIZES[size]], depth, distorted: distorted === 1,
    present: 1, confidence: 1,
  }));
}

describe('scene parse', () => {
  it('orders slots left to right, then top to bottom, then far to near', () => {
    const object = (cx: number, cy: number, depth: number): SceneObject => ({ shape: 'circle', color: 'red', texture: 'plain', size: 'small', cx, cy, diameter: 8, depth });
    const scene: Scene = { width: 32, height: 32, objects: [object(20, 5, 0), object(6, 9, 1), object(20, 5, 3), object(20, 2, 2)] };
    expect(slotOrder(scene)).toEqual([1, 3, 0, 2]);
    const targets = parseTargets(scene);
    expect(Array.from(targets[1])).toEqual([1, SHAPES.indexOf('circle'), COLORS.indexOf('red'), TEXTURES.indexOf('plain'), SIZES.indexOf('small'), 3, 4, 1, 0]);
  });

  it('with a perfect parse, the world\'s rules on the parsed scene agree with the truth on >= 97% of prompts and contradictions', () => {
    const prompts = samplePrompts({ split: 'train', n: 280, seed: 4 });
    const rng = makeRng(6);
    let agree = 0;
    let total = 0;
    for (const prompt of prompts) {
      let scene: Scene;
      try { scene = sceneFor(prompt, rng, { allowHeldOut: false }); } catch { continue; } // a few tight prompts have no layout
      const parsed = parsedScene(perfectParse(scene), scene.width);
      let asked = [prompt];
      try { asked = [prompt, contradict(prompt, scene, rng)]; } catch { /* no contradiction of this scene */ }
      for (const p of asked) {
        for (const c of p.constraints) {
          agree += holds(c, parsed) === holds(c, scene) ? 1 : 0;
          total += 1;
        }
      }
    }
    console.log(`perfect-parse agreement with the oracle: ${agree}/${total} = ${(agree / total).toFixed(4)}`);
    expect(agree / total).toBeGreaterThanOrEqual(0.97);
  });

  it('a tiny model lowers the parse loss on a fixed batch, leaking no tensor; parseScenes and the parse verdict run', () => {
    const model = initModel(tiny, 3);
    const batch = understandingBatch(0, { batchSize: 4, seed: 2, config: tiny });
    const { imageTokens, patchDim } = modelDims(tiny);
    const optimizer = new AdamW(namedVariables(model.params).map((n) => n.variable), { learningRate: 3e-3 });
    const step = (): number => gradientStep({ optimizer, learningRate: 3e-3, loss: () => parseLoss(model, tf.tensor3d(batch.x0, [4, imageTokens, patchDim]), batch.scenes) }).loss;
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 40; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(0.7 * first);
    const parsed = parseScenes(model, [blank()]);
    expect(parsed).toHaveLength(1);
    const verdict = promptVerdict(model, blank(), batch.prompts[0]);
    expect(verdict.probabilities).toHaveLength(batch.prompts[0].constraints.length);
    expect(tf.memory().numTensors).toBe(before);
    disposeModel(model);
  });
});

function blank(): { width: number; height: number; data: Float32Array } {
  return { width: 32, height: 32, data: new Float32Array(32 * 32 * 3).fill(1) };
}
