// Planning apart from drawing: each arm's think-mode plans (argmax) for the protocol's prompt texts, drawn by the
// world's renderer instead of the model and scored by the independent evaluator. A post-training run that loses
// points while its plans pass as often as the base's has lost them in the drawing, not in the planner.
// A diagnostic on val (one plan per text, so the paired SE is over texts); seconds per arm, no diffusion sampling.
// Regenerate:
//   npx ts-node --transpile-only scripts/experiments/plan-quality.ts --arms base=data/base,srum@0=runs/gain/srum@0 \
//     --out figures/results/plan-quality-val.json
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { parseArmSpecs } from '../../lib/cli/compare';
import { loadArm } from '../../lib/eval/compare';
import { evaluateImage } from '../../lib/eval/evaluate';
import { clusteredMean } from '../../lib/eval/gap';
import { protocolPrompts, DEFAULT_PROTOCOL } from '../../lib/eval/protocol';
import { writeJsonAtomic } from '../../lib/io';
import { disposeModel } from '../../lib/model/params';
import { worldDrawnPlans } from '../../lib/train/plan';
import { mentionsHeldOut } from '../../lib/world/splits';
import { runScript } from '../lib/run-script';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { arms: { type: 'string' }, out: { type: 'string' }, split: { type: 'string', default: 'val' } },
    strict: true,
  });
  if (values.arms === undefined || values.out === undefined)
    throw new Error('usage: plan-quality.ts --arms base=DIR,NAME=DIR,... --out FILE');
  if (values.split !== 'val') throw new Error('plan-quality.ts is a val diagnostic (--split val)');
  const arms = Object.entries(parseArmSpecs(values.arms)).map(([name, arm]) => {
    if (arm.sampling !== undefined) throw new Error(`--arms ${name}: plans are argmax, no sampler settings apply`);
    return { name, source: arm.source as string };
  });
  if (arms[0].name !== 'base') throw new Error('--arms: the first arm must be base (the others are paired to it)');
  await initBackend({ quiet: true });
  const prompts = protocolPrompts('val', DEFAULT_PROTOCOL.perCategory);
  const texts = prompts.map((p) => p.text);
  const passed: Record<string, number[]> = {};
  for (const { name, source } of arms) {
    const model = loadArm(source);
    passed[name] = worldDrawnPlans(model, texts).map((image, i) => Number(evaluateImage(image, prompts[i]).passed));
    disposeModel(model);
  }
  const heldOut = prompts.map(mentionsHeldOut);
  const pct = (v: number[]): number | null => (v.length === 0 ? null : (100 * v.reduce((a, b) => a + b, 0)) / v.length);
  const categories = [...new Set(prompts.map((p) => p.category))];
  const paired = (name: string, keep: (i: number) => boolean): { mean: number; se: number } => {
    const index = texts.map((_, i) => i).filter(keep);
    const m = clusteredMean(
      index.map((i) => 100 * (passed[name][i] - passed.base[i])),
      index.map((i) => texts[i]),
    );
    return { mean: m.mean, se: m.se };
  };
  const result = {
    command: `npx ts-node --transpile-only scripts/experiments/plan-quality.ts ${process.argv.slice(2).join(' ')}`,
    split: 'val',
    n_prompts: texts.length,
    what: 'evaluator pass % of the argmax think-mode plan drawn by the world renderer (planning apart from drawing)',
    arms: Object.fromEntries(
      arms.map(({ name, source }) => [
        name,
        {
          source,
          plan_pass: pct(passed[name]),
          in_domain: pct(passed[name].filter((_, i) => !heldOut[i])),
          held_out: pct(passed[name].filter((_, i) => heldOut[i])),
          // per category, in-domain and held-out-pair texts apart (where the planner fails, not only how often)
          by_category: Object.fromEntries(
            categories.map((c) => {
              const of = (held: boolean): number[] => passed[name].filter((_, i) => prompts[i].category === c && heldOut[i] === held);
              return [c, { in_domain: pct(of(false)), held_out: pct(of(true)) }];
            }),
          ),
        },
      ]),
    ),
    paired: Object.fromEntries(
      arms
        .slice(1)
        .map(({ name }) => [
          `${name}-base`,
          { overall: paired(name, () => true), in_domain: paired(name, (i) => !heldOut[i]), held_out: paired(name, (i) => heldOut[i]) },
        ]),
    ),
  };
  writeJsonAtomic(values.out, result);
  for (const { name } of arms) {
    const a = result.arms[name];
    const d = result.paired[`${name}-base`];
    console.log(
      `${name.padEnd(16)} plan pass ${a.plan_pass!.toFixed(1)}%${d ? `  - base ${d.overall.mean.toFixed(1)} ± ${d.overall.se.toFixed(1)}` : ''}`,
    );
    const cell = (v: number | null): string => (v === null ? '  -' : v.toFixed(0).padStart(3));
    console.log(
      '  in-domain / held-out by category: ' +
        Object.entries(a.by_category)
          .map(([c, v]) => `${c} ${cell(v.in_domain)}/${cell(v.held_out)}`)
          .join('  '),
    );
  }
}

runScript(main);
