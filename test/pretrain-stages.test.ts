// Pretraining schedules as named presets (lib/train/stages.ts): the `base` schedule is exactly the five commands
// data/base/manifest.json records in data.reproduce (same command text, same resolved settings, and the last stage
// resolves to the shipped checkpoint's model and training config); at tiny size it runs stage by stage, each from
// the previous one's weights, skips finished stages, and refuses a stage whose starting stage is not finished.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import { parseCommandArgs } from '../lib/cli/command';
import { pretrainCommand, pretrainRunFromArgs } from '../lib/cli/pretrain';
import { readManifest } from '../lib/model/checkpoint';
import { resolveModelConfig } from '../lib/model/config';
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig } from '../lib/train/config';
import type { PretrainOptions } from '../lib/train/pretrain';
import { PRETRAIN_SCHEDULES, runPretrainSchedule, stageCommand, stageRun } from '../lib/train/stages';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'data', 'base', 'manifest.json'), 'utf8')) as {
  data: { reproduce: string[] };
  model_config: Record<string, unknown>;
  training_config: Record<string, unknown>;
};
const schedule = PRETRAIN_SCHEDULES.base;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-stages-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** What `srum pretrain` would run for a recorded command line. */
function parseRecorded(command: string): { options: PretrainOptions; replicas: number | 'auto' } {
  const argv = command.replace(/^npx srum pretrain /, '').split(' ');
  const values = parseCommandArgs(pretrainCommand, argv);
  if (values === 'help') throw new Error('unexpected --help');
  return pretrainRunFromArgs(values);
}

const resolved = (options: PretrainOptions) => ({
  preset: options.preset,
  seed: options.seed,
  outDir: options.outDir,
  initFrom: options.initFrom,
  model: resolveModelConfig(options.preset, options.model),
  train: resolveTrainConfig(options.preset, options.train),
});

describe('the base schedule', () => {
  it("is the manifest's five reproduce commands, word for word", () => {
    expect(schedule.stages.map((stage) => stageCommand(schedule, stage, 'runs'))).toEqual(manifest.data.reproduce);
  });

  it('resolves to exactly the settings those commands resolve to (model, training, seed, replicas, starting weights)', () => {
    expect(manifest.data.reproduce).toHaveLength(schedule.stages.length);
    schedule.stages.forEach((stage, i) => {
      const recorded = parseRecorded(manifest.data.reproduce[i]);
      const fromStage = stageRun(schedule, stage, 'runs');
      expect(resolved(fromStage.options), stage.name).toEqual(resolved(recorded.options));
      expect(fromStage.replicas, stage.name).toBe(recorded.replicas);
    });
  });

  it("ends in the shipped checkpoint's model and training config", () => {
    const last = stageRun(schedule, schedule.stages[schedule.stages.length - 1], 'runs').options;
    const { model, train } = resolved(last);
    const pairs = [
      [model, manifest.model_config, resolveModelConfig('base')],
      [train, manifest.training_config, DEFAULT_TRAIN_CONFIG],
    ] as const;
    for (const [config, shipped, fallback] of pairs) {
      const current = config as unknown as Record<string, unknown>;
      const defaults = fallback as unknown as Record<string, unknown>;
      for (const key of Object.keys(current).filter((k) => k in shipped)) expect(current[key], key).toEqual(shipped[key]);
      // Options retired since the checkpoint was made (lib/model/retired.ts) are off in it: nothing they did is lost.
      for (const key of Object.keys(shipped).filter((k) => !(k in current))) expect(shipped[key], `retired ${key}`).toBeFalsy();
      // Options added since are at their defaults, which reproduce what the checkpoint was trained without.
      for (const key of Object.keys(current).filter((k) => !(k in shipped))) expect(current[key], `added ${key}`).toEqual(defaults[key]);
    }
  });
});

describe('runPretrainSchedule (tiny)', () => {
  // A smoke run: the tiny model, 2 steps a stage, one replica, small batches. parseWeight 0: the tiny training preset
  // trains the scene parse, which the generated-pool and head-only stages refuse (lib/train/config.ts). generatedT0
  // 0.05: an untrained model's resamplings keep the renders' objects, so the proposer finds regions in the pool.
  const train = { batchSize: 4, understandingImages: 4, generatedPool: 6, generatedT0: 0.05, parseWeight: 0 };
  const smoke = { preset: 'tiny' as const, maxSteps: 2, replicas: 1, train };
  const names = schedule.stages.map((s) => s.name);

  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', quiet: true });
  });

  it("runs every stage from the previous one's weights, then skips them all; leaks no tensor", async () => {
    const tensors = tf.memory().numTensors;
    const first = await runPretrainSchedule({ schedule: 'base', root, smoke, quiet: true });
    expect(first).toEqual(names.map((stage) => ({ stage, action: 'ran' })));
    for (const stage of schedule.stages) {
      const done = readManifest(path.join(root, stage.name));
      expect(done.step, stage.name).toBe(2);
      const initFrom = (done.data.init_from as { dir?: string } | undefined)?.dir;
      expect(initFrom, stage.name).toBe(stage.initFrom === undefined ? undefined : path.join(root, stage.initFrom));
      const configFile = path.join(root, stage.name, 'config.json');
      const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { seed: number; train: Record<string, unknown> };
      expect(config.seed, stage.name).toBe(stage.seed);
      for (const [key, value] of Object.entries(stage.train)) {
        if (!(key in smoke.train)) expect(config.train[key], `${stage.name} ${key}`).toEqual(value);
      }
    }
    const again = await runPretrainSchedule({ schedule: 'base', root, smoke, quiet: true });
    expect(again).toEqual(names.map((stage) => ({ stage, action: 'skipped' })));
    expect(tf.memory().numTensors).toBe(tensors);
  }, 300_000);

  it('runs one stage on its own (--stage), and refuses one whose starting stage is not finished', async () => {
    const only = (stage: string) => runPretrainSchedule({ schedule: 'base', root, smoke, stage, quiet: true });
    const remove = (stage: string): void => fs.rmSync(path.join(root, stage), { recursive: true, force: true });
    remove('crop2');
    expect(await only('crop2')).toEqual([{ stage: 'crop2', action: 'ran' }]);
    remove('genpool');
    expect(await only('crop2')).toEqual([{ stage: 'crop2', action: 'skipped' }]); // finished: its start is not read
    remove('crop2');
    await expect(only('crop2')).rejects.toThrow(/starts from stage 'genpool', which is not finished/);
    await expect(only('crop3')).rejects.toThrow(/no stage 'crop3' \(its stages, in order: base-canvas/);
  }, 300_000);
});
