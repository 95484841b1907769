// SRUM on think-mode candidates: `srum candidates --think on` records the plan each image was generated from (and a
// resume keeps it), the dataset carries it into the batch, the SRUM loss conditions on it (a plan changes the
// velocity; no plan is the null plan), and training on such candidates leaks nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { main } from '../lib/cli/main';
import { CANDIDATES_JSONL, imageName, type CandidateLine } from '../lib/cli/candidates';
import { candidatePlans } from '../lib/run/candidates';
import { readJsonl } from '../lib/io';
import { saveCheckpoint } from '../lib/model/checkpoint';
import { PLAN_FIELDS, PLAN_SLOTS } from '../lib/model/classes';
import { resolveModelConfig } from '../lib/model/config';
import { generationTokens } from '../lib/model/image-tokens';
import { disposeModel, initModel, namedVariables } from '../lib/model/params';
import { makeRng } from '../lib/rng';
import { readPng } from '../lib/world/png';
import { encodeBatch } from '../lib/world/tokenizer';
import { gatherBatch, prepareSrumData, type SrumCandidate } from '../lib/train/srum-data';
import { srumLoss } from '../lib/train/srum-objective';
import { trainSrum } from '../lib/train/srum';
import { resolveSrumConfig, type SrumConfig } from '../lib/train/srum-config';
import { planLoss } from '../lib/train/head-losses';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-think-'));
const checkpoint = path.join(root, 'ckpt');
const images = path.join(root, 'candidates');
const config = resolveModelConfig('tiny', { planMap: true, planCanvas: true, planGrid: 16, convChannels: 4 });
const candidates = (think: string, out = images): Promise<void> =>
  main(['candidates', '--n', '3', '--out', out, '--checkpoint', checkpoint, '--steps', '2', '--seed', '4', '--think', think, '--quiet']);
const record = {
  vlm_rewards: [
    { object: 'global_layout_reward', score: 0.5, bbox: [0, 0, 32, 32] },
    { object: 'red circle', score: -0.5, bbox: [4, 4, 20, 20] },
  ],
};

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  const model = initModel(config, 2);
  // An untrained plan head marks no slot present; a bias on `present` makes it plan objects.
  const head = model.params.think.head.b;
  head.assign(tf.tensor1d(Array.from(head.dataSync(), (v, i) => (i === 1 ? 5 : v))));
  saveCheckpoint(checkpoint, {
    model,
    step: 0,
    info: { preset: 'tiny', seed: 2, wall_time_s: 0, data: {}, final_losses: {}, command: 'test' },
  });
  disposeModel(model);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const linesOf = (dir: string): CandidateLine[] => readJsonl<CandidateLine>(path.join(dir, CANDIDATES_JSONL));

describe('think-mode candidates', () => {
  it('record the plan of every image; a resume keeps them; --think off records none', async () => {
    await candidates('on');
    const first = linesOf(images);
    expect(first.every((l) => l.think && l.plan?.length === PLAN_SLOTS * PLAN_FIELDS.length)).toBe(true);
    expect(first.some((l) => l.plan!.some((v, k) => k % PLAN_FIELDS.length === 0 && v === 1))).toBe(true); // slots present
    fs.rmSync(path.join(images, imageName(2)));
    await candidates('on');
    expect(linesOf(images)).toEqual(first);
    const off = path.join(root, 'off');
    await candidates('off', off);
    expect(linesOf(off).every((l) => !l.think && l.plan === undefined)).toBe(true);
    await expect(candidates('maybe', path.join(root, 'bad'))).rejects.toThrow(/--think must be one of on, off/);
  });

  it('are found by image path, absolute or relative to the working directory (the judge writes what --out gave), or by a byte-equal copy', () => {
    const planOf = candidatePlans(images);
    const [line] = linesOf(images);
    const absolute = path.join(images, line.image_file);
    expect(Array.from(planOf(absolute)!)).toEqual(line.plan);
    expect(Array.from(planOf(path.relative(process.cwd(), absolute))!)).toEqual(line.plan);
    const other = path.join(root, 'other');
    fs.mkdirSync(other, { recursive: true });
    fs.copyFileSync(path.join(images, linesOf(images)[1].image_file), path.join(other, line.image_file));
    expect(planOf(path.join(other, line.image_file))).toBeUndefined(); // same name, another image
    // A copy of the candidate elsewhere (srum-main's SFT run reads the SRUM run's records) finds the plan by its bytes.
    const copy = path.join(root, 'copy');
    fs.mkdirSync(copy, { recursive: true });
    fs.copyFileSync(absolute, path.join(copy, line.image_file));
    expect(Array.from(planOf(path.join(copy, line.image_file))!)).toEqual(line.plan);
  });

  it('train conditioned on their plans: the batch carries them, a plan changes the loss, nothing leaks', async () => {
    const lines = linesOf(images);
    const model = initModel(config, 3);
    // Untrained, the output kernels and the plan maps are zero (the velocity ignores its inputs): jitter every weight.
    namedVariables(model.params).forEach(({ variable }, k) =>
      tf.tidy(() => variable.assign(tf.add(variable, tf.randomNormal(variable.shape, 0, 0.05, 'float32', k)))),
    );
    const withPlans: SrumCandidate[] = lines.map((l, i) => ({
      imagePath: path.join(images, l.image_file),
      prompt: l.original_prompt,
      record,
      plan: i === 0 ? undefined : Int32Array.from(l.plan!),
    }));
    const data = prepareSrumData(withPlans, model, 'official');
    const batch = gatherBatch(data, [0, 1, 2]);
    expect(Array.from(batch.thinking!)).toEqual([0, 1, 1]);
    expect(Array.from(batch.plan!.subarray(PLAN_SLOTS * PLAN_FIELDS.length))).toEqual([...lines[1].plan!, ...lines[2].plan!]);
    expect(gatherBatch(prepareSrumData(withPlans.slice(0, 1), model, 'official'), [0]).plan).toBeUndefined();

    const x0 = tf.tensor3d(
      generationTokens(
        model,
        lines.map((l) => readPng(path.join(images, l.image_file))),
      ),
      [3, 64, 48],
    );
    const textTokens = encodeBatch(
      lines.map((l) => l.original_prompt),
      config.maxTextTokens,
    );
    const lossOf = (plan?: Int32Array, thinking?: Uint8Array): number =>
      tf.tidy(() => srumLoss({ model, x0, textTokens, lambdaC: 0, rng: makeRng(7), timestepShift: 1, plan, thinking }).loss.dataSync()[0]);
    expect(lossOf(batch.plan, batch.thinking)).not.toBe(lossOf());
    expect(lossOf(batch.plan, new Uint8Array(3))).toBe(lossOf()); // no row thinks = the null plan
    x0.dispose();

    const before = tf.memory().numTensors;
    await trainSrum({
      model,
      preset: 'tiny',
      candidates: withPlans,
      outDir: path.join(root, 'train'),
      quiet: true,
      config: { steps: 3, batchSize: 3, checkpointEvery: 3, logEvery: 3, warmupSteps: 1, seed: 5 },
    });
    expect(tf.memory().numTensors).toBe(before);
    disposeModel(model);
  }, 60_000);

  it("the think term trains the plan head on each candidate's own plan, weighted by its layout reward; off (and no replay), the plan head is untouched", async () => {
    const lines = linesOf(images);
    const withPlans: SrumCandidate[] = lines.map((l) => ({
      imagePath: path.join(images, l.image_file),
      prompt: l.original_prompt,
      record,
      plan: Int32Array.from(l.plan!),
    }));
    const model = initModel(config, 3);
    const data = prepareSrumData(withPlans, model, 'official');
    expect(data.layoutReward).toEqual([0.75, 0.75, 0.75]); // g = 0.5 -> (g + 1) / 2
    const batch = gatherBatch(data, [0, 1, 2]);
    const textTokens = encodeBatch(
      lines.map((l) => l.original_prompt),
      config.maxTextTokens,
    );
    const planLossOf = (weights?: number[]): number =>
      tf.tidy(
        () => planLoss(model, textTokens, batch.plan!, weights === undefined ? undefined : Float32Array.from(weights)).total.dataSync()[0],
      );
    const unweighted = planLossOf();
    expect(unweighted).toBeGreaterThan(0);
    expect(planLossOf([1, 1, 1])).toBeCloseTo(unweighted, 5);
    expect(planLossOf([0.5, 0.5, 0.5])).toBeCloseTo(unweighted / 2, 5);
    expect(planLossOf([0, 0, 0])).toBe(0);

    const headAfter = async (planWeight: number, out: string, more: Partial<SrumConfig> = {}): Promise<Float32Array> => {
      const trained = initModel(config, 3);
      const before = tf.memory().numTensors;
      await trainSrum({
        model: trained,
        preset: 'tiny',
        candidates: withPlans,
        outDir: path.join(root, out),
        quiet: true,
        config: { steps: 2, batchSize: 3, checkpointEvery: 2, logEvery: 1, warmupSteps: 1, seed: 5, planWeight, replayWeight: 0, ...more },
      });
      expect(tf.memory().numTensors).toBe(before);
      const head = trained.params.think.head.w.dataSync() as Float32Array;
      disposeModel(trained);
      return head;
    };
    const initial = model.params.think.head.w.dataSync() as Float32Array;
    expect(Array.from(await headAfter(0, 'think-off'))).toEqual(Array.from(initial));
    expect(Array.from(await headAfter(1, 'think-on'))).not.toEqual(Array.from(initial));
    const logged = readJsonl<{ losses: Record<string, number> }>(path.join(root, 'think-on', 'log.jsonl'));
    expect(JSON.stringify(logged[0])).toContain('plan_loss');

    // imageWeight 0: the candidate loss is the think term alone (planWeight x plan_loss); with no think term it is refused.
    await headAfter(2, 'plan-only', { imageWeight: 0 });
    const [first] = readJsonl<{ losses: Record<string, number>; loss_parts: Record<string, number> }>(
      path.join(root, 'plan-only', 'log.jsonl'),
    );
    expect(first.loss_parts.plan_loss).toBeGreaterThan(0);
    expect(first.loss_parts.reward_loss).toBeGreaterThan(0); // still computed and logged
    expect(first.losses.srum).toBeCloseTo(2 * first.loss_parts.plan_loss, 4);
    expect(() => resolveSrumConfig({ imageWeight: 0 })).toThrow(/imageWeight/);
    disposeModel(model);
  }, 60_000);

  it('thinkLearningRate: the think term is its own update that reaches only the plan head and cell decoder, at its own rate', async () => {
    const withPlans: SrumCandidate[] = linesOf(images).map((l) => ({
      imagePath: path.join(images, l.image_file),
      prompt: l.original_prompt,
      record,
      plan: Int32Array.from(l.plan!),
    }));
    const after = async (out: string, more: Partial<SrumConfig>): Promise<{ head: number[]; backbone: number[]; plan: number }> => {
      const trained = initModel(config, 3);
      const before = tf.memory().numTensors;
      await trainSrum({
        model: trained,
        preset: 'tiny',
        candidates: withPlans,
        outDir: path.join(root, out),
        quiet: true,
        config: { steps: 2, batchSize: 3, checkpointEvery: 2, logEvery: 1, warmupSteps: 1, seed: 5, replayWeight: 0, ...more },
      });
      expect(tf.memory().numTensors).toBe(before);
      const [first] = readJsonl<{ loss_parts: Record<string, number> }>(path.join(root, out, 'log.jsonl'));
      const result = {
        head: Array.from(trained.params.think.head.w.dataSync()),
        backbone: Array.from(trained.params.blocks[0].qkv.w.dataSync()),
        plan: first.loss_parts.plan_loss,
      };
      disposeModel(trained);
      return result;
    };
    const initial = initModel(config, 3);
    const [head0, backbone0] = [Array.from(initial.params.think.head.w.dataSync()), Array.from(initial.params.blocks[0].qkv.w.dataSync())];
    disposeModel(initial);
    const joint = await after('think-joint', { planWeight: 1, imageWeight: 0 });
    expect(joint.backbone).not.toEqual(backbone0); // through the backbone
    const apart = await after('think-apart', { planWeight: 1, imageWeight: 0, thinkLearningRate: 1e-3 });
    expect(apart.backbone).toEqual(backbone0); // the plan head and decoder only
    expect(apart.head).not.toEqual(head0);
    expect(apart.plan).toBeCloseTo(joint.plan, 4); // the same term, logged alike
    // ...and no image step is taken at all (a zero-weighted one would still step AdamW's moments): no image loss logged.
    const [apartLog] = readJsonl<{ losses: Record<string, number>; loss_parts: Record<string, number> }>(
      path.join(root, 'think-apart', 'log.jsonl'),
    );
    expect([apartLog.loss_parts.reward_loss, apartLog.loss_parts.reference_loss]).toEqual([0, 0]);
    expect(apartLog.losses.srum).toBeCloseTo(apartLog.loss_parts.plan_loss, 5);
    // a larger rate moves the head further from where it started
    const faster = await after('think-faster', { planWeight: 1, imageWeight: 0, thinkLearningRate: 1e-2 });
    const moved = (w: number[]): number => w.reduce((sum, v, i) => sum + Math.abs(v - head0[i]), 0);
    expect(moved(faster.head)).toBeGreaterThan(2 * moved(apart.head));
    expect(() => resolveSrumConfig({ thinkLearningRate: -1 })).toThrow(/thinkLearningRate/);
    // thinkBackbone: the same separate update, now through the backbone too
    const through = await after('think-backbone', { planWeight: 1, imageWeight: 0, thinkLearningRate: 1e-3, thinkBackbone: true });
    expect(through.backbone).not.toEqual(backbone0);
    expect(through.plan).toBeCloseTo(apart.plan, 4);
    expect(() => resolveSrumConfig({ thinkBackbone: true })).toThrow(/thinkBackbone/); // it needs its own update
  }, 60_000);
});
