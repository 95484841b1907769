import { describe, expect, it } from 'vitest';
import { MAX_REGIONS, proposeRegions } from '../lib/regions/propose';
import { makeRng } from '../lib/rng';
import { sceneFor } from '../lib/world/layout';
import { blankImage, renderScene } from '../lib/world/render';
import { samplePrompt } from '../lib/world/sample';
import { shapeMask } from '../lib/world/geometry';
import { CATEGORIES, Scene } from '../lib/world/types';
import { Box } from '../lib/judge/records';

const trueBox = (o: Scene['objects'][number]): Box => [
  o.cx - o.diameter / 2,
  o.cy - o.diameter / 2,
  o.cx + o.diameter / 2,
  o.cy + o.diameter / 2,
];
/** The box of the pixels an object shows (nearer objects hide part of farther ones); its true box when unoccluded. */
function visibleBox(scene: Scene, index: number): Box {
  const masks = scene.objects.map((o) => shapeMask(o, scene.width, scene.height));
  const own = scene.objects[index];
  const box: Box = [Infinity, Infinity, -Infinity, -Infinity];
  masks[index].forEach((inside, i) => {
    const hidden = scene.objects.some((o, k) => k !== index && masks[k][i] === 1 && o.depth > own.depth);
    if (inside === 0 || hidden) return;
    const x = i % scene.width;
    const y = Math.floor(i / scene.width);
    [box[0], box[1], box[2], box[3]] = [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x + 1), Math.max(box[3], y + 1)];
  });
  return box;
}
const boxError = (a: Box, b: Box): number => Math.max(...a.map((v, k) => Math.abs(v - b[k])));

describe('proposeRegions (the SAM stand-in)', () => {
  it('finds every object of scenes with at most 4 objects within 2 px of its true (visible) box', () => {
    const rng = makeRng(7);
    let objects = 0;
    let occluded = 0;
    const worst: number[] = [];
    for (const category of CATEGORIES) {
      for (let k = 0; k < 6; k++) {
        const scene = sceneFor(samplePrompt(category, rng.fork(`${category}:${k}`)), rng.fork(`layout:${category}:${k}`));
        if (scene.objects.length > 4) continue;
        const proposals = proposeRegions(renderScene(scene));
        expect(proposals.length).toBeLessThanOrEqual(MAX_REGIONS);
        scene.objects.forEach((o, index) => {
          const visible = visibleBox(scene, index);
          // Unoccluded objects are held to their geometric box; a partly hidden one to the part it shows.
          if (boxError(visible, trueBox(o)) > 0) occluded++;
          const error = Math.min(...proposals.map((p) => boxError(p.bbox, visible)));
          worst.push(error);
          objects++;
        });
      }
    }
    expect(objects).toBeGreaterThan(100);
    expect(occluded).toBeGreaterThan(0);
    expect(Math.max(...worst)).toBeLessThanOrEqual(2);
  });

  it('reports the whole background as one region and sorts by area, largest first', () => {
    const blank = proposeRegions(blankImage(20, 12));
    expect(blank).toEqual([{ bbox: [0, 0, 20, 12], area: 240 }]);
    const scene: Scene = {
      width: 32,
      height: 32,
      objects: [
        { shape: 'square', color: 'red', texture: 'plain', size: 'small', cx: 8, cy: 8, diameter: 8, depth: 0 },
        { shape: 'square', color: 'blue', texture: 'plain', size: 'large', cx: 22, cy: 22, diameter: 14, depth: 1 },
      ],
    };
    const proposals = proposeRegions(renderScene(scene));
    // Background: every pixel but the two squares (64 + 196 pixels).
    expect(proposals).toEqual([
      { bbox: [0, 0, 32, 32], area: 32 * 32 - 64 - 196 },
      { bbox: [15, 15, 29, 29], area: 196 },
      { bbox: [4, 4, 12, 12], area: 64 },
    ]);
  });

  it('keeps at most 5 regions: the largest ones', () => {
    const objects: Scene['objects'] = [];
    for (let k = 0; k < 6; k++) {
      // Six squares of sides 4, 6, 8 (16, 36, 64 px) in a 3 x 2 grid, far enough apart not to touch.
      const diameter = 4 + 2 * (k % 3);
      objects.push({
        shape: 'square',
        color: k % 2 === 0 ? 'red' : 'green',
        texture: 'plain',
        size: 'small',
        cx: 6 + 10 * (k % 3),
        cy: 8 + 14 * Math.floor(k / 3),
        diameter,
        depth: k,
      });
    }
    const proposals = proposeRegions(renderScene({ width: 32, height: 32, objects }));
    expect(proposals).toHaveLength(MAX_REGIONS);
    const areas = proposals.map((p) => p.area);
    expect(areas).toEqual([...areas].sort((a, b) => b - a));
    // Background first, then the four larger squares; both 16-px squares are dropped.
    expect(areas.slice(1)).toEqual([64, 64, 36, 36]);
    expect(proposeRegions(renderScene({ width: 32, height: 32, objects }), { maxRegions: 2 })).toHaveLength(2);
  });
});
