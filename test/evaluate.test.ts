// The independent evaluator on hand-built scenes (no layout sampler involved): for every category one
// scene, the prompt it satisfies (must pass) and prompts it does not (must fail).
import { describe, expect, it } from 'vitest';
import { evaluateImage } from '../lib/eval/evaluate';
import { makeRng } from '../lib/rng';
import { WORLD } from '../lib/world/config';
import { corrupt, renderScene } from '../lib/world/render';
import { sceneSatisfies } from '../lib/world/semantics';
import { parsePrompt } from '../lib/world/grammar';
import { Category, Color, Scene, SceneObject, Shape, Size, Texture } from '../lib/world/types';

/** An object with its bounding box's top-left corner at (left, top). */
function obj(
  shape: Shape,
  color: Color,
  size: Size,
  left: number,
  top: number,
  extra: { texture?: Texture; depth?: number } = {},
): SceneObject {
  const diameter = WORLD.diameters[size];
  return {
    shape,
    color,
    size,
    texture: extra.texture ?? 'plain',
    depth: extra.depth ?? 0,
    diameter,
    cx: left + diameter / 2,
    cy: top + diameter / 2,
  };
}
const scene = (...objects: SceneObject[]): Scene => ({ width: 32, height: 32, objects });

interface Case {
  category: Category;
  scene: Scene;
  pass: string;
  fail: string[];
}

const cases: Case[] = [
  {
    category: 'color',
    scene: scene(obj('circle', 'red', 'medium', 3, 3), obj('square', 'blue', 'medium', 18, 18)),
    pass: 'a red circle and a blue square',
    fail: ['a red circle and a green square', 'an orange circle and a blue square'],
  },
  {
    category: 'shape',
    scene: scene(obj('triangle', 'green', 'small', 3, 3), obj('circle', 'yellow', 'large', 15, 15)),
    pass: 'a small triangle and a large circle',
    fail: ['a small square and a large circle', 'a large triangle and a large circle', 'a small triangle and a medium circle'],
  },
  {
    category: 'texture',
    scene: scene(
      obj('triangle', 'purple', 'large', 2, 2, { texture: 'striped' }),
      obj('circle', 'orange', 'large', 16, 16, { texture: 'checkered' }),
    ),
    pass: 'a striped triangle and a checkered circle',
    fail: ['a plain triangle and a checkered circle', 'a striped triangle and a striped circle'],
  },
  {
    category: 'spatial',
    scene: scene(obj('circle', 'red', 'medium', 2, 10), obj('square', 'blue', 'medium', 19, 11)),
    pass: 'a red circle on the left of a blue square',
    fail: ['a red circle on the right of a blue square', 'a red circle above a blue square'],
  },
  {
    category: '3d_spatial',
    scene: scene(obj('circle', 'red', 'large', 6, 6, { depth: 0 }), obj('square', 'blue', 'medium', 14, 14, { depth: 1 })),
    pass: 'a red circle behind a blue square',
    fail: ['a red circle in front of a blue square', 'a blue square behind a red circle'],
  },
  {
    category: 'numeracy',
    scene: scene(
      obj('circle', 'red', 'small', 2, 2),
      obj('circle', 'red', 'small', 12, 2),
      obj('circle', 'red', 'small', 22, 2),
      obj('square', 'blue', 'medium', 12, 18),
    ),
    pass: 'three red circles and one blue square',
    fail: ['two red circles and one blue square', 'four red circles and one blue square', 'three red circles and two blue squares'],
  },
  {
    category: 'non-spatial',
    scene: scene(obj('circle', 'red', 'large', 2, 2), obj('square', 'blue', 'small', 20, 20)),
    pass: 'a red circle bigger than a blue square',
    fail: ['a red circle smaller than a blue square', 'a red circle inside a blue square'],
  },
  {
    category: 'non-spatial',
    scene: scene(obj('square', 'blue', 'large', 8, 8, { depth: 0 }), obj('circle', 'red', 'small', 11, 11, { depth: 1 })),
    pass: 'a red circle inside a blue square',
    fail: ['a blue square inside a red circle', 'a red circle bigger than a blue square'],
  },
  {
    category: 'complex',
    scene: scene(obj('circle', 'red', 'small', 2, 12, { texture: 'striped' }), obj('square', 'blue', 'large', 16, 9)),
    pass: 'a small striped red circle on the left of a large blue square',
    fail: [
      'a small checkered red circle on the left of a large blue square',
      'a small striped red circle on the left of a medium blue square',
      'a small striped red circle below a large blue square',
    ],
  },
  {
    category: 'single_object',
    scene: scene(obj('circle', 'green', 'medium', 10, 10)),
    pass: 'a photo of a circle',
    fail: ['a photo of a square', 'a photo of a triangle'],
  },
  {
    category: 'two_objects',
    scene: scene(obj('circle', 'blue', 'small', 3, 20), obj('square', 'orange', 'large', 15, 3)),
    pass: 'a photo of a circle and a square',
    fail: ['a photo of a circle and a triangle'],
  },
  {
    category: 'counting',
    scene: scene(obj('circle', 'blue', 'small', 2, 2), obj('circle', 'yellow', 'medium', 18, 3), obj('circle', 'red', 'small', 8, 20)),
    pass: 'a photo of three circles',
    fail: ['a photo of two circles', 'a photo of four circles'],
  },
  {
    category: 'colors',
    scene: scene(obj('triangle', 'red', 'medium', 10, 10)),
    pass: 'a photo of a red triangle',
    fail: ['a photo of an orange triangle', 'a photo of a purple triangle'],
  },
  {
    category: 'position',
    scene: scene(obj('circle', 'purple', 'medium', 10, 2), obj('square', 'green', 'medium', 11, 19)),
    pass: 'a photo of a circle above a square',
    fail: ['a photo of a circle below a square', 'a photo of a circle left of a square'],
  },
  {
    category: 'color_attr',
    scene: scene(obj('circle', 'red', 'medium', 3, 3), obj('square', 'blue', 'medium', 18, 18)),
    pass: 'a photo of a red circle and a blue square',
    fail: ['a photo of a blue circle and a red square'],
  },
];

describe('evaluateImage on hand-built scenes', () => {
  it.each(cases.map((c) => [c.category, c.pass, c] as const))('%s: "%s" passes and its contradictions fail', (category, pass, c) => {
    const image = renderScene(c.scene);
    expect(sceneSatisfies(parsePrompt(pass), c.scene)).toBe(true); // the hand-built scene is right
    const verdict = evaluateImage(image, pass);
    expect(verdict.category).toBe(category);
    expect(verdict.passed, JSON.stringify(verdict.constraints.map((k) => k.detail))).toBe(true);
    expect(verdict.objects.length).toBe(c.scene.objects.length);
    for (const wrong of c.fail) {
      expect(sceneSatisfies(parsePrompt(wrong), c.scene)).toBe(false);
      expect(evaluateImage(image, wrong).passed, wrong).toBe(false);
    }
  });

  it('reads every attribute of the objects it finds', () => {
    const built = scene(
      obj('triangle', 'purple', 'large', 2, 2, { texture: 'striped' }),
      obj('circle', 'orange', 'small', 20, 20, { texture: 'checkered' }),
    );
    const found = evaluateImage(renderScene(built), 'a photo of a circle').objects.map((o) => [
      o.shape,
      o.color,
      o.texture,
      o.size,
      o.cx,
      o.cy,
    ]);
    expect(found).toContainEqual(['triangle', 'purple', 'striped', 'large', 9, 9]);
    expect(found).toContainEqual(['circle', 'orange', 'checkered', 'small', 24, 24]);
  });

  it('survives noise sigma 0.05 and a radius-1 blur', () => {
    for (const c of cases.filter((k) => ['3d_spatial', 'complex', 'texture', 'numeracy'].includes(k.category))) {
      const image = corrupt(renderScene(c.scene), { noise: 0.05, blur: 1 }, makeRng(7));
      expect(evaluateImage(image, c.pass).passed, c.pass).toBe(true);
      for (const wrong of c.fail) expect(evaluateImage(image, wrong).passed, wrong).toBe(false);
    }
  });

  it('ignores stray pixels and sees nothing on an empty picture', () => {
    const image = renderScene(scene(obj('square', 'green', 'medium', 10, 10)));
    const stray = [3 * (2 * 32 + 2), 3 * (29 * 32 + 5), 3 * (5 * 32 + 28)];
    for (const i of stray) image.data.set(WORLD.colors.red, i); // three lone red pixels
    expect(evaluateImage(image, 'a photo of a square').objects.length).toBe(1);
    expect(evaluateImage(image, 'a photo of a red square').passed).toBe(false);
    expect(evaluateImage(renderScene(scene()), 'a photo of a circle').objects).toEqual([]);
  });

  it('rejects words outside the grammar, naming them', () => {
    expect(() => evaluateImage(renderScene(scene()), 'a pink circle')).toThrow(/pink/);
  });
});
