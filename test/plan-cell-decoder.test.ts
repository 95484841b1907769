// Autoregressive plan cells (planCellDecoder): each slot's context holds only the slots before it, training is
// teacher-forced (a later slot's target never reaches an earlier slot's logits), an untrained decoder changes
// nothing, decoding is slot after slot and self-consistent, a head-only plan step moves the decoder but not the
// backbone and leaks nothing, and a later stage may add the decoder over a checkpoint without it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { loadWeightsByName, saveCheckpoint } from '../lib/model/checkpoint';
import { PLAN_FIELDS, PLAN_SLOTS, SLOT_CONTEXT_FEATURES } from '../lib/model/classes';
import { resolveModelConfig } from '../lib/model/config';
import { AdamW } from '../lib/model/optimizer';
import { disposeModel, initModel, namedVariables, variablesOf } from '../lib/model/params';
import { planLogits, predictPlan, slotContext } from '../lib/model/plan';
import { gradientStep, planLoss } from '../lib/train/head-losses';
import { encodeBatch } from '../lib/world/tokenizer';

const F = PLAN_FIELDS.length;
const config = resolveModelConfig('tiny', { planGrid: 16, planCellDecoder: true });
const root = mkdtempSync(join(tmpdir(), 'cell-decoder-'));
const prompts = ['a red circle on the left of a blue square', 'two green triangles'];
const tokens = encodeBatch(prompts, config.maxTextTokens);

/** Two prompts' plans: row 0 has slots 0 and 1 present, row 1 slots 0, 1 and 2. */
function twoPlans(): Int32Array {
  const plan = new Int32Array(2 * PLAN_SLOTS * F).fill(-1);
  const slot = (b: number, s: number, values: number[]): void => plan.set(values, (b * PLAN_SLOTS + s) * F);
  slot(0, 0, [1, 0, 0, 0, 1, 5 * 16 + 3, 0]);
  slot(0, 1, [1, 1, 4, 0, 2, 5 * 16 + 12, 1]);
  slot(0, 2, [0]);
  slot(0, 3, [0]);
  slot(1, 0, [1, 2, 3, 0, 0, 2 * 16 + 2, 0]);
  slot(1, 1, [1, 2, 3, 0, 0, 12 * 16 + 12, 1]);
  slot(1, 2, [1, 2, 3, 0, 0, 8 * 16 + 8, 2]);
  slot(1, 3, [0]);
  return plan;
}

/** The jittered decoder output layer (zero at start, which would hide every dependence). */
function jitterDecoder(model: ReturnType<typeof initModel>): void {
  const out = model.params.think.cellDecoder!.out.w;
  tf.tidy(() => out.assign(tf.randomNormal(out.shape, 0, 0.5, 'float32', 11)));
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('autoregressive plan cells (planCellDecoder)', () => {
  it('gives each slot the boxes of the present slots before it, and nothing else', () => {
    const model = initModel(config, 1);
    const context = slotContext(model, twoPlans()); // [2 * S, SLOT_CONTEXT_FEATURES]
    const row = (b: number, s: number): number[] =>
      Array.from(context.subarray((b * PLAN_SLOTS + s) * SLOT_CONTEXT_FEATURES, (b * PLAN_SLOTS + s + 1) * SLOT_CONTEXT_FEATURES));
    expect(row(0, 0).every((v) => v === 0)).toBe(true);
    const [present, x, y, r] = row(0, 1).slice(0, 4);
    expect(present).toBe(1);
    expect(x).toBeCloseTo((2 * 3.5 * 2) / 32 - 1, 6); // cell column 3 of 16 -> centre 7 px
    expect(y).toBeCloseTo((2 * 5.5 * 2) / 32 - 1, 6);
    expect(r).toBeGreaterThan(0);
    expect(
      row(0, 1)
        .slice(4)
        .every((v) => v === 0),
    ).toBe(true);
    expect(
      row(0, 3)
        .slice(8)
        .every((v) => v === 0),
    ).toBe(true); // slot 2 of row 0 is absent
    expect(row(1, 3).slice(8, 9)).toEqual([1]); // slot 2 of row 1 is present
    disposeModel(model);
  });

  it('an untrained decoder changes nothing; a teacher is required; later targets never reach earlier slots', () => {
    const plain = initModel(resolveModelConfig('tiny', { planGrid: 16 }), 1);
    const model = initModel(config, 1);
    expect(() => planLogits(model, tokens)).toThrow(/teacher/);
    const cells = (m: typeof model, teacher?: Int32Array): Float32Array =>
      tf.tidy(() => planLogits(m, tokens, { teacher }).cell.dataSync() as Float32Array);
    expect(Array.from(cells(model, twoPlans()))).toEqual(Array.from(cells(plain)));
    jitterDecoder(model);
    const before = cells(model, twoPlans());
    const moved = twoPlans();
    moved[(1 * PLAN_SLOTS + 1) * F + 5] = 3 * 16 + 9; // row 1, slot 1's cell
    const after = cells(model, moved);
    const cellCount = 16 * 16;
    const slotLogits = (values: Float32Array, b: number, s: number): number[] =>
      Array.from(values.subarray((b * PLAN_SLOTS + s) * cellCount, (b * PLAN_SLOTS + s + 1) * cellCount));
    expect(slotLogits(after, 1, 0)).toEqual(slotLogits(before, 1, 0));
    expect(slotLogits(after, 1, 1)).toEqual(slotLogits(before, 1, 1)); // its own target is not its input
    expect(slotLogits(after, 1, 2)).not.toEqual(slotLogits(before, 1, 2));
    expect(slotLogits(after, 0, 1)).toEqual(slotLogits(before, 0, 1)); // another prompt
    disposeModel(plain);
    disposeModel(model);
  });

  it('decodes slot after slot: every chosen cell is the argmax given the cells chosen before it', () => {
    const model = initModel(config, 1);
    const head = model.params.think.head.b;
    tf.tidy(() => head.assign(tf.tensor1d(Array.from(head.dataSync(), (v, i) => (i === 1 ? 5 : v))))); // plan objects
    jitterDecoder(model);
    const before = tf.memory().numTensors;
    const plan = predictPlan(model, tokens);
    expect(tf.memory().numTensors).toBe(before);
    const logits = tf.tidy(() => planLogits(model, tokens, { teacher: plan }).cell.dataSync() as Float32Array);
    const cellCount = 16 * 16;
    for (let row = 0; row < 2 * PLAN_SLOTS; row++) {
      if (plan[row * F] !== 1) continue;
      const slice = Array.from(logits.subarray(row * cellCount, (row + 1) * cellCount));
      expect(plan[row * F + 5]).toBe(slice.indexOf(Math.max(...slice)));
    }
    disposeModel(model);
  });

  it('a head-only plan step moves the plan head and decoder, not the backbone, and leaks nothing', () => {
    const model = initModel(config, 1);
    const optimizer = new AdamW(variablesOf(model), { learningRate: 1e-2 });
    const snapshot = (): Map<string, Float32Array> =>
      new Map(namedVariables(model.params).map(({ name, variable }) => [name, (variable.dataSync() as Float32Array).slice()]));
    const start = snapshot();
    const step = (): void => {
      gradientStep({ optimizer, learningRate: 1e-2, loss: () => planLoss(model, tokens, twoPlans(), undefined, { detach: true }) });
    };
    step();
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    const end = snapshot();
    const changed = [...start.keys()].filter((name) => start.get(name)!.some((v, i) => v !== end.get(name)![i]));
    expect(changed.some((name) => name.startsWith('think.cellDecoder'))).toBe(true);
    expect(
      changed.every((name) => name.startsWith('think.cellDecoder') || name.startsWith('think.head') || name.startsWith('think.norm')),
    ).toBe(true);
    disposeModel(model);
  });

  it('a later stage adds the decoder over a checkpoint without it', () => {
    const old = initModel(resolveModelConfig('tiny', { planGrid: 16 }), 1);
    const dir = join(root, 'old');
    saveCheckpoint(dir, {
      model: old,
      step: 1,
      info: { preset: 'tiny', seed: 1, wall_time_s: 0, data: {}, final_losses: {}, command: 'test' },
    });
    const model = initModel(config, 2);
    const { fresh } = loadWeightsByName(model, dir);
    expect(fresh.sort()).toEqual([
      'think.cellDecoder.hidden.b',
      'think.cellDecoder.hidden.w',
      'think.cellDecoder.out.b',
      'think.cellDecoder.out.w',
    ]);
    disposeModel(old);
    disposeModel(model);
  });

  it('keepFresh (pretrain --fresh): the named variables keep their fresh initialisation, by whole name segments', () => {
    const dir = join(root, 'keep-fresh');
    const saved = initModel(config, 1);
    saveCheckpoint(dir, {
      model: saved,
      step: 1,
      info: { preset: 'tiny', seed: 1, wall_time_s: 0, data: {}, final_losses: {}, command: 'test' },
    });
    const model = initModel(config, 2);
    const initial = model.params.think.head.w.dataSync().slice();
    const { fresh } = loadWeightsByName(model, dir, ['think.head']);
    expect(fresh.sort()).toEqual(['think.head.b', 'think.head.w']);
    expect(Array.from(model.params.think.head.w.dataSync())).toEqual(Array.from(initial));
    expect(Array.from(model.params.think.norm.gain.dataSync())).toEqual(Array.from(saved.params.think.norm.gain.dataSync()));
    expect(() => loadWeightsByName(model, dir, ['think.hea'])).toThrow(/no variable of the model is named 'think.hea'/);
    disposeModel(saved);
    disposeModel(model);
  });
});
