// Think mode's layout plan: the targets the model learns to predict from the prompt alone.
// A plan has PLAN_SLOTS object slots. Slot order is the order in which the prompt mentions its objects, with
// counts expanded ("two red circles and a blue square" -> red circle, red circle, blue square; a relation ->
// subject, then object). layout.sceneFor builds scene.objects in exactly that order, so slot i is
// scene.objects[i] (promptSlots() states the order; test/data.test.ts checks the scenes keep it).
// Each slot holds integer classes, in the field order of PLAN_FIELDS:
//   present    0/1 (slots beyond the scene's objects are 0 and their other fields are PLAN_IGNORE);
//   shape, color, texture, size  indices into SHAPES, COLORS, TEXTURES, SIZES (the scene's values, also for
//              attributes the prompt leaves open: the plan commits to them);
//   cell       the cell of a G x G grid holding the object's centre, row-major (row * G + col); G = ModelConfig.planGrid,
//              PLAN_GRID = 4 by default;
//   depthRank  0 = farthest object of the scene, 1 = next, ... (ties broken by slot order).
import { COLORS, SHAPES, SIZES, TEXTURES, type ObjectDesc, type Prompt, type Scene, type SceneObject } from '../world/types';
import { WORLD } from '../world/config';
import { PLAN_FIELDS, PLAN_GRID, PLAN_IGNORE, PLAN_SLOTS, PLAN_VALUES, planCellCentre } from '../model/classes';
import { predictPlan } from '../model/plan';
import type { UnifiedModel } from '../model/params';
import { renderScene } from '../world/render';
import type { RgbImage } from '../world/types';
import { encodeBatch } from '../world/tokenizer';

/** The objects a prompt asks for, in slot order (mention order, counts expanded). */
export function promptSlots(prompt: Prompt): ObjectDesc[] {
  return prompt.constraints.flatMap((c) => {
    if (c.kind === 'relation') return [c.subject, c.object];
    return Array.from({ length: c.kind === 'count' ? c.count : 1 }, () => c.object);
  });
}

/** The centre's cell of the grid x grid plan grid, row-major. */
export function planCell(cx: number, cy: number, width: number, height: number, grid = PLAN_GRID): number {
  const col = Math.min(grid - 1, Math.max(0, Math.floor((cx / width) * grid)));
  const row = Math.min(grid - 1, Math.max(0, Math.floor((cy / height) * grid)));
  return row * grid + col;
}

/** Object indices from the farthest to the nearest (ties broken by index). */
export function depthOrder(scene: Scene): number[] {
  return scene.objects
    .map((o, i) => ({ depth: o.depth, i }))
    .sort((a, b) => a.depth - b.depth || a.i - b.i)
    .map(({ i }) => i);
}

/** Each object's depth rank: 0 = farthest object of the scene, 1 = next, ... (ties broken by index). */
export function depthRanks(scene: Scene): number[] {
  const rank = new Array<number>(scene.objects.length);
  depthOrder(scene).forEach((i, r) => (rank[i] = r));
  return rank;
}

/** Plan targets of one scene on a grid x grid plan grid: Int32Array [PLAN_SLOTS, PLAN_FIELDS.length]. */
export function planTargets(scene: Scene, grid = PLAN_GRID): Int32Array {
  const fields = PLAN_FIELDS.length;
  if (scene.objects.length > PLAN_SLOTS) throw new Error(`planTargets: ${scene.objects.length} objects, a plan has ${PLAN_SLOTS} slots`);
  const out = new Int32Array(PLAN_VALUES).fill(PLAN_IGNORE);
  const rank = depthRanks(scene);
  for (let slot = 0; slot < PLAN_SLOTS; slot++) {
    const o = scene.objects[slot];
    const row = out.subarray(slot * fields, (slot + 1) * fields);
    if (o === undefined) {
      row[0] = 0;
      continue;
    }
    row.set([
      1,
      SHAPES.indexOf(o.shape),
      COLORS.indexOf(o.color),
      TEXTURES.indexOf(o.texture),
      SIZES.indexOf(o.size),
      planCell(o.cx, o.cy, scene.width, scene.height, grid),
      rank[slot],
    ]);
  }
  return out;
}

/** Plan targets of several scenes, one after another: Int32Array [scenes, PLAN_SLOTS, PLAN_FIELDS.length]. */
export function planBatch(scenes: readonly Scene[], grid = PLAN_GRID): Int32Array {
  const out = new Int32Array(scenes.length * PLAN_VALUES);
  scenes.forEach((scene, b) => out.set(planTargets(scene, grid), b * PLAN_VALUES));
  return out;
}

/**
 * The scene a plan describes (the inverse of planTargets up to the cell): one object per present slot, centred on
 * its cell's centre, drawn in depth-rank order. Rendering it shows what a plan asks for, apart from the drawing.
 */
export function sceneOfPlan(plan: Int32Array, grid = PLAN_GRID, width: number = WORLD.imageSize, height: number = width): Scene {
  const fields = PLAN_FIELDS.length;
  if (plan.length !== PLAN_VALUES) throw new Error(`sceneOfPlan: a plan has ${PLAN_VALUES} values, got ${plan.length}`);
  const objects: SceneObject[] = [];
  for (let slot = 0; slot < PLAN_SLOTS; slot++) {
    const [present, shape, color, texture, size, cell, depth] = plan.subarray(slot * fields, (slot + 1) * fields);
    if (present !== 1) continue;
    const sizeName = SIZES[size];
    objects.push({
      shape: SHAPES[shape],
      color: COLORS[color],
      texture: TEXTURES[texture],
      size: sizeName,
      ...planCellCentre(cell, grid, width, height),
      diameter: WORLD.diameters[sizeName] * (width / WORLD.imageSize),
      depth,
    });
  }
  return { width, height, objects };
}

/** One plan [PLAN_SLOTS, fields] drawn by the world's renderer on an imageSize square (not by the model). */
export function drawPlan(plan: Int32Array, planGrid: number, imageSize: number): RgbImage {
  return renderScene(sceneOfPlan(plan, planGrid, imageSize));
}

/** The model's think-mode plans for the prompts, each drawn by the world's renderer (not by the model): planning apart from drawing. */
export function worldDrawnPlans(model: UnifiedModel, texts: readonly string[]): RgbImage[] {
  const plan = predictPlan(model, encodeBatch(texts, model.config.maxTextTokens));
  return texts.map((_, b) =>
    drawPlan(plan.subarray(b * PLAN_VALUES, (b + 1) * PLAN_VALUES), model.config.planGrid, model.config.imageSize),
  );
}
