// Checks that bench/torch_reference.py computes the SAME generation training step as lib/model: the tfjs model's
// weights and one step's inputs (t, eps, prompts, plans, thinking flags) go to PyTorch, which loads them into its
// twin and returns its velocity, loss and gradients over [text ; 4 plan tokens ; image].
//   npx ts-node --transpile-only bench/check-equivalence.ts [--preset tiny|base] [--mot] [--causal] [--conv N] [--clean]
//     [--plan-map] [--plan-grid G] [--plan-canvas] [--refine-layers N]
//   (all but --mot and --causal default to the preset's own choice; --plan-canvas needs --plan-map and --conv N > 0,
//   and wants a fine grid such as --plan-grid 16)
// Prints one JSON line; exits 1 when velocity, loss or gradients differ beyond float32 rounding, when the twin's
// parameters are not exactly the variables a generation step trains, or when the replayed inputs are not the
// ones flowTrainStep itself draws (its loss and gradient norm are compared too).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '../lib/backend/tf';
import { randomNormal } from '../lib/backend/random';
import { initBackend } from '../lib/backend/select';
import { modelDims, resolveModelConfig, type ModelPreset } from '../lib/model/config';
import { dropText, flowLoss, flowSquaredError, noisyInput, sampleTrainingTimesteps, type FlowConfig } from '../lib/model/flow';
import { AdamW } from '../lib/model/optimizer';
import { disposeModel, initModel, namedVariables, parameterCount, type UnifiedModel } from '../lib/model/params';
import { PLAN_FIELDS, PLAN_SLOTS, type PlanField } from '../lib/model/classes';
import { planConditioning } from '../lib/model/plan';
import { flowTrainStep } from '../lib/model/train-step';
import { predictVelocity } from '../lib/model/transformer';
import { makeRng } from '../lib/rng';
import { findPython, planSpec } from './torch-runner';
import { generationStepBatch } from './workload';

export interface EquivalenceOptions {
  preset: ModelPreset;
  mixtureOfTransformers: boolean;
  textCausal: boolean;
  /** Conv stem and refine channels (0 = none; lib/model/conv.ts); unset: the preset's. */
  convChannels?: number;
  /** x-prediction head (ModelConfig.cleanPrediction); unset: the preset's. */
  cleanPrediction?: boolean;
  /** Plan slot tokens spread over the image tokens they cover (ModelConfig.planMap); unset: the preset's. */
  planMap?: boolean;
  /** Cells per side of the plan grid (ModelConfig.planGrid); unset: the preset's. */
  planGrid?: number;
  /** The plan's boxes per pixel into the conv stem and refine (ModelConfig.planCanvas); unset: the preset's. */
  planCanvas?: boolean;
  /** Hidden conv layers of the refine (ModelConfig.refineLayers); unset: the preset's. */
  refineLayers?: number;
}

/** The architecture options a check may override; each unset one stays the preset's. */
const ARCHITECTURE_OPTIONS = ['convChannels', 'cleanPrediction', 'planMap', 'planGrid', 'planCanvas', 'refineLayers'] as const;

interface TorchCheck {
  max_abs_diff_velocity: number;
  max_abs_velocity: number;
  loss_torch: number;
  max_abs_diff_per_sample_loss: number;
  max_abs_diff_grad: number;
  max_abs_grad: number;
  grad_norm_torch: number;
  trained_sets_equal: boolean;
  params_torch: number;
}

const STEP_SEED = 6;
const tensorJson = (x: tf.Tensor): { shape: number[]; values: number[] } => ({ shape: x.shape, values: Array.from(x.dataSync()) });

/**
 * Runs the comparison on the current tfjs backend; the report's `failures` name every check that did not hold
 * (empty: equivalent). Throws when PyTorch is missing or the twin fails to run. Leaks no tensors.
 */
export function checkEquivalence(options: EquivalenceOptions): EquivalenceReport {
  const model = comparisonModel(options);
  const config = model.config;
  const named = namedVariables(model.params);
  const batchSize = 4;
  const textLen = config.maxTextTokens;
  const { imageTokens, patchDim } = modelDims(config);
  const shape: [number, number, number] = [batchSize, imageTokens, patchDim];
  const batch = generationStepBatch(model, batchSize, 5);
  // Every plan-token case: thinking rows (plans with present and absent slots), a row on the null plan, and a
  // thinking row whose prompt is all PAD (a dropped prompt), which must read the null plan too.
  batch.thinking = Uint8Array.from([1, 0, 1, 1]);
  batch.textTokens.fill(0, 2 * textLen, 3 * textLen);
  crowdPlan(batch.plan as Int32Array, 3, config.planGrid);
  const flow: FlowConfig = { timestepShift: 3, textDropProb: 0 };

  // Replays flowTrainStep's draws from an rng of the same seed, in its order: t, text dropout, eps.
  const replay = makeRng(STEP_SEED);
  const t = sampleTrainingTimesteps(batchSize, replay, flow.timestepShift);
  const textTokens = dropText(batch.textTokens, batchSize, flow.textDropProb, replay);
  const epsValues = randomNormal(shape, replay);
  const rowHasText = (b: number): boolean => textTokens.subarray(b * textLen, (b + 1) * textLen).some((id) => id !== 0);
  const thinking = (batch.thinking as Uint8Array).map((v, b) => (v === 1 && rowHasText(b) ? 1 : 0)); // as flowTrainStep
  const x0 = tf.tensor3d(batch.x0, shape);
  const eps = epsValues as tf.Tensor3D;
  const tTensor = tf.tensor1d(t);
  let v: tf.Tensor3D | undefined;
  const { value: loss, grads } = tf.variableGrads(
    () => {
      const conditioning = planConditioning(model, batchSize, { plan: batch.plan, thinking }); // plan tokens, and the plan map and canvas if the model has them
      v = tf.keep(predictVelocity(model, { xt: noisyInput(x0, eps, tTensor), t: tTensor, textTokens, ...conditioning }));
      return flowLoss({ vTheta: v, x0, eps });
    },
    named.map((n) => n.variable),
  );
  const velocity = v as tf.Tensor3D;
  const perSample = tf.tidy(() => tf.mean(flowSquaredError({ vTheta: velocity, x0, eps }), 1));
  // The variables a generation step reaches; the rest (understanding heads, plan-prediction queries) get no gradient.
  const trained = named.filter(({ variable }) => grads[variable.name] != null); // null: a frozen (non-trainable) variable
  const payload = {
    config,
    planSpec: planSpec(config),
    weights: Object.fromEntries(trained.map(({ name, variable }) => [name, tensorJson(variable)])),
    x0: Array.from(batch.x0),
    eps: Array.from(eps.dataSync()),
    t: Array.from(t),
    tokens: Array.from(textTokens),
    plan: Array.from(batch.plan as Int32Array),
    thinking: Array.from(batch.thinking as Uint8Array), // raw flags: the twin applies the all-PAD rule itself
    v: Array.from(velocity.dataSync()),
    perSampleLoss: Array.from(perSample.dataSync()),
    grads: Object.fromEntries(trained.map(({ name, variable }) => [name, tensorJson(grads[variable.name])])),
  };
  const lossTfjs = loss.dataSync()[0];
  tf.dispose([x0, eps, tTensor, velocity, perSample, loss, ...Object.values(grads)]);

  // The real step on the same batch and seed (learning rate 0: weights unchanged) must see the replayed inputs.
  const step = flowTrainStep({
    model,
    optimizer: new AdamW(
      named.map((n) => n.variable),
      { learningRate: 0 },
    ),
    batch,
    rng: makeRng(STEP_SEED),
    flow,
  });
  const sameTimes = step.t.every((value, i) => value === t[i]);

  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'srum-equiv-')), 'payload.json');
  fs.writeFileSync(file, JSON.stringify(payload));
  const params = { total: parameterCount(model.params), trained: trained.reduce((sum, { variable }) => sum + variable.size, 0) };
  disposeModel(model);
  const python = findPython();
  if (python === undefined) throw new Error('PyTorch not found (see bench/torch-runner.ts for how to install it)');
  const run = spawnSync(python, [path.join(__dirname, 'torch_reference.py'), '--check', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  fs.rmSync(path.dirname(file), { recursive: true });
  if (run.status !== 0) throw new Error(run.stderr);
  const torch = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as TorchCheck;
  const sequence = `[text ${textLen} ; plan ${payload.planSpec.slots} ; image ${imageTokens}]`;
  const mappedSlots = config.planMap ? presentSlots(batch.plan as Int32Array, thinking) : undefined;
  return compare({ options, sequence, lossTfjs, step: { ...step, sameTimes }, params, torch, mappedSlots });
}

/**
 * The model a comparison with the twin runs on: the options' architecture with weights of std `initStd` everywhere,
 * the zero-initialised head, refine output and plan maps included, so the comparison sees the whole network.
 */
export function comparisonModel(options: EquivalenceOptions, initStd = 0.2): UnifiedModel {
  const { preset, mixtureOfTransformers, textCausal } = options;
  // Unset options stay the preset's own choice (base: the shipped convolutions and x-prediction).
  const overrides = Object.fromEntries(ARCHITECTURE_OPTIONS.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
  const config = resolveModelConfig(preset, { mixtureOfTransformers, textCausal, initStd, ...overrides });
  const model = initModel(config, 3);
  tf.tidy(() => {
    const { think } = model.params;
    model.params.head.w.assign(randomNormal(model.params.head.w.shape, makeRng(4), { std: initStd }));
    model.params.conv?.refineOut.w.assign(randomNormal(model.params.conv.refineOut.w.shape, makeRng(7), { std: initStd }));
    think.layoutMap?.assign(randomNormal(think.layoutMap.shape, makeRng(10), { std: initStd }));
    think.offsetMap?.assign(randomNormal(think.offsetMap.shape, makeRng(11), { std: initStd }));
  });
  return model;
}

/** One plan row of PLAN_FIELDS values. */
const planRow = (fields: Record<PlanField, number>): number[] => PLAN_FIELDS.map((field) => fields[field]);

/**
 * Fills row b's slots 2 and 3 with objects over slot 0's box: slot 2 (large, one cell over, rank 3) in front of all,
 * slot 3 (on slot 0's cell, rank 2) behind slot 2 and in front of slots 0 and 1, so the canvas' front-most rule
 * decides overlapping pixels against slot order too (this batch's rendered rows hold two objects whose boxes do not overlap).
 */
function crowdPlan(plan: Int32Array, b: number, grid: number): void {
  const at = (slot: number): number => (b * PLAN_SLOTS + slot) * PLAN_FIELDS.length;
  const cell = plan[at(0) + PLAN_FIELDS.indexOf('cell')];
  const beside = (cell % grid) + 1 < grid ? cell + 1 : cell - 1;
  plan.set(planRow({ present: 1, shape: 2, color: 3, texture: 1, size: 2, cell: beside, depthRank: 3 }), at(2));
  plan.set(planRow({ present: 1, shape: 0, color: 5, texture: 2, size: 1, cell, depthRank: 2 }), at(3));
}

/** Present slots on the rows that think: what the plan map and canvas read (none: they would be tested on nothing). */
function presentSlots(plan: Int32Array, thinking: Uint8Array): number {
  return plan.filter(
    (value, i) => i % PLAN_FIELDS.length === 0 && value === 1 && thinking[Math.floor(i / (PLAN_SLOTS * PLAN_FIELDS.length))] === 1,
  ).length;
}

export type EquivalenceReport = ReturnType<typeof compare>;

interface Measured {
  options: EquivalenceOptions;
  sequence: string;
  lossTfjs: number;
  /** The real flowTrainStep's loss and gradient norm; sameTimes: it drew the replayed t. */
  step: { loss: number; gradNorm: number; sameTimes: boolean };
  params: { total: number; trained: number };
  torch: TorchCheck;
  /** With planMap: present slots on the rows that think. */
  mappedSlots?: number;
}

function compare({ options, sequence, lossTfjs, step, params, torch, mappedSlots }: Measured) {
  const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
  const report = {
    ...options,
    sequence,
    max_abs_diff: torch.max_abs_diff_velocity,
    max_abs_velocity: torch.max_abs_velocity,
    loss_tfjs: lossTfjs,
    loss_tfjs_train_step: step.loss,
    loss_torch: torch.loss_torch,
    loss_rel_diff: relative(torch.loss_torch, lossTfjs),
    max_abs_diff_per_sample_loss: torch.max_abs_diff_per_sample_loss,
    max_abs_diff_grad: torch.max_abs_diff_grad,
    max_abs_grad: torch.max_abs_grad,
    grad_norm_tfjs_train_step: step.gradNorm,
    grad_norm_torch: torch.grad_norm_torch,
    params_total: params.total,
    params_trained_by_generation_step: params.trained,
    params_torch: torch.params_torch,
    trained_sets_equal: torch.trained_sets_equal,
    ...(mappedSlots === undefined ? {} : { plan_slots_mapped: mappedSlots }),
  };
  const failures = [
    !(report.max_abs_diff < 1e-3) && 'velocity',
    !(report.loss_rel_diff < 1e-4) && 'loss',
    !(torch.max_abs_diff_grad < 1e-3 * torch.max_abs_grad) && 'gradients',
    !(relative(torch.grad_norm_torch, step.gradNorm) < 1e-3) && 'gradient norm of flowTrainStep',
    !(step.sameTimes && relative(step.loss, lossTfjs) < 1e-6) && 'replay of flowTrainStep (t, eps or thinking differ)',
    !torch.trained_sets_equal && 'trained parameter sets',
    report.params_torch !== report.params_trained_by_generation_step && 'parameter count',
    mappedSlots === 0 && 'plan map not exercised (no present slot on a thinking row)',
  ].filter((f): f is string => typeof f === 'string');
  return { ...report, failures };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      preset: { type: 'string', default: 'tiny' },
      mot: { type: 'boolean', default: false },
      causal: { type: 'boolean', default: false },
      conv: { type: 'string' },
      clean: { type: 'boolean' },
      'plan-map': { type: 'boolean' },
      'plan-grid': { type: 'string' },
      'plan-canvas': { type: 'boolean' },
      'refine-layers': { type: 'string' },
    },
    strict: true,
  });
  await initBackend({ prefer: 'wasm', quiet: true });
  const report = checkEquivalence({
    preset: args.preset as ModelPreset,
    mixtureOfTransformers: !!args.mot,
    textCausal: !!args.causal,
    convChannels: args.conv === undefined ? undefined : Number(args.conv),
    cleanPrediction: args.clean,
    planMap: args['plan-map'],
    planGrid: args['plan-grid'] === undefined ? undefined : Number(args['plan-grid']),
    planCanvas: args['plan-canvas'],
    refineLayers: args['refine-layers'] === undefined ? undefined : Number(args['refine-layers']),
  });
  process.stdout.write(`${JSON.stringify(report)}\n`);
  if (report.failures.length > 0) {
    process.stderr.write(`equivalence FAILED: ${report.failures.join(', ')}\n`);
    process.exit(1);
  }
}

// Run as a script (ts-node bench/check-equivalence.ts), not when a test imports checkEquivalence.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === __filename) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
