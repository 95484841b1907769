// The 'regions' verdict: proposer regions identified by the region head, checked with the world's rules. With a
// perfect identification (each region's true object, one-hot), how often do the rules on those objects agree with
// the oracle? This bounds what the proposer's boxes and the occlusion-depth rule cost, independent of training.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../lib/backend/select';
import { resolveModelConfig } from '../lib/model/config';
import { promptVerdict } from '../lib/judge/verdict';
import { disposeModel, initModel } from '../lib/model/params';
import { parsedScene } from '../lib/model/parse';
import type { RegionIdentity } from '../lib/model/understand';
import * as tf from '../lib/backend/tf';
import { objectRegions, objectsFromIdentities, type ObjectRegion } from '../lib/regions/objects';
import { makeRng } from '../lib/rng';
import { shapeMask } from '../lib/world/geometry';
import { sceneFor } from '../lib/world/layout';
import { renderScene } from '../lib/world/render';
import { holds } from '../lib/world/semantics';
import { samplePrompts } from '../lib/world/splits';
import { COLORS, SHAPES, SIZES, TEXTURES, type Scene, type SceneObject } from '../lib/world/types';
import { oracleAgreement } from './helpers/oracle-agreement';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

const oneHot = (index: number, length: number): Float32Array => Float32Array.from({ length }, (_, i) => (i === index ? 1 : 0));

/** The identity a perfect region head gives the object that owns most of a region's pixels (drawn last wins). */
function oracleIdentity(region: ObjectRegion, scene: Scene): RegionIdentity {
  const owner = new Int32Array(scene.width * scene.height).fill(-1);
  [...scene.objects.keys()]
    .sort((a, b) => scene.objects[a].depth - scene.objects[b].depth)
    .forEach((k) =>
      shapeMask(scene.objects[k], scene.width, scene.height).forEach((v, i) => {
        if (v) owner[i] = k;
      }),
    );
  const votes = new Map<number, number>();
  for (const i of region.pixels) votes.set(owner[i], (votes.get(owner[i]) ?? 0) + 1);
  const [best] = [...votes].sort((a, b) => b[1] - a[1])[0];
  const o: SceneObject | undefined = scene.objects[best];
  const field = <T extends string>(names: readonly T[], value: T | undefined) => {
    const index = value === undefined ? names.length : names.indexOf(value);
    return { name: value ?? ('none' as const), p: oneHot(index, names.length + 1) };
  };
  const [shape, color, texture, size] = [
    field(SHAPES, o?.shape),
    field(COLORS, o?.color),
    field(TEXTURES, o?.texture),
    field(SIZES, o?.size),
  ];
  return {
    shape: shape.name,
    color: color.name,
    texture: texture.name,
    size: size.name,
    distorted: 0,
    probabilities: { shape: shape.p, color: color.p, texture: texture.p, size: size.p, distorted: oneHot(0, 2) },
  };
}

describe('regions verdict (proposer + region head + rules)', () => {
  it('with a perfect region head agrees with the oracle on >= 0.97 of constraints (own and contradicted prompts)', () => {
    const { agree, total } = oracleAgreement((scene) => {
      const regions = objectRegions(renderScene(scene));
      return parsedScene(
        objectsFromIdentities(
          regions,
          regions.map((r) => oracleIdentity(r, scene)),
          32,
        ),
        32,
      );
    });
    console.log(`perfect region head on proposer regions vs the oracle: ${agree}/${total} = ${(agree / total).toFixed(4)}`);
    expect(agree / total).toBeGreaterThanOrEqual(0.97);
  });

  it('a region the model calls background is dropped; the whole one of two overlapping objects is in front', () => {
    const square = (cx: number, color: SceneObject['color'], depth: number): SceneObject => ({
      shape: 'square',
      color,
      texture: 'plain',
      size: 'large',
      cx,
      cy: 16,
      diameter: 14,
      depth,
    });
    const scene: Scene = { width: 32, height: 32, objects: [square(12, 'red', 0), square(20, 'blue', 1)] };
    const regions = objectRegions(renderScene(scene));
    expect(regions.length).toBe(2);
    const identities = regions.map((r) => oracleIdentity(r, scene));
    const objects = objectsFromIdentities(regions, identities, 32);
    const [red, blue] = ['red', 'blue'].map((c) => objects.find((o) => o.color === c)!);
    expect(blue.depth).toBeGreaterThan(red.depth);
    expect(
      holds(
        {
          kind: 'relation',
          relation: 'in front of',
          subject: { shape: 'square', color: 'blue' },
          object: { shape: 'square', color: 'red' },
        },
        parsedScene(objects, 32),
      ),
    ).toBe(true);
    const background = { ...identities[0], shape: 'none' as const };
    expect(objectsFromIdentities(regions, [background, identities[1]], 32)).toHaveLength(1);
  });

  it("promptVerdict(..., 'regions') runs on a tiny model and leaks no tensor", () => {
    const model = initModel(resolveModelConfig('tiny'), 1);
    const [prompt] = samplePrompts({ split: 'train', n: 1, seed: 2, categories: ['spatial'] });
    const image = renderScene(sceneFor(prompt, makeRng(3), { allowHeldOut: false }));
    const before = tf.memory().numTensors;
    const verdict = promptVerdict(model, image, prompt, 'regions');
    expect(tf.memory().numTensors).toBe(before);
    expect(verdict.source).toBe('regions');
    expect(verdict.probabilities).toHaveLength(prompt.constraints.length);
    expect(verdict.parsed).toBeDefined();
    disposeModel(model);
  });
});
