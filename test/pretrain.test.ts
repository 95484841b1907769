// Pretraining (tiny preset): a run stopped halfway (SIGTERM, or killed between checkpoints) and resumed ends
// in exactly the weights of an uninterrupted run; the loop leaks no tensor; the log and config are written.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { readJsonl } from '../lib/io';
import { loadCheckpoint } from '../lib/model/checkpoint';
import { disposeModel, namedVariables, type UnifiedModel } from '../lib/model/params';
import { learningRateAt, resolveTrainConfig } from '../lib/train/config';
import { CONFIG_FILE, LOG_FILE, pretrain, type PretrainOptions } from '../lib/train/pretrain';
import { outlineWeights } from '../lib/train/tasks';
import { loadEmaCheckpoint, readEmaWeights, WeightEma } from '../lib/train/ema';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-pretrain-'));
const STEPS = 8;
const base = (name: string): PretrainOptions => ({
  preset: 'tiny',
  outDir: path.join(root, name),
  seed: 7,
  quiet: true,
  train: { steps: STEPS, batchSize: 3, checkpointEvery: 2, logEvery: 2 },
});
let reference: Float32Array[];

function weights(model: UnifiedModel): Float32Array[] {
  return namedVariables(model.params).map(({ variable }) => variable.dataSync() as Float32Array);
}

/** Largest |a - b| over all weights (a number keeps a failure message short; 0 means bitwise equal). */
function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  expect(a.map((w) => w.length)).toEqual(b.map((w) => w.length));
  return Math.max(...a.map((w, i) => w.reduce((m, v, j) => Math.max(m, Math.abs(v - b[i][j])), 0)));
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  const result = await pretrain(base('full'));
  reference = weights(result.model);
  disposeModel(result.model);
}, 120_000);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('pretrain', () => {
  it('writes config.json, one log line per interval with per-t-bin flow losses, and a final checkpoint', () => {
    const dir = path.join(root, 'full');
    const log = readJsonl<{
      step: number;
      losses: Record<string, number>;
      flow_loss_t_bins: (number | null)[];
      lr: number;
      samples_per_s: number;
    }>(path.join(dir, LOG_FILE));
    expect(log.map((r) => r.step)).toEqual([2, 4, 6, 8]);
    expect(log[0].flow_loss_t_bins).toHaveLength(4);
    expect(Number.isFinite(log[3].losses.generation)).toBe(true);
    expect(log[3].samples_per_s).toBeGreaterThan(0);
    const config = JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8')) as { train: { steps: number } };
    expect(config.train.steps).toBe(STEPS);
    const loaded = loadCheckpoint(dir);
    expect(loaded.manifest.step).toBe(STEPS);
    expect(loaded.manifest.final_losses.generation).toBeCloseTo(log[3].losses.generation, 6);
    disposeModel(loaded.model);
  });

  it('stopped by SIGTERM halfway and resumed: the same weights as the uninterrupted run', async () => {
    const stopped = await pretrain({
      ...base('sigterm'),
      onStep: (step) => {
        if (step === STEPS / 2) process.emit('SIGTERM', 'SIGTERM');
      },
    });
    expect(stopped.interrupted).toBe(true);
    expect(stopped.step).toBe(STEPS / 2);
    disposeModel(stopped.model);
    const resumed = await pretrain(base('sigterm'));
    expect(resumed.startStep).toBe(STEPS / 2);
    expect(maxDifference(weights(resumed.model), reference)).toBe(0);
    disposeModel(resumed.model);
  }, 120_000);

  it('killed between checkpoints and resumed: the same weights, and the log has no duplicate steps', async () => {
    await expect(
      pretrain({
        ...base('killed'),
        onStep: (step) => {
          if (step === 5) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const resumed = await pretrain(base('killed'));
    expect(resumed.startStep).toBe(4);
    expect(maxDifference(weights(resumed.model), reference)).toBe(0);
    disposeModel(resumed.model);
    expect(readJsonl<{ step: number }>(path.join(root, 'killed', LOG_FILE)).map((r) => r.step)).toEqual([2, 4, 6, 8]);
  }, 120_000);

  it("a later stage starts from another run's weights (--init-from) and records where it came from", async () => {
    // Learning rate 0: the new stage's weights must stay exactly the earlier run's final weights.
    const stage = await pretrain({
      ...base('stage2'),
      seed: 9,
      initFrom: path.join(root, 'full'),
      train: { steps: 2, batchSize: 2, learningRate: 0, verdictWeight: 3, logEvery: 1 },
    });
    expect(maxDifference(weights(stage.model), reference)).toBe(0);
    expect(stage.manifest.data.init_from).toMatchObject({ dir: path.join(root, 'full'), step: STEPS });
    expect(stage.manifest.command).toContain(`--init-from ${path.join(root, 'full')}`);
    disposeModel(stage.model);
  }, 120_000);

  it('keeps an EMA of the weights beside its checkpoints (emaDecay): resumed after a kill it equals the uninterrupted one', async () => {
    const withEma = (name: string): PretrainOptions => ({ ...base(name), train: { ...base(name).train, emaDecay: 0.9 } });
    const full = await pretrain(withEma('ema-full'));
    const fullEma = readEmaWeights(path.join(root, 'ema-full'), full.model);
    expect(maxDifference(weights(full.model), reference)).toBe(0); // the EMA does not change training
    expect(maxDifference(fullEma, reference)).toBeGreaterThan(0); // it lags the weights
    expect(fs.readdirSync(path.join(root, 'ema-full')).filter((f) => f.startsWith('ema-'))).toEqual([`ema-${STEPS}.bin`]);
    await expect(
      pretrain({
        ...withEma('ema-killed'),
        onStep: (step) => {
          if (step === 5) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const resumed = await pretrain(withEma('ema-killed'));
    expect(maxDifference(readEmaWeights(path.join(root, 'ema-killed'), resumed.model), fullEma)).toBe(0);
    const evaluated = loadEmaCheckpoint(path.join(root, 'ema-full'));
    expect(maxDifference(weights(evaluated.model), fullEma)).toBe(0);
    [full.model, resumed.model, evaluated.model].forEach(disposeModel);
  }, 120_000);

  it('warms the EMA up (emaWarmup): decay min(emaDecay, (1 + n) / (10 + n)), resumed exactly after a kill', async () => {
    const warm = (name: string): PretrainOptions => ({ ...base(name), train: { ...base(name).train, emaDecay: 0.9, emaWarmup: true } });
    const full = await pretrain(warm('warm-full'));
    const fullEma = readEmaWeights(path.join(root, 'warm-full'), full.model);
    await expect(
      pretrain({
        ...warm('warm-killed'),
        onStep: (step) => {
          if (step === 3) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const resumed = await pretrain(warm('warm-killed'));
    expect(maxDifference(readEmaWeights(path.join(root, 'warm-killed'), resumed.model), fullEma)).toBe(0);
    // Early updates use a smaller decay, so the warmed-up average sits nearer the final weights than the plain one.
    const plainEma = readEmaWeights(path.join(root, 'ema-full'), full.model);
    expect(maxDifference(fullEma, reference)).toBeLessThan(maxDifference(plainEma, reference));
    const ema = new WeightEma(full.model, 0.999, fullEma, true);
    expect([ema.decayAt(0), ema.decayAt(90), ema.decayAt(1e6)]).toEqual([0.1, 0.91, 0.999]);
    expect(() => resolveTrainConfig('tiny', { emaWarmup: 1 })).toThrow(/'emaWarmup' must be true or false/);
    [full.model, resumed.model].forEach(disposeModel);
  }, 120_000);

  it('leaks no tensor across a run of 50 steps (every task, checkpoints included)', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const result = await pretrain({
      ...base('leak'),
      train: { steps: 50, batchSize: 2, understandingImages: 1, checkpointEvery: 10, logEvery: 5 },
      onStep: () => counts.push(tf.memory().numTensors),
    });
    // Step 1 creates the weights and the AdamW moments; from then on every step must leave the count unchanged.
    expect(counts).toHaveLength(50);
    expect(new Set(counts.slice(1))).toEqual(new Set([counts[0]]));
    disposeModel(result.model);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('refuses to resume with another seed, and the schedule warms up then decays', async () => {
    await expect(pretrain({ ...base('full'), seed: 8 })).rejects.toThrow(/trained with seed 7/);
    const train = resolveTrainConfig('tiny', { steps: 10, warmupSteps: 2 });
    expect(learningRateAt(0, train)).toBeCloseTo(train.learningRate / 2, 10);
    expect(learningRateAt(1, train)).toBeCloseTo(train.learningRate, 10);
    expect(learningRateAt(9, train)).toBeCloseTo(train.learningRate * train.minLearningRateRatio, 10);
    expect(() => resolveTrainConfig('tiny', { stpes: 3 })).toThrow(/unknown training option 'stpes'/);
  });
});

describe('outlineWeights', () => {
  it('weighs edge tokens 1 + beta against flat ones, rescaled to mean 1', () => {
    // 1 image, 4 tokens of 3 values: flat, edge, flat, edge (range 0.5 > 0.2)
    const patches = Float32Array.from([0.9, 0.9, 0.9, 0.9, 0.4, 0.9, -1, -1, -1, 0, 0.5, 0]);
    const w = outlineWeights(patches, 1, 4, 3);
    expect(Array.from(w)).toEqual([0.4, 1.6, 0.4, 1.6].map((v) => Math.fround(v)));
    expect(() => outlineWeights(patches, 1, 5, 3)).toThrow(/not 1 images of 5 tokens/);
    expect(() => resolveTrainConfig('tiny', { outlineWeight: -1 })).toThrow(/'outlineWeight' must be >= 0/);
  });
});
