// Post-training that continues pretraining: replayed pretraining tasks (every task or understanding alone, fresh
// batches of the preset's recipe), the replay-only control method, EMA warm-up; no tensor leaks.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { readJsonl } from '../lib/io';
import { pretrainingConfig, readManifest } from '../lib/model/checkpoint';
import { resolveModelConfig } from '../lib/model/config';
import { disposeModel, initModel, namedVariables, type UnifiedModel } from '../lib/model/params';
import { makeRng } from '../lib/rng';
import { resolveTrainConfig } from '../lib/train/config';
import { generationBatch } from '../lib/train/data';
import { LOG_FILE } from '../lib/train/pretrain';
import { resolveSrumConfig, type SrumConfig } from '../lib/train/srum-config';
import { replayTasks, trainSrum } from '../lib/train/srum';
import { WeightEma } from '../lib/train/ema';
import type { SrumCandidate } from '../lib/train/srum-data';
import type { RgbImage } from '../lib/world/types';

const config = resolveModelConfig('tiny');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-replay-'));
const image = (seed: number): RgbImage => {
  const rng = makeRng(seed);
  return { width: 32, height: 32, data: Float32Array.from({ length: 32 * 32 * 3 }, () => rng.next()) };
};
const record = { vlm_rewards: [{ object: 'global_layout_reward', score: 0.5, bbox: [0, 0, 32, 32] }] };
const candidates: SrumCandidate[] = [0, 1].map((i) => ({ image: image(i), prompt: 'a photo of a red circle', record }));
const weights = (model: UnifiedModel): Float32Array[] =>
  namedVariables(model.params).map(({ variable }) => (variable.dataSync() as Float32Array).slice());

/**
 * Two replay-only steps (method 'replay') of a fresh tiny model from `seed`, with `extra` settings: whether any parameter
 * whose name starts with a prefix moved, the loss parts of the first log line, and the tensor count before and after;
 * `baseTraining` is the pretraining config the run records for its base.
 */
async function replayRun(
  dir: string,
  seed: number,
  extra: Partial<SrumConfig>,
  baseTraining?: Record<string, unknown>,
): Promise<{ moved: (prefix: string) => boolean; lossParts: string[]; tensorsBefore: number; tensorsAfter: number }> {
  const model = initModel(config, seed);
  const names = namedVariables(model.params).map(({ name }) => name);
  const initial = weights(model);
  const tensorsBefore = tf.memory().numTensors;
  const out = path.join(root, dir);
  await trainSrum({
    model,
    preset: 'tiny',
    candidates,
    outDir: out,
    quiet: true,
    baseTraining,
    config: { method: 'replay', steps: 2, batchSize: 2, logEvery: 1, learningRate: 1e-3, warmupSteps: 1, ...extra },
  });
  const tensorsAfter = tf.memory().numTensors;
  const after = weights(model);
  disposeModel(model);
  const log = readJsonl<{ loss_parts: Record<string, number> }>(path.join(out, LOG_FILE));
  return {
    moved: (prefix) => names.some((name, i) => name.startsWith(prefix) && after[i].some((v, j) => v !== initial[i][j])),
    lossParts: Object.keys(log[0].loss_parts),
    tensorsBefore,
    tensorsAfter,
  };
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('replay of pretraining', () => {
  it('replays every pretraining task of the preset (generation in both modes, understanding, plan) on fresh batches of replayBatchSize', () => {
    const srum = resolveSrumConfig({ replayBatchSize: 5, seed: 2 });
    const replay = replayTasks('tiny', srum);
    expect(replay.tasks.map((t) => t.name)).toEqual(['generation', 'understanding', 'plan']);
    expect([replay.train.batchSize, replay.train.understandingImages]).toEqual([5, 5]);
    expect(replay.train.thinkProb).toBe(resolveTrainConfig('tiny').thinkProb); // normal and think mode, as pretraining mixes them
    expect(replay.train.thinkProb).toBeGreaterThan(0);
    expect(replay.train.thinkProb).toBeLessThan(1);
    // Fresh batches: not the ones pretraining drew with its own seed at the same step.
    const own = generationBatch(0, { batchSize: 5, seed: 0, config, layoutGrid: 1 });
    const replayed = generationBatch(0, { batchSize: 5, seed: replay.seed, config, layoutGrid: 1 });
    expect(Array.from(replayed.textTokens)).not.toEqual(Array.from(own.textTokens));
    expect(replayTasks('tiny', resolveSrumConfig({ replayWeight: 0 })).tasks).toEqual([]);
    // replayScope 'understanding': the understanding task alone, the rest of the recipe unchanged
    const understanding = replayTasks('tiny', resolveSrumConfig({ replayBatchSize: 5, seed: 2, replayScope: 'understanding' }));
    expect(understanding.tasks.map((t) => t.name)).toEqual(['understanding']);
    expect(understanding.train.understandingImages).toBe(5);
    expect(() => resolveSrumConfig({ replayScope: 'plan' })).toThrow(/replayScope' must be one of all, understanding/);
  });

  it("replays the captions the base was pretrained on (its manifest's unboundCaptions), and rejects a bad value", () => {
    const srum = resolveSrumConfig({ replayBatchSize: 5 });
    expect(replayTasks('tiny', srum).train.unboundCaptions).toBe(0);
    expect(replayTasks('tiny', srum, { unboundCaptions: 1, steps: 600 }).train.unboundCaptions).toBe(1);
    expect(replayTasks('tiny', srum, { unboundStructure: 1 }).train.unboundStructure).toBe(1);
    expect(replayTasks('tiny', srum).train.unboundStructure).toBe(0);
    expect(() => replayTasks('tiny', srum, { unboundCaptions: 'yes' })).toThrow(/unboundCaptions/);
  });

  it('a post-trained checkpoint records the pretraining config of its base, so a further round replays the same data', async () => {
    const base = { unboundCaptions: 1, steps: 600 };
    await replayRun('round', 4, { steps: 1, checkpointEvery: 1 }, base);
    const manifest = readManifest(path.join(root, 'round'));
    expect(manifest.training_config?.method).toBe('replay');
    expect(pretrainingConfig(manifest)).toEqual(base);
    // A pretrained checkpoint is its own base.
    expect(pretrainingConfig({ ...manifest, base_training_config: undefined })).toBe(manifest.training_config);
  });

  it('method replay: trains on pretraining batches only, logs each task, leaks nothing; it needs replayWeight > 0', async () => {
    const run = await replayRun('replay', 3, { checkpointEvery: 2 });
    expect(run.tensorsAfter).toBe(run.tensorsBefore);
    expect(run.moved('')).toBe(true);
    expect([...run.lossParts].sort()).toEqual(['replay_generation', 'replay_plan', 'replay_understanding']);
    expect(() => resolveSrumConfig({ method: 'replay', replayWeight: 0 })).toThrow(/replayWeight/);
  }, 60_000);

  it("replayScope 'understanding': only the understanding task runs; the drawing's output and the planner stay put", async () => {
    const run = await replayRun('replay-understanding', 5, { replayScope: 'understanding' });
    expect(run.tensorsAfter).toBe(run.tensorsBefore);
    expect(run.lossParts).toEqual(['replay_understanding']);
    expect(run.moved('understanding.')).toBe(true);
    expect(run.moved('think.')).toBe(false); // no plan task
    expect(run.moved('head.')).toBe(false); // no generation task
  }, 60_000);

  it("replayMoments 'own': the replay's own AdamW, in the checkpoint and resumed exactly; 'shared' carries it into the SRUM step", async () => {
    // Two SRUM steps (image loss at 1e-3) with understanding replayed at a weight so small its own steps barely move
    // anything: with shared moments the SRUM step still applies the replayed gradient's momentum; with its own, it does not.
    const run = async (dir: string, extra: Partial<SrumConfig>, stopAtStep?: number): Promise<Float32Array[]> => {
      const model = initModel(config, 6);
      const before = tf.memory().numTensors;
      await trainSrum({
        model,
        preset: 'tiny',
        candidates,
        outDir: path.join(root, dir),
        quiet: true,
        stopAtStep,
        config: { steps: 2, batchSize: 2, learningRate: 1e-3, warmupSteps: 1, checkpointEvery: 1, replayScope: 'understanding', ...extra },
      });
      expect(tf.memory().numTensors).toBe(before);
      const after = weights(model);
      disposeModel(model);
      return after;
    };
    // The attention's qkv bias is left out: its key part gets a zero gradient up to rounding (softmax ignores a shift),
    // which AdamW at epsilon 1e-15 turns into full steps of rounding noise in any two runs that differ at all.
    const probe = initModel(config, 0);
    const names = namedVariables(probe.params).map(({ name }) => name);
    disposeModel(probe);
    const gap = (a: Float32Array[], b: Float32Array[]): number =>
      Math.max(...a.map((w, i) => (names[i].endsWith('qkv.b') ? 0 : Math.max(...w.map((v, j) => Math.abs(v - b[i][j]))))));
    const none = await run('moments-none', { replayWeight: 0 });
    const shared = await run('moments-shared', { replayWeight: 1e-9 });
    const own = await run('moments-own', { replayWeight: 1e-9, replayMoments: 'own' });
    expect(gap(shared, none)).toBeGreaterThan(1e-5);
    expect(gap(own, none)).toBeLessThan(1e-6);

    const dir = path.join(root, 'moments-own');
    expect(readManifest(dir).data.replay_optimizer).toBeDefined();
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('replay-optimizer-'))).toEqual(['replay-optimizer-2.bin']);
    await run('moments-resumed', { replayWeight: 0.5, replayMoments: 'own' }, 1);
    const resumed = await run('moments-resumed', { replayWeight: 0.5, replayMoments: 'own' });
    expect(gap(resumed, await run('moments-straight', { replayWeight: 0.5, replayMoments: 'own' }))).toBe(0);
    // A checkpoint without the replay's moments is not resumed with other ones.
    const manifestFile = path.join(root, 'moments-resumed', 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { data: Record<string, unknown> };
    delete manifest.data.replay_optimizer;
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    await expect(run('moments-resumed', { replayWeight: 0.5, replayMoments: 'own', steps: 3 })).rejects.toThrow(
      /no replay optimizer state/,
    );
    expect(() => resolveSrumConfig({ replayMoments: 'both' as never })).toThrow(/replayMoments' must be one of shared, own/);
  }, 120_000);

  it('EMA warm-up: the first update takes 90% of the new weights (decay 1/10), later ones approach emaDecay', () => {
    const model = initModel(config, 4);
    const start = weights(model);
    const ema = new WeightEma(model, 0.99, undefined, true);
    expect([0, 1, 90, 10_000].map((n) => ema.decayAt(n))).toEqual([0.1, 2 / 11, 91 / 100, 0.99]);
    tf.tidy(() => {
      for (const { variable } of namedVariables(model.params)) variable.assign(tf.add(variable, 1));
    });
    ema.update(0);
    const expected = start[0].map((v) => 0.1 * v + 0.9 * (v + 1));
    ema.weights[0].forEach((v, j) => expect(v).toBeCloseTo(expected[j], 5));
    disposeModel(model);
  });
});
