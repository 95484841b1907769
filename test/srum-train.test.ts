// SRUM / SFT training (tiny model): the objective against hand-computed values (eqs. 1-3), one eps and t shared by
// both terms, no tensor leak, weights and EMA move, a killed run resumes to bitwise-equal state, NaN stops cleanly.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { randomNormal } from '../lib/backend/random';
import { initBackend } from '../lib/backend/select';
import { readJsonl } from '../lib/io';
import { readManifest } from '../lib/model/checkpoint';
import { resolveModelConfig, modelDims } from '../lib/model/config';
import { flowLoss, guidedVelocity, noisyInput, sampleTrainingTimesteps } from '../lib/model/flow';
import { disposeModel, initModel, namedVariables, type UnifiedModel } from '../lib/model/params';
import { predictVelocity } from '../lib/model/transformer';
import { planConditioning } from '../lib/model/plan';
import { makeRng } from '../lib/rng';
import { encode } from '../lib/world/tokenizer';
import type { RgbImage } from '../lib/world/types';
import { LOG_FILE } from '../lib/train/pretrain';
import { resolveSrumConfig, srumLearningRate } from '../lib/train/srum-config';
import { groundTruthReference, prepareSrumData, type SrumCandidate } from '../lib/train/srum-data';
import { evaluateImage } from '../lib/eval/evaluate';
import { centreRewards, srumLoss, srumObjective } from '../lib/train/srum-objective';
import { SrumNaNError, trainSrum, type TrainSrumOptions } from '../lib/train/srum';
import { readEmaWeights } from '../lib/train/ema';

const config = resolveModelConfig('tiny');
const { gridSize, imageTokens, patchDim } = modelDims(config);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-train-'));

function randomImage(seed: number, fill?: number): RgbImage {
  const rng = makeRng(seed);
  const size = config.imageSize;
  return { width: size, height: size, data: Float32Array.from({ length: size * size * 3 }, () => fill ?? rng.next()) };
}

const record = (g: number, local: number) => ({
  vlm_rewards: [
    { object: 'global_layout_reward', score: g, bbox: [0, 0, 32, 32] },
    { object: 'red circle', score: local, bbox: [4, 4, 20, 20] },
  ],
});
const candidates: SrumCandidate[] = [0, 1, 2, 3].map((i) => ({
  image: randomImage(100 + i),
  prompt: 'a photo of a red circle',
  record: record(0.6 - 0.4 * i, 0.8 - 0.5 * i),
}));
const weights = (model: UnifiedModel): Float32Array[] =>
  namedVariables(model.params).map(({ variable }) => (variable.dataSync() as Float32Array).slice());
const maxDifference = (a: Float32Array[], b: Float32Array[]): number =>
  Math.max(...a.map((w, i) => w.reduce((m, v, j) => Math.max(m, Math.abs(v - b[i][j])), 0)));
const run = (name: string, extra: Partial<TrainSrumOptions> = {}, overrides: Record<string, unknown> = {}): TrainSrumOptions => ({
  model: initModel(config, 3),
  preset: 'tiny',
  candidates,
  outDir: path.join(root, name),
  quiet: true,
  config: { steps: 6, batchSize: 2, checkpointEvery: 2, logEvery: 2, warmupSteps: 2, learningRate: 1e-3, seed: 5, ...overrides },
  ...extra,
});

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('srum objective', () => {
  it("equals hand-computed eqs. 1-3 with R broadcast over a patch's values", () => {
    // B = 1, Np = 2 tokens of 2 values; target eps - x0 = [[1, 1], [0, 2]]; vTheta - target = [[1, -1], [2, 0]]
    const vTheta = tf.tensor3d([
      [
        [2, 0],
        [2, 2],
      ],
    ]);
    const x0 = tf.tensor3d([
      [
        [0, 1],
        [1, -1],
      ],
    ]);
    const eps = tf.tensor3d([
      [
        [1, 2],
        [1, 1],
      ],
    ]);
    const rewardMap = tf.tensor3d([[[0.5, 2]]]); // [B, Hp, Wp] = [1, 1, 2]
    const terms = srumObjective({ vTheta, x0, eps, rewardMap, lambdaC: 0.5 });
    // per-token mean squared error: token 0 (1 + 1) / 2 = 1, token 1 (4 + 0) / 2 = 2
    expect(terms.rewardLoss.dataSync()[0]).toBeCloseTo((0.5 * 1 + 2 * 2) / 2, 6); // Eq. 1: 2.25
    expect(terms.referenceLoss.dataSync()[0]).toBeCloseTo((1 + 2) / 2, 6); // Eq. 2: 1.5
    expect(terms.loss.dataSync()[0]).toBeCloseTo(2.25 + 0.5 * 1.5, 6); // Eq. 3: 3.0
    tf.dispose([vTheta, x0, eps, rewardMap, terms.loss, terms.rewardLoss, terms.referenceLoss]);
  });

  let model: UnifiedModel;
  beforeAll(() => {
    model = initModel(config, 1);
  });
  const x0Values = Float32Array.from({ length: 2 * imageTokens * patchDim }, (_, i) => Math.sin(i));
  const textTokens = new Int32Array([...encode('a red circle', config.maxTextTokens), ...encode('a blue square', config.maxTextTokens)]);

  it('R = 1 and lambdaC = 0 give the plain flow loss on the same t and eps; L_r and L_ref share them', () => {
    const [withOnes, manual] = tf.tidy(() => {
      const x0 = tf.tensor3d(x0Values, [2, imageTokens, patchDim]);
      const ones = tf.ones([2, gridSize, gridSize]);
      const out = srumLoss({ model, x0, textTokens, rewardMap: ones, lambdaC: 0, rng: makeRng(9), timestepShift: 1 });
      // replay the draws: t first, then eps, from the same seed
      const rng = makeRng(9);
      const t = sampleTrainingTimesteps(2, rng, 1);
      const eps = randomNormal([2, imageTokens, patchDim], rng) as tf.Tensor3D;
      const vTheta = predictVelocity(model, { xt: noisyInput(x0, eps, tf.tensor1d(t)), t: tf.tensor1d(t), textTokens });
      expect(Array.from(out.t)).toEqual(Array.from(t));
      // same eps and t in both terms: with R = 1 the two terms are the same number, exactly
      expect(out.rewardLoss.dataSync()[0]).toBe(out.referenceLoss.dataSync()[0]);
      return [out.loss.dataSync()[0], flowLoss({ vTheta, x0, eps }).dataSync()[0]];
    });
    expect(withOnes).toBeGreaterThan(0);
    expect(withOnes).toBeCloseTo(manual, 6);
  });

  it('minTimestep maps the drawn t onto [minTimestep, 1]; 0 leaves it as drawn', () => {
    const drawn = sampleTrainingTimesteps(2, makeRng(9), 1);
    const tAt = (minTimestep?: number): number[] =>
      tf.tidy(() => {
        const x0 = tf.tensor3d(x0Values, [2, imageTokens, patchDim]);
        return Array.from(srumLoss({ model, x0, textTokens, lambdaC: 0, rng: makeRng(9), timestepShift: 1, minTimestep }).t);
      });
    expect(tAt()).toEqual(Array.from(drawn));
    expect(tAt(0)).toEqual(Array.from(drawn));
    tAt(0.5).forEach((t, b) => expect(t).toBeCloseTo(0.5 + 0.5 * drawn[b], 6));
    expect(() => resolveSrumConfig({ minTimestep: 1 })).toThrow(/minTimestep/);
  });

  it('lossGuidance: the loss on v_u + w (v_c - v_u) from a PAD-text pass; w = 1 is the released loss, and without text w changes nothing', () => {
    // An initial model ignores its text (zero-initialised paths), so cond = uncond: jitter every weight first.
    const jittered = initModel(config, 2);
    const jitter = makeRng(8);
    namedVariables(jittered.params).forEach(({ variable }) =>
      tf.tidy(() => variable.assign(tf.add(variable, tf.mul(0.05, randomNormal(variable.shape, jitter))))),
    );
    const model = jittered;
    const lossAt = (tokens: Int32Array, guidanceScale?: number): number =>
      tf.tidy(() => {
        const x0 = tf.tensor3d(x0Values, [2, imageTokens, patchDim]);
        return srumLoss({ model, x0, textTokens: tokens, lambdaC: 0, rng: makeRng(6), timestepShift: 1, guidanceScale }).loss.dataSync()[0];
      });
    const guided = tf.tidy(() => {
      const x0 = tf.tensor3d(x0Values, [2, imageTokens, patchDim]);
      const rng = makeRng(6);
      const t = sampleTrainingTimesteps(2, rng, 1);
      const eps = randomNormal([2, imageTokens, patchDim], rng) as tf.Tensor3D;
      const xt = noisyInput(x0, eps, tf.tensor1d(t));
      const vCond = predictVelocity(model, { xt, t: tf.tensor1d(t), textTokens, ...planConditioning(model, 2) });
      const vUncond = predictVelocity(model, {
        xt,
        t: tf.tensor1d(t),
        textTokens: new Int32Array(textTokens.length),
        ...planConditioning(model, 2),
      });
      return flowLoss({ vTheta: guidedVelocity(vCond, vUncond, 4), x0, eps }).dataSync()[0];
    });
    expect(lossAt(textTokens, 1)).toBe(lossAt(textTokens));
    expect(lossAt(textTokens, 4)).toBeCloseTo(guided, 6);
    expect(Math.abs(lossAt(textTokens, 4) - lossAt(textTokens, 1))).toBeGreaterThan(1e-4);
    const pad = new Int32Array(textTokens.length);
    expect(lossAt(pad, 4)).toBeCloseTo(lossAt(pad, 1), 6);
    expect(() => resolveSrumConfig({ lossGuidance: 0.5 })).toThrow(/'lossGuidance' must be >= 1/);
    disposeModel(jittered);
  });

  it('R = 0 and lambdaC = 0 give zero loss and zero gradient; lambdaC > 0 then gives the reference term alone', () => {
    const variables = namedVariables(model.params).map((n) => n.variable);
    const before = tf.memory().numTensors;
    const lossOf = (lambdaC: number) =>
      tf.tidy(() => {
        const x0 = tf.tensor3d(x0Values, [2, imageTokens, patchDim]);
        const zeros = tf.zeros([2, gridSize, gridSize]);
        const { value, grads } = tf.variableGrads(
          () => srumLoss({ model, x0, textTokens, rewardMap: zeros, lambdaC, rng: makeRng(4), timestepShift: 1 }).loss,
          variables,
        );
        const gradMax = Math.max(...Object.values(grads).map((g) => tf.max(tf.abs(g)).dataSync()[0]));
        return { loss: value.dataSync()[0], gradMax };
      });
    const zero = lossOf(0);
    expect(zero.loss).toBe(0);
    expect(zero.gradMax).toBe(0);
    const reference = lossOf(0.5);
    expect(reference.loss).toBeGreaterThan(0);
    expect(reference.gradMax).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("reference 'ground-truth': L_ref regresses onto x0_gt from its own x_t with the same t and eps; L_r stays on the candidate", () => {
    const gtValues = Float32Array.from(x0Values, (v, i) => Math.cos(i) - v);
    const before = tf.memory().numTensors;
    const [terms, manual] = tf.tidy(() => {
      const x0 = tf.tensor3d(x0Values, [2, imageTokens, patchDim]);
      const gt = tf.tensor3d(gtValues, [2, imageTokens, patchDim]);
      const ones = tf.ones([2, gridSize, gridSize]);
      const out = srumLoss({
        model,
        x0,
        textTokens,
        rewardMap: ones,
        lambdaC: 0.5,
        rng: makeRng(9),
        timestepShift: 1,
        reference: { x0: gt },
      });
      const rng = makeRng(9);
      const t = sampleTrainingTimesteps(2, rng, 1);
      const eps = randomNormal([2, imageTokens, patchDim], rng) as tf.Tensor3D;
      const at = (image: tf.Tensor3D) =>
        predictVelocity(model, {
          xt: noisyInput(image, eps, tf.tensor1d(t)),
          t: tf.tensor1d(t),
          textTokens,
          ...planConditioning(model, 2),
        });
      const rewardLoss = flowLoss({ vTheta: at(x0), x0, eps }).dataSync()[0];
      const referenceLoss = flowLoss({ vTheta: at(gt), x0: gt, eps }).dataSync()[0];
      return [[out.rewardLoss, out.referenceLoss, out.loss].map((v) => v.dataSync()[0]), [rewardLoss, referenceLoss]];
    });
    expect(terms[0]).toBeCloseTo(manual[0], 6);
    expect(terms[1]).toBeCloseTo(manual[1], 6);
    expect(Math.abs(terms[1] - terms[0])).toBeGreaterThan(1e-3); // a different image, not the candidate
    expect(terms[2]).toBeCloseTo(terms[0] + 0.5 * terms[1], 5);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => resolveSrumConfig({ reference: 'nearest' })).toThrow(/'reference' must be one of candidate, ground-truth/);
    expect(resolveSrumConfig({ reference: 'ground-truth', lossGuidance: 4 }).lossGuidance).toBe(4);
  });

  it('with lossGuidance > 1 and a ground-truth reference, L_r reads the guided velocity and L_ref the conditional one', () => {
    const gtValues = Float32Array.from(x0Values, (v, i) => Math.sin(i) - v);
    const before = tf.memory().numTensors;
    const [terms, manual] = tf.tidy(() => {
      const x0 = tf.tensor3d(x0Values, [2, imageTokens, patchDim]);
      const gt = tf.tensor3d(gtValues, [2, imageTokens, patchDim]);
      const out = srumLoss({
        model,
        x0,
        textTokens,
        lambdaC: 0.5,
        rng: makeRng(4),
        timestepShift: 1,
        guidanceScale: 3,
        reference: { x0: gt },
      });
      const rng = makeRng(4);
      const t = tf.tensor1d(sampleTrainingTimesteps(2, rng, 1));
      const eps = randomNormal([2, imageTokens, patchDim], rng) as tf.Tensor3D;
      const at = (image: tf.Tensor3D, tokens: Int32Array) =>
        predictVelocity(model, { xt: noisyInput(image, eps, t), t, textTokens: tokens, ...planConditioning(model, 2) });
      const guided = guidedVelocity(at(x0, textTokens), at(x0, new Int32Array(textTokens.length)), 3);
      const rewardLoss = flowLoss({ vTheta: guided, x0, eps }).dataSync()[0];
      const referenceLoss = flowLoss({ vTheta: at(gt, textTokens), x0: gt, eps }).dataSync()[0];
      return [[out.rewardLoss, out.referenceLoss].map((v) => v.dataSync()[0]), [rewardLoss, referenceLoss]];
    });
    expect(terms[0]).toBeCloseTo(manual[0], 6);
    expect(terms[1]).toBeCloseTo(manual[1], 6);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ground-truth references are world renders of each prompt, deterministic in (seed, index), undefined when no scene fits', () => {
    const a = groundTruthReference('a red circle on the left of a blue square', { seed: 1, index: 3, planGrid: 4, withPlan: true });
    const b = groundTruthReference('a red circle on the left of a blue square', { seed: 1, index: 3, planGrid: 4, withPlan: true });
    const c = groundTruthReference('a red circle on the left of a blue square', { seed: 1, index: 4, planGrid: 4, withPlan: false });
    expect(a && b && c).toBeTruthy();
    expect(Array.from(a?.image.data ?? [])).toEqual(Array.from(b?.image.data ?? []));
    expect(Array.from(a?.image.data ?? [])).not.toEqual(Array.from(c?.image.data ?? []));
    expect(a?.plan?.length).toBeGreaterThan(0);
    expect(c?.plan).toBeUndefined();
    expect(evaluateImage(a?.image as RgbImage, 'a red circle on the left of a blue square').passed).toBe(true);
  });

  afterAll(() => disposeModel(model));
});

describe('srum config', () => {
  it("has the paper's optimizer settings, warm-up then a cosine to the floor (or constant), and rejects unknown options", () => {
    const c = resolveSrumConfig({ warmupSteps: 10, steps: 111 });
    expect([c.beta1, c.beta2, c.epsilon, c.weightDecay, c.clipNorm, c.lambdaC]).toEqual([0.9, 0.95, 1e-15, 0, 1, 0.1]);
    const lr = c.learningRate;
    expect(srumLearningRate(0, c)).toBeCloseTo(lr / 10, 15);
    expect(srumLearningRate(9, c)).toBeCloseTo(lr, 15); // the end of the warm-up
    expect(srumLearningRate(60, c)).toBeCloseTo((lr * (c.minLearningRateRatio + 1)) / 2, 15); // half way down the cosine
    expect(srumLearningRate(110, c)).toBeCloseTo(lr * c.minLearningRateRatio, 15); // the last step
    const constant = resolveSrumConfig({ warmupSteps: 10, learningRateSchedule: 'constant' });
    expect([10, 500].map((s) => srumLearningRate(s, constant))).toEqual([constant.learningRate, constant.learningRate]);
    expect(() => resolveSrumConfig({ lamda: 0.5 })).toThrow(/unknown SRUM option 'lamda'/);
    expect(() => resolveSrumConfig({ rewardMode: 'dense' })).toThrow(/rewardMode/);
  });
});

describe('trainSrum', () => {
  let full: { weights: Float32Array[]; ema: Float32Array[]; initial: Float32Array[] };

  beforeAll(async () => {
    const options = run('full');
    const initial = weights(options.model);
    const result = await trainSrum(options);
    full = { weights: weights(options.model), ema: result.ema, initial };
    disposeModel(options.model);
  }, 60_000);

  it('changes the weights, keeps an EMA between the initial and the trained weights, logs t-bins and reward statistics', () => {
    expect(maxDifference(full.weights, full.initial)).toBeGreaterThan(0);
    expect(maxDifference(full.ema, full.initial)).toBeGreaterThan(0);
    expect(maxDifference(full.ema, full.weights)).toBeGreaterThan(0);
    const log = readJsonl<{
      step: number;
      losses: { srum: number };
      loss_parts: Record<string, number>;
      flow_loss_t_bins: (number | null)[];
      reward: { mean: number; min: number; max: number };
    }>(path.join(root, 'full', LOG_FILE));
    expect(log.map((r) => r.step)).toEqual([2, 4, 6]);
    expect(log[0].flow_loss_t_bins).toHaveLength(4);
    expect(Number.isFinite(log[2].losses.srum)).toBe(true);
    expect(Object.keys(log[0].loss_parts).sort()).toEqual([
      'reference_loss',
      'replay_generation',
      'replay_plan',
      'replay_understanding',
      'reward_loss',
    ]);
    const { mean, min, max } = log[0].reward;
    expect(min).toBeLessThanOrEqual(mean);
    expect(mean).toBeLessThanOrEqual(max);
    expect(max).toBeGreaterThan(min); // official maps of these records are not constant
  });

  it('a run killed between checkpoints resumes to bitwise-equal weights and EMA', async () => {
    const killed = run('killed');
    await expect(
      trainSrum({
        ...killed,
        onStep: (step) => {
          if (step === 3) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    disposeModel(killed.model);
    expect(readManifest(killed.outDir).step).toBe(2);
    const resumed = run('killed');
    const result = await trainSrum(resumed);
    expect(result.startStep).toBe(2);
    expect(maxDifference(weights(resumed.model), full.weights)).toBe(0);
    expect(maxDifference(result.ema, full.ema)).toBe(0);
    expect(maxDifference(readEmaWeights(resumed.outDir, resumed.model), full.ema)).toBe(0);
    expect(readJsonl<{ step: number }>(path.join(resumed.outDir, LOG_FILE)).map((r) => r.step)).toEqual([2, 4, 6]);
    disposeModel(resumed.model);
  }, 60_000);

  it('leaks no tensor over 10 steps (SFT, SRUM, SRUM on the guided velocity, SRUM with ground-truth references)', async () => {
    for (const [method, lossGuidance, reference] of [
      ['sft', 1, 'candidate'],
      ['srum', 1, 'candidate'],
      ['srum', 4, 'candidate'],
      ['srum', 1, 'ground-truth'],
    ] as const) {
      const warm = run(`warm-${method}-${lossGuidance}-${reference}`, {}, { steps: 1, method, lossGuidance, reference });
      await trainSrum(warm);
      const leak = run(
        `leak-${method}-${lossGuidance}-${reference}`,
        {},
        { steps: 10, method, checkpointEvery: 5, lossGuidance, reference },
      );
      disposeModel(leak.model); // train the warmed-up model instead
      const before = tf.memory().numTensors;
      await trainSrum({ ...leak, model: warm.model });
      expect(tf.memory().numTensors).toBe(before);
      disposeModel(warm.model);
    }
  }, 60_000);

  it('positiveOnly: SRUM keeps the candidates whose global score is above 0 (recorded as skipped), SFT keeps them all', async () => {
    const model = initModel(config, 3);
    const data = prepareSrumData(candidates, model, 'official', { positiveOnly: true }); // g = 0.6, 0.2, -0.2, -0.6
    expect(data.x0.length).toBe(2);
    expect(data.skipped.map((s) => s.index)).toEqual([2, 3]);
    expect(data.skipped[0].reason).toMatch(/positiveOnly/);
    const srum = await trainSrum(run('positive-srum', { model }, { steps: 2, positiveOnly: true }));
    expect(srum.skipped).toBe(2);
    const sftRun = run('positive-sft', {}, { steps: 2, positiveOnly: true, method: 'sft' });
    expect((await trainSrum(sftRun)).skipped).toBe(0);
    disposeModel(sftRun.model);
    disposeModel(model);
  });

  it("planReward 'positive': the think term's weight is max(0, g); 'alpha' (default) is (g + 1) / 2", () => {
    const model = initModel(config, 3);
    expect(prepareSrumData(candidates, model, 'official').layoutReward.map((v) => +v.toFixed(6))).toEqual([0.8, 0.6, 0.4, 0.2]); // g = 0.6, 0.2, -0.2, -0.6
    expect(prepareSrumData(candidates, model, 'official', { planReward: 'positive' }).layoutReward.map((v) => +v.toFixed(6))).toEqual([
      0.6, 0.2, 0, 0,
    ]);
    expect(() => resolveSrumConfig({ planReward: 'best' })).toThrow(/planReward/);
    disposeModel(model);
  });

  it("advantage: centres R on the mean over all candidates' maps (recorded), trains differently; SFT ignores it", async () => {
    const model = initModel(config, 3);
    const data = prepareSrumData(candidates, model, 'official');
    const values = data.reward.flatMap((r) => Array.from(r));
    const expectedMean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(centreRewards(data)).toBeCloseTo(expectedMean, 6);
    const centred = data.reward.flatMap((r) => Array.from(r));
    expect(Math.abs(centred.reduce((a, b) => a + b, 0) / centred.length)).toBeLessThan(1e-6);
    expect(centred.some((v) => v < 0) && centred.some((v) => v > 0)).toBe(true);
    disposeModel(model);

    const trainedWith = async (
      name: string,
      overrides: Record<string, unknown>,
    ): Promise<{ weights: Float32Array[]; baseline: number }> => {
      const options = run(name, {}, { steps: 2, ...overrides });
      await trainSrum(options);
      const result = {
        weights: weights(options.model),
        baseline: (JSON.parse(fs.readFileSync(path.join(options.outDir, 'config.json'), 'utf8')) as { reward_baseline: number })
          .reward_baseline,
      };
      disposeModel(options.model);
      return result;
    };
    const plain = await trainedWith('adv-off', {});
    const centredRun = await trainedWith('adv-on', { advantage: true });
    expect(plain.baseline).toBe(0);
    expect(centredRun.baseline).toBeCloseTo(expectedMean, 6);
    expect(maxDifference(centredRun.weights, plain.weights)).toBeGreaterThan(0);
    const sft = await trainedWith('adv-sft', { method: 'sft', advantage: true });
    const sftPlain = await trainedWith('adv-sft-off', { method: 'sft' });
    expect(sft.baseline).toBe(0);
    expect(maxDifference(sft.weights, sftPlain.weights)).toBe(0);
  }, 60_000);

  it('stops on a non-finite loss with an error naming the step, the last checkpoint kept', async () => {
    const first = run('nan', {}, { steps: 4 });
    await trainSrum({ ...first, stopAtStep: 2 });
    const before = weights(first.model);
    const poisoned = candidates.map((c) => ({ ...c, image: randomImage(0, NaN) }));
    const error = await trainSrum({ ...first, candidates: poisoned }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SrumNaNError);
    expect((error as Error).message).toMatch(/at step 3.*checkpoint \(step 2\) is kept/);
    expect(readManifest(first.outDir).step).toBe(2);
    expect(maxDifference(weights(first.model), before)).toBe(0); // no NaN update applied
    disposeModel(first.model);
  }, 60_000);
});
