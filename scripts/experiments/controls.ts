// The controls every post-training method is read against (run them before the method): what post-training does by
// itself. From the shipped base, per training seed:
//   replay  - the post-training loop with no new data: only the replayed pretraining updates (method 'replay');
//   gt_sft  - supervised fine-tuning on ground-truth renders of the candidate prompts (think mode: each render with its
//             scene's plan), with the default post-training (replay, decayed rate, EMA warm-up).
// Both run the standard step count (--steps, default SrumConfig.steps); with --scale 4 each arm also runs 4x as long.
// Then every arm, the base included, is scored on the evaluation protocol (paired: same prompts, same noise) and on
// understanding (rendered scenes of the same split, the model's own verdict vs the truth).
// Regenerate (val; resumable: finished runs and scored arms are kept; the two --train-only lines first, side by side,
// use both cores for the training runs):
//   npx ts-node --transpile-only scripts/experiments/controls.ts --seeds 0,1,2 --train-only replay
//   npx ts-node --transpile-only scripts/experiments/controls.ts --seeds 0,1,2 --train-only gt_sft
//   npx ts-node --transpile-only scripts/experiments/controls.ts --seeds 0,1,2 --out figures/results/controls.json
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { writeJsonAtomic } from '../../lib/io';
import { cachedUnderstanding, compareArms, formatComparison, scoreArms, seedColumns, type Arm } from '../../lib/eval/compare';
import { autoWorkers, SamplerPool } from '../../lib/eval/pool';
import { DEFAULT_PROTOCOL, type ProtocolConfig } from '../../lib/eval/protocol';
import { loadCheckpoint, readManifest } from '../../lib/model/checkpoint';
import { disposeModel } from '../../lib/model/params';
import { makeRng } from '../../lib/rng';
import { planTargets } from '../../lib/train/plan';
import { DEFAULT_SRUM_CONFIG } from '../../lib/train/srum-config';
import { trainSrum } from '../../lib/train/srum';
import type { SrumCandidate } from '../../lib/train/srum-data';
import { sceneIfFits } from '../../lib/world/layout';
import { renderScene } from '../../lib/world/render';
import { samplePrompts } from '../../lib/world/splits';
import { runScript } from '../lib/run-script';

/** Ground-truth renders of n train prompts (the candidate prompts of seed `seed`), each with its scene's plan. */
function groundTruthCandidates(n: number, seed: number, planGrid: number): SrumCandidate[] {
  const rng = makeRng(seed).fork('gt-scenes');
  const record = { vlm_rewards: [{ object: 'global_layout_reward', score: 1, bbox: [0, 0, 32, 32] }] }; // SFT reads no reward
  return samplePrompts({ split: 'train', n, seed }).flatMap((prompt) => {
    const scene = sceneIfFits(prompt, rng);
    return scene === undefined ? [] : [{ image: renderScene(scene), prompt: prompt.text, plan: planTargets(scene, planGrid), record }];
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '0,1,2' },
      steps: { type: 'string', default: String(DEFAULT_SRUM_CONFIG.steps) },
      scale: { type: 'string', default: '1' },
      'n-candidates': { type: 'string', default: '256' },
      checkpoint: { type: 'string', default: 'data/base' },
      runs: { type: 'string', default: 'runs/controls' },
      split: { type: 'string', default: DEFAULT_PROTOCOL.split },
      'per-category': { type: 'string', default: String(DEFAULT_PROTOCOL.perCategory) },
      draws: { type: 'string', default: String(DEFAULT_PROTOCOL.draws) },
      'understanding-n': { type: 'string', default: '400' },
      out: { type: 'string' },
      set: { type: 'string', default: '' },
      'train-only': { type: 'string', default: '' },
    },
    strict: true,
  });
  const trainOnly = values['train-only']; // 'replay' or 'gt_sft': train that arm's runs and stop (two processes, two cores)
  if (values.out === undefined && trainOnly === '')
    throw new Error('usage: controls.ts --out RESULT.json [--seeds 0,1,2] [--steps 200] [--scale 4] [--split val]');
  const seeds = values.seeds.split(',').map(Number);
  const scales = values.scale === '1' ? [1] : [1, Number(values.scale)];
  const steps = Number(values.steps);
  const split = values.split as ProtocolConfig['split'];
  if (split === 'test') throw new Error('controls are chosen and read on val');
  const extra = Object.fromEntries(
    values.set
      .split(',')
      .filter((s) => s !== '')
      .map((kv) => [kv.split('=')[0], JSON.parse(kv.split('=')[1])]),
  );
  await initBackend();
  const planGrid = readManifest(values.checkpoint).model_config.planGrid;
  const arms: Record<string, Arm> = { base: { source: values.checkpoint } };
  for (const scale of scales) {
    for (const seed of seeds) {
      const suffix = scale === 1 ? '' : `-x${scale}`;
      const jobs = [
        { name: `replay${suffix}`, config: { method: 'replay' }, candidates: [] as SrumCandidate[] },
        {
          name: `gt_sft${suffix}`,
          config: { method: 'sft' },
          candidates: groundTruthCandidates(Number(values['n-candidates']), 100 + seed, planGrid),
        },
      ];
      for (const job of jobs.filter((j) => trainOnly === '' || j.name.startsWith(trainOnly))) {
        const outDir = path.join(values.runs, `${job.name}@${seed}`);
        const finished = fs.existsSync(path.join(outDir, 'manifest.json')) && readManifest(outDir).step >= steps * scale;
        if (!finished) {
          const { model } = loadCheckpoint(values.checkpoint);
          const command = `controls.ts ${job.name} seed ${seed}: trainSrum ${JSON.stringify({ ...job.config, steps: steps * scale, seed, ...extra })}`;
          await trainSrum({
            model,
            preset: 'base',
            candidates: job.candidates,
            outDir,
            config: { ...job.config, steps: steps * scale, seed, ...extra },
            command,
          });
          disposeModel(model);
        }
        arms[`${job.name}@${seed}`] = { source: outDir };
      }
    }
  }
  if (trainOnly !== '') return;
  const protocol: ProtocolConfig = {
    split,
    perCategory: Number(values['per-category']),
    draws: Number(values.draws),
    seed: DEFAULT_PROTOCOL.seed,
  };
  const pool = await SamplerPool.open(autoWorkers());
  const scores = await scoreArms({
    pool,
    protocol,
    arms,
    file: path.join(values.runs, `scores-${split}.json`),
    onProgress: (arm, done, total) => {
      if (done % 512 === 0 || done === total) console.error(`[controls] ${arm}: ${done}/${total}`);
    },
  });
  await pool.close();
  const report = compareArms(scores);
  console.log(formatComparison(report));
  // Understanding per arm: percent of rendered val scenes (half contradicted) the model's own verdict gets right.
  const understanding = cachedUnderstanding(arms, {
    file: path.join(values.runs, `understanding-${split}.json`),
    n: Number(values['understanding-n']),
    seed: 11,
    split,
  });
  const perSeed = (group: string): { overall: number[]; understanding: number[] } => seedColumns(scores, understanding, group, seeds);
  const groups = Object.keys(report.arms);
  const command = `npx ts-node --transpile-only scripts/experiments/controls.ts ${process.argv.slice(2).join(' ')}`;
  writeJsonAtomic(values.out!, {
    command,
    protocol: { split, n_prompts: report.protocol.n_prompts, draws: protocol.draws, seeds, steps, scales },
    arms: Object.fromEntries(groups.map((g) => [g, perSeed(g)])),
    paired: Object.fromEntries(
      Object.entries(report.paired).map(([k, v]) => [
        k,
        { mean: v.overall.mean, se: v.overall.se, in_domain: v.in_domain, held_out: v.held_out },
      ]),
    ),
    understanding_paired: Object.fromEntries(
      groups
        .filter((g) => g !== 'base')
        .map((g) => {
          const diffs = perSeed(g).understanding.map((u) => u - understanding.base);
          return [`${g}-base`, { mean: diffs.reduce((a, b) => a + b, 0) / diffs.length, per_seed: diffs }];
        }),
    ),
    report,
  });
  console.log(`understanding (%): ${JSON.stringify(understanding)}`);
}

runScript(main);
