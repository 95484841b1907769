// Checks that bench/torch_reference.py builds the SAME network as lib/model: the tfjs model's weights
// and one input go to PyTorch, which loads them into its twin and returns its velocity prediction.
//   npx ts-node --transpile-only bench/check-equivalence.ts [--preset tiny|base] [--mot] [--causal]
// Prints the max |v_tfjs - v_torch| (float32 rounding: ~1e-5) and exits 1 above 1e-3.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '../lib/backend/tf';
import { randomNormal } from '../lib/backend/random';
import { initBackend } from '../lib/backend/select';
import { modelDims, resolveModelConfig, type ModelPreset } from '../lib/model/config';
import { initModel, namedVariables } from '../lib/model/params';
import { predictVelocity } from '../lib/model/transformer';
import { makeRng } from '../lib/rng';
import { findPython } from './torch-runner';
import { syntheticBatch } from './workload';

const { values: args } = parseArgs({
  options: { preset: { type: 'string', default: 'tiny' }, mot: { type: 'boolean', default: false }, causal: { type: 'boolean', default: false } },
  strict: true,
});

async function main(): Promise<void> {
  await initBackend({ prefer: 'wasm', quiet: true });
  const config = resolveModelConfig(args.preset as ModelPreset, { mixtureOfTransformers: !!args.mot, textCausal: !!args.causal, initStd: 0.2 });
  const model = initModel(config, 3);
  // The head starts at zero (v = 0 everywhere): give it weights so the comparison sees the whole network.
  model.params.head.w.assign(randomNormal(model.params.head.w.shape, makeRng(4), { std: 0.2 }));
  const batchSize = 3;
  const { imageTokens, patchDim } = modelDims(config);
  const batch = syntheticBatch(config, batchSize, makeRng(5));
  const t = [0.1, 0.5, 0.9];
  const v = tf.tidy(() => predictVelocity(model, { xt: tf.tensor3d(batch.x0, [batchSize, imageTokens, patchDim]), t: tf.tensor1d(t), textTokens: batch.textTokens }));
  const payload = {
    config,
    // The velocity path only: the understanding heads and think-mode weights (heads.ts, plan.ts) have no PyTorch twin.
    weights: Object.fromEntries(namedVariables(model.params).filter(({ name }) => !/^(extraPos|understanding\.|think\.)/.test(name)).map(({ name, variable }) => [name, { shape: variable.shape, values: Array.from(variable.dataSync()) }])),
    xt: Array.from(batch.x0),
    t,
    tokens: Array.from(batch.textTokens),
    v: Array.from(v.dataSync()),
  };
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'srum-equiv-')), 'payload.json');
  fs.writeFileSync(file, JSON.stringify(payload));
  const python = findPython();
  if (python === undefined) throw new Error('PyTorch not found (see bench/torch-runner.ts for how to install it)');
  const run = spawnSync(python, [path.join(__dirname, 'torch_reference.py'), '--check', file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  const { max_abs_diff: diff } = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { max_abs_diff: number };
  process.stdout.write(`${JSON.stringify({ preset: args.preset, mixtureOfTransformers: !!args.mot, textCausal: !!args.causal, max_abs_diff: diff })}\n`);
  fs.rmSync(path.dirname(file), { recursive: true });
  if (!(diff < 1e-3)) process.exit(1);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
