// The scene parse: targets, the set matching of slots to objects, the loss (learnable, leak-free), decoding, and
// how much the 2-px position bins cost the world's rules when the parse is perfect.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { PARSE_CLASSES, PARSE_FIELDS, PARSE_SLOTS } from '../lib/model/classes';
import { resolveModelConfig, modelDims } from '../lib/model/config';
import { AdamW } from '../lib/model/optimizer';
import { disposeModel, initModel, namedVariables } from '../lib/model/params';
import { binCentre, parsedScene, parseScenes, type ParsedObject } from '../lib/model/parse';
import { promptVerdict } from '../lib/model/judgePrompt';
import { makeRng } from '../lib/rng';
import { understandingBatch } from '../lib/train/data';
import { gradientStep } from '../lib/train/head-losses';
import { matchSlots, parseLoss, parseTargets } from '../lib/train/parse';
import { WORLD } from '../lib/world/config';
import { sceneFor } from '../lib/world/layout';
import { contradict } from '../lib/world/sample';
import { holds } from '../lib/world/semantics';
import { samplePrompts } from '../lib/world/splits';
import { COLORS, SHAPES, SIZES, TEXTURES, type Scene } from '../lib/world/types';

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
  it('matches slots to objects by the lowest total cross-entropy', () => {
    // Two objects; slot 2 is sure of object 1, slot 0 of object 0, slots 1 and 3 are sure they are empty.
    const targets = [Int32Array.from([1, 0, 1, 0, 0, 3, 3, 0, 0]), Int32Array.from([1, 2, 4, 1, 2, 12, 9, 1, 0])];
    const logProbabilities = PARSE_FIELDS.map((field, f) => {
      const width = PARSE_CLASSES[field];
      const lp = new Float32Array(PARSE_SLOTS * width).fill(Math.log(0.01));
      const sure = (slot: number, c: number): void => { lp[slot * width + c] = Math.log(0.9); };
      sure(0, targets[0][f]);
      sure(2, targets[1][f]);
      if (f === 0) { sure(1, 0); sure(3, 0); }
      return lp;
    });
    expect(matchSlots(logProbabilities, targets)).toEqual([0, -1, 1, -1]);
    expect(matchSlots(logProbabilities, [])).toEqual([-1, -1, -1, -1]);
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
