// Text-to-image sampling through generateImages: the same seed and backend give the same images (normal and think
// mode), another seed gives others, a full default-length sampling run leaks no tensor, and unknown words are named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { DEFAULT_SAMPLING, generateImages } from '../lib/generate/generate';
import { resolveModelConfig } from '../lib/model/config';
import { disposeModel, initModel, type UnifiedModel } from '../lib/model/params';

const PROMPTS = ['a red circle on the left of a blue square', 'two green triangles'];
let model: UnifiedModel;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  model = initModel(resolveModelConfig('tiny'), 7);
});

const pixels = (images: { data: Float32Array | Uint8Array | number[] }[]): number[] => images.flatMap((image) => Array.from(image.data));

describe('generateImages', () => {
  it('the same seed gives the same images, in normal and think mode; another seed does not', () => {
    for (const think of [false, true]) {
      const a = generateImages(model, PROMPTS, { seed: 3, steps: 4, think });
      const b = generateImages(model, PROMPTS, { seed: 3, steps: 4, think });
      const c = generateImages(model, PROMPTS, { seed: 4, steps: 4, think });
      expect(pixels(a)).toEqual(pixels(b));
      expect(pixels(a)).not.toEqual(pixels(c));
    }
  });

  it(`a full sampling run (${DEFAULT_SAMPLING.steps} steps, guidance ${DEFAULT_SAMPLING.guidanceScale}) leaks no tensor`, () => {
    const before = tf.memory().numTensors;
    const images = generateImages(model, PROMPTS, { seed: 1, think: true });
    expect(images).toHaveLength(PROMPTS.length);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names an unknown prompt word', () => {
    expect(() => generateImages(model, ['a red dodecahedron'], { seed: 1, steps: 1 })).toThrow(/dodecahedron/);
  });
});

afterAll(() => disposeModel(model));
