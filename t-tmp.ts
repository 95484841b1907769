import { initBackend } from './lib/backend/select';
import { loadCheckpoint } from './lib/model/checkpoint';
import { predictPlan } from './lib/model/plan';
import { PLAN_VALUES, type PlanField } from './lib/model/classes';
import { sceneOfPlan } from './lib/train/plan';
import { renderScene } from './lib/world/render';
import { evaluateImage } from './lib/eval/evaluate';
import { encodeBatch } from './lib/world/tokenizer';
import { candidatePrompts } from './lib/run/candidates';
import { isHeldOut } from './lib/world/heldout';
import { makeRng } from './lib/rng';
(async () => {
  await initBackend({ quiet: true });
  const { model } = loadCheckpoint('data/base');
  const prompts = candidatePrompts('held-out', 256, 0);
  const tokens = encodeBatch(prompts.map((p) => p.text), model.config.maxTextTokens);
  const cfgs: [number, PlanField[]][] = [[0, []], [1, ['shape']], [2, ['shape']], [4, ['shape']], [2, ['shape', 'color']], [4, ['shape', 'color']]];
  for (const [T, fields] of cfgs) {
    const plan = predictPlan(model, tokens, T === 0 ? undefined : { temperature: T, rng: makeRng(7), fields });
    let has = 0, pass = 0;
    prompts.forEach((p, b) => {
      const scene = sceneOfPlan(plan.subarray(b * PLAN_VALUES, (b + 1) * PLAN_VALUES), model.config.planGrid, model.config.imageSize);
      const descs = p.constraints.flatMap((c) => (c.kind === 'relation' ? [c.subject, c.object] : [c.object]));
      has += +descs.filter((d) => d.color !== undefined && isHeldOut(d.color, d.shape)).every((d) => scene.objects.some((o) => o.color === d.color && o.shape === d.shape));
      pass += +evaluateImage(renderScene(scene), p).passed;
    });
    console.log(`T ${T} ${fields.join('+')}: held-out pair in plan ${has}/256, world-drawn pass ${pass}/256`);
  }
})();
