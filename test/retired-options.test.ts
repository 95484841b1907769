// Retired model options (lib/model/retired.ts): manifests written before 2026-12-06 list them all. At their old
// default they are dropped, so those checkpoints (data/base among them) load and resume; switched on, the error names
// the option and the commit whose code still builds that model.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import {
  CheckpointError,
  loadCheckpoint,
  loadWeightsByName,
  MANIFEST_FILE,
  saveCheckpoint,
  type CheckpointInfo,
} from '../lib/model/checkpoint';
import { DEFAULT_MODEL_CONFIG, resolveModelConfig } from '../lib/model/config';
import { disposeModel, initModel } from '../lib/model/params';
import { RETIRED_MODEL_OPTIONS, RETIRED_OPTIONS_COMMIT } from '../lib/model/retired';

const info: CheckpointInfo = { preset: 'tiny', seed: 3, wall_time_s: 1, data: {}, final_losses: {}, command: 'test' };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-retired-'));
const config = resolveModelConfig('tiny');

/** A tiny checkpoint whose manifest lists the retired options with the given values, as an old manifest does. */
function oldCheckpoint(name: string, retired: Record<string, unknown>): string {
  const dir = path.join(root, name);
  const model = initModel(config, 3);
  saveCheckpoint(dir, { model, step: 1, info });
  disposeModel(model);
  const file = path.join(dir, MANIFEST_FILE);
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { model_config: Record<string, unknown> };
  manifest.model_config = { ...manifest.model_config, ...retired };
  fs.writeFileSync(file, JSON.stringify(manifest));
  return dir;
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('retired model options', () => {
  it('are gone from the config', () => {
    for (const key of Object.keys(RETIRED_MODEL_OPTIONS)) expect(key in DEFAULT_MODEL_CONFIG).toBe(false);
  });

  it('at their old default are dropped from overrides; switched on they name the option and the commit', () => {
    expect(resolveModelConfig('tiny', { ...RETIRED_MODEL_OPTIONS })).toEqual(config);
    expect(() => resolveModelConfig('tiny', { timeModulation: true })).toThrow(/'timeModulation' was retired/);
    expect(() => resolveModelConfig('tiny', { latentChannels: 8 })).toThrow(RETIRED_OPTIONS_COMMIT);
  });

  it('the shipped manifest, which lists every one of them, still resolves to its model', () => {
    const file = path.join(__dirname, '..', 'data', 'base', MANIFEST_FILE);
    const shipped = (JSON.parse(fs.readFileSync(file, 'utf8')) as { model_config: Record<string, unknown> }).model_config;
    for (const [key, off] of Object.entries(RETIRED_MODEL_OPTIONS)) expect(shipped[key]).toBe(off);
    expect(resolveModelConfig('base', shipped)).toEqual(resolveModelConfig('base', { regionCropChannels: 16 }));
  });

  it('an old checkpoint with them off loads, resumes against the current config and starts a later stage', () => {
    const dir = oldCheckpoint('off', { ...RETIRED_MODEL_OPTIONS });
    const before = tf.memory().numTensors;
    const loaded = loadCheckpoint(dir, { expectedConfig: config });
    expect(loaded.model.config).toEqual(config);
    disposeModel(loaded.model);
    const stage = initModel(resolveModelConfig('tiny', { planMap: true }), 4);
    expect(loadWeightsByName(stage, dir).fresh).toEqual(['think.layoutMap']);
    disposeModel(stage);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an old checkpoint with one switched on is a CheckpointError naming the option and the commit', () => {
    const dir = oldCheckpoint('on', { ...RETIRED_MODEL_OPTIONS, unetChannels: 32 });
    for (const load of [() => loadCheckpoint(dir), () => loadCheckpoint(dir, { expectedConfig: config })]) {
      expect(load).toThrow(CheckpointError);
      expect(load).toThrow(/'unetChannels' was retired.*got 32.*134332ab8d28/);
    }
  });
});
