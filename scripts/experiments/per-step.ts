// Experiment (paper Figure 4): layout and detail scores of the predicted clean image x0_hat at every sampling step, per
// arm, by the independent evaluator and by the model's own judge (lib/eval/per-step.ts; the two scores are defined in
// lib/eval/layout-detail.ts). Arms are `name=checkpoint-or-run-dir[:sampler key=value...]` as in `srum compare`
// (think=off is normal mode, think=on the default think mode), all on the same protocol images and keyed noise.
// Resumable and additive: arms already in --out (same protocol, source and sampler settings) are kept, not redrawn, and
// arms of an earlier command on the same protocol stay in the file (each records the command that drew it).
// Regenerate (val, 533 prompts x 1 draw; the paper's arms once their runs exist, e.g. sft=runs/sft,srum=runs/srum):
//   npx ts-node --transpile-only scripts/experiments/per-step.ts \
//     --arms base-normal=data/base:think=off,base-think=data/base:think=on --out figures/results/per-step.json
//   npx ts-node --transpile-only scripts/figures/per-step.ts
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { parseArmSpecs } from '../../lib/cli/compare';
import { writeJsonAtomic } from '../../lib/io';
import { loadArm } from '../../lib/eval/compare';
import { perStepArm, perStepScores, type PerStepResultFile } from '../../lib/eval/per-step';
import { DEFAULT_PROTOCOL, protocolImages, type ProtocolConfig } from '../../lib/eval/protocol';
import { DEFAULT_SAMPLING } from '../../lib/generate/generate';
import { disposeModel } from '../../lib/model/params';
import { Progress } from '../../lib/progress';
import { runScript } from '../lib/run-script';

const DEFINITIONS = {
  layout:
    "share of the prompt's relation and count constraints satisfied, each object named by its noun (plus the fields " +
    'telling two same-shape objects apart): positions, depth order, size comparison, containment, numbers',
  detail: 'share of the distinct noun-attribute pairs the prompt states (a circle, a green circle, a striped circle) found on some object',
  judge: "the same constraints, satisfied when the model's own verdict (lib/judge/verdict.ts, default source) gives P(yes) > 0.5",
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      arms: { type: 'string', default: 'base-normal=data/base:think=off,base-think=data/base:think=on' },
      split: { type: 'string', default: DEFAULT_PROTOCOL.split },
      'per-category': { type: 'string', default: String(DEFAULT_PROTOCOL.perCategory) },
      draws: { type: 'string', default: '1' },
      seed: { type: 'string', default: String(DEFAULT_PROTOCOL.seed) },
      batch: { type: 'string', default: '16' },
      'no-judge': { type: 'boolean', default: false },
      out: { type: 'string', default: 'figures/results/per-step.json' },
    },
    strict: true,
  });
  if (values.split !== 'val') throw new Error('per-step scores are a diagnostic: read them on --split val');
  const protocol: ProtocolConfig = {
    split: 'val',
    perCategory: Number(values['per-category']),
    draws: Number(values.draws),
    seed: Number(values.seed),
  };
  const batchSize = Number(values.batch);
  const judge = !values['no-judge'];
  const arms = parseArmSpecs(values.arms);
  const images = protocolImages(protocol);
  const command = `npx ts-node --transpile-only scripts/experiments/per-step.ts ${process.argv
    .slice(2)
    .map((a) => (/[\s;'"]/.test(a) ? `'${a}'` : a))
    .join(' ')}`.trim();
  const saved = fs.existsSync(values.out) ? (JSON.parse(fs.readFileSync(values.out, 'utf8')) as PerStepResultFile) : undefined;
  const sameProtocol = saved !== undefined && JSON.stringify(saved.protocol) === JSON.stringify(withCounts(protocol, images.length));
  if (saved !== undefined && !sameProtocol) console.log(`${values.out} holds another protocol: its arms are redrawn`);
  const result: PerStepResultFile = {
    command,
    protocol: withCounts(protocol, images.length),
    steps: sameProtocol ? saved.steps : [],
    t: sameProtocol ? saved.t : [],
    unit: 'percent of constraints satisfied; *_se: one standard error clustered by prompt text',
    definitions: DEFINITIONS,
    default_sampling: DEFAULT_SAMPLING,
    arms: sameProtocol ? saved.arms : {},
  };
  await initBackend({ quiet: true });
  console.log(`${result.protocol.n_prompts} val prompts x ${protocol.draws} draw(s); arms: ${Object.keys(arms).join(', ')}`);
  for (const [name, arm] of Object.entries(arms)) {
    if (typeof arm.source !== 'string') throw new Error(`arm ${name}: a checkpoint or run directory`);
    const source = arm.source;
    const sampling = arm.sampling ?? {};
    const kept = sameProtocol ? saved.arms[name] : undefined;
    const keep =
      kept !== undefined &&
      kept.source === source &&
      JSON.stringify(kept.sampling) === JSON.stringify(sampling) &&
      (kept.judge_layout !== undefined || !judge);
    if (keep) {
      console.log(`${name}: kept from ${values.out}`);
      continue;
    }
    const model = loadArm(source);
    const progress = new Progress({ label: name, total: images.length, unit: 'img' });
    const start = Date.now();
    let last = 0;
    try {
      const steps = perStepScores(model, {
        images,
        seed: protocol.seed,
        sampling,
        judge,
        batchSize,
        onProgress: (done) => {
          progress.tick(done - last);
          last = done;
        },
      });
      const [stepNumbers, ts] = [steps.map((s) => s.step), steps.map((s) => s.t)];
      if (result.steps.length > 0 && JSON.stringify(result.steps) !== JSON.stringify(stepNumbers))
        throw new Error(
          `arm ${name} samples ${stepNumbers.length} steps, the others ${result.steps.length}: give every arm one step count`,
        );
      [result.steps, result.t] = [stepNumbers, ts];
      result.arms[name] = { command, source, sampling, ...perStepArm(steps), seconds: (Date.now() - start) / 1000 };
    } finally {
      disposeModel(model);
    }
    const done = result.arms[name];
    console.log(
      `${name}: ${done.seconds.toFixed(0)} s (${((1000 * done.seconds) / images.length).toFixed(0)} ms per image); ` +
        `last step: layout ${done.layout.at(-1)?.toFixed(1)} ± ${done.layout_se.at(-1)?.toFixed(1)}, ` +
        `detail ${done.detail.at(-1)?.toFixed(1)} ± ${done.detail_se.at(-1)?.toFixed(1)}`,
    );
    writeJsonAtomic(values.out, result); // after every arm: a stopped run resumes from here
  }
  writeJsonAtomic(values.out, result);
  console.log(`wrote ${values.out}`);
}

function withCounts(protocol: ProtocolConfig, nImages: number): PerStepResultFile['protocol'] {
  return { ...protocol, n_prompts: nImages / protocol.draws, n_images: nImages };
}

runScript(main);
