import { initBackend } from './lib/backend/select';
import { loadCheckpoint } from './lib/model/checkpoint';
import { assignEmaWeights } from './lib/train/ema';
import { predictPlan } from './lib/model/plan';
import { PLAN_VALUES } from './lib/model/classes';
import { sceneOfPlan } from './lib/train/plan';
import { renderScene } from './lib/world/render';
import { evaluateImage } from './lib/eval/evaluate';
import { encodeBatch } from './lib/world/tokenizer';
import { candidatePrompts } from './lib/run/candidates';
import { isHeldOut } from './lib/world/heldout';
import { readJsonl } from './lib/io';
(async () => {
  await initBackend({ quiet: true });
  const seen = new Set(readJsonl<any>('/work/runs/hop-srum-s0/candidates/candidates.jsonl').map((l) => l.original_prompt));
  const prompts = candidatePrompts('held-out', 400, 99).filter((p) => !seen.has(p.text));
  for (const run of ['base', '/work/runs/hop-srum-s0', '/work/runs/hop-sft-s0', '/work/runs/ho-srum-s0']) {
    const { model } = loadCheckpoint('data/base');
    if (run !== 'base') assignEmaWeights(model, run + '/train');
    const plan = predictPlan(model, encodeBatch(prompts.map((p) => p.text), model.config.maxTextTokens));
    let has = 0, pass = 0;
    prompts.forEach((p, b) => {
      const scene = sceneOfPlan(plan.subarray(b * PLAN_VALUES, (b + 1) * PLAN_VALUES), model.config.planGrid, model.config.imageSize);
      const descs = p.constraints.flatMap((c: any) => (c.kind === 'relation' ? [c.subject, c.object] : [c.object]));
      has += +descs.filter((d: any) => d.color !== undefined && isHeldOut(d.color, d.shape)).every((d: any) => scene.objects.some((o) => o.color === d.color && o.shape === d.shape));
      pass += +evaluateImage(renderScene(scene), p).passed;
    });
    console.log(`${run}: ${prompts.length} unseen held-out val prompts; held-out pair in plan ${has}, world-drawn pass ${pass}`);
  }
})();
