// The scene parse: per-patch targets, grouping patches into objects, how much the 4-px patches and 2-px bins cost the
// world's rules when every patch is read right, and the loss (learnable, leak-free) with decoding on a tiny model.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { PARSE_CLASSES, PARSE_FIELDS } from '../lib/model/classes';
import { modelDims, resolveModelConfig } from '../lib/model/config';
import { promptVerdict } from '../lib/judge/verdict';
import { AdamW } from '../lib/model/optimizer';
import { disposeModel, initModel, namedVariables } from '../lib/model/params';
import { groupPatches, parsedScene, parseScenes } from '../lib/model/parse';
import { understandingBatch } from '../lib/train/data';
import { gradientStep } from '../lib/train/head-losses';
import { parseLoss, parseTargets } from '../lib/train/parse';
import { COLORS, type Scene, type SceneObject } from '../lib/world/types';
import { oracleAgreement } from './helpers/oracle-agreement';

const tiny = resolveModelConfig('tiny');
const base = resolveModelConfig('base');

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

/** What a perfect parse head would read on every patch: one-hot probabilities of the targets. */
function perfectReadings(scene: Scene): Parameters<typeof groupPatches>[0] {
  const targets = parseTargets(scene, base);
  const { imageTokens } = modelDims(base);
  return Array.from({ length: imageTokens }, (_, p) => {
    const picks = PARSE_FIELDS.map((_, f) => Math.max(0, targets[f][p]));
    const probabilities = PARSE_FIELDS.map((field, f) => {
      const q = new Float32Array(PARSE_CLASSES[field]);
      q[picks[f]] = 1;
      return q;
    });
    return { patch: p, picks, probabilities, confidence: 1 };
  });
}

describe('scene parse', () => {
  it('labels each patch with the nearest object covering its centre, or none', () => {
    const object = (cx: number, depth: number, color: SceneObject['color']): SceneObject => ({
      shape: 'square',
      color,
      texture: 'plain',
      size: 'large',
      cx,
      cy: 16,
      diameter: 14,
      depth,
    });
    const scene: Scene = { width: 32, height: 32, objects: [object(12, 0, 'red'), object(18, 1, 'blue')] };
    const targets = parseTargets(scene, base);
    const patch = (x: number, y: number): number => Math.floor(y / 4) * 8 + Math.floor(x / 4);
    const color = PARSE_FIELDS.indexOf('color');
    expect(targets[color][patch(6, 14)]).toBe(COLORS.indexOf('red'));
    expect(targets[color][patch(14, 14)]).toBe(COLORS.indexOf('blue')); // both cover it: the nearer (depth 1) wins
    expect(targets[color][patch(1, 1)]).toBe(COLORS.length); // background: 'none'
    expect(targets[PARSE_FIELDS.indexOf('x')][patch(1, 1)]).toBe(-1);
    expect(targets[PARSE_FIELDS.indexOf('x')][patch(6, 14)]).toBe(6); // centre 12 px -> bin 6 of 16
  });

  it.each([
    ['centres', 0.95],
    ['components', 0.9],
  ] as const)('with every patch read right, grouping by %s agrees with the oracle on >= %s of constraints', (mode, bar) => {
    const { agree, total } = oracleAgreement((scene) => parsedScene(groupPatches(perfectReadings(scene), 32, mode), 32));
    console.log(`perfect per-patch parse, grouping by ${mode}, vs the oracle: ${agree}/${total} = ${(agree / total).toFixed(4)}`);
    expect(agree / total).toBeGreaterThanOrEqual(bar);
  });

  it('a tiny model lowers the parse loss on a fixed batch, leaking no tensor; parseScenes and the parse verdict run', () => {
    const model = initModel(tiny, 3);
    const batch = understandingBatch(0, { batchSize: 4, seed: 2, config: tiny });
    const { imageTokens, patchDim } = modelDims(tiny);
    const optimizer = new AdamW(
      namedVariables(model.params).map((n) => n.variable),
      { learningRate: 3e-3 },
    );
    const step = (): number =>
      gradientStep({
        optimizer,
        learningRate: 3e-3,
        loss: () => parseLoss(model, tf.tensor3d(batch.x0, [4, imageTokens, patchDim]), batch.scenes),
      }).loss;
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 40; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(0.7 * first);
    const image = { width: 32, height: 32, data: new Float32Array(32 * 32 * 3).fill(1) };
    expect(parseScenes(model, [image, image], { grouping: 'components', attributes: 'region' })).toHaveLength(2);
    expect(promptVerdict(model, image, batch.prompts[0]).probabilities).toHaveLength(batch.prompts[0].constraints.length);
    expect(tf.memory().numTensors).toBe(before);
    disposeModel(model);
  });
});
