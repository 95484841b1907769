// Checkpoints: exact round trip of weights and AdamW moments, and a clear error for every way a checkpoint
// can be broken (missing, corrupt, truncated manifest, mismatched config or variables, unknown version).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../lib/backend/tf';
import { initBackend } from '../lib/backend/select';
import {
  loadCheckpoint,
  MANIFEST_FILE,
  readManifest,
  restoreOptimizer,
  saveCheckpoint,
  type CheckpointInfo,
} from '../lib/model/checkpoint';
import { resolveModelConfig } from '../lib/model/config';
import { DEFAULT_FLOW_CONFIG } from '../lib/model/flow';
import { AdamW } from '../lib/model/optimizer';
import { disposeModel, initModel, namedVariables, type UnifiedModel } from '../lib/model/params';
import { flowTrainStep } from '../lib/model/train-step';
import { generationBatch } from '../lib/train/data';
import { makeRng } from '../lib/rng';

const config = resolveModelConfig('tiny');
const info: CheckpointInfo = {
  preset: 'tiny',
  seed: 3,
  wall_time_s: 1.5,
  data: { source: 'test' },
  final_losses: { generation: 0.5 },
  command: 'test',
};
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-ckpt-'));
let model: UnifiedModel;
let optimizer: AdamW;
let good: string;

function copyOf(dir: string, name: string): string {
  const target = path.join(root, name);
  fs.cpSync(dir, target, { recursive: true });
  return target;
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', quiet: true });
  model = initModel(config, 3);
  optimizer = new AdamW(namedVariables(model.params).map((n) => n.variable));
  // One real update so the weights differ from a fresh init and the moments are not zero.
  flowTrainStep({
    model,
    optimizer,
    batch: generationBatch(0, { batchSize: 2, seed: 1, config }),
    rng: makeRng(1),
    flow: DEFAULT_FLOW_CONFIG,
  });
  good = path.join(root, 'good');
  saveCheckpoint(good, { model, optimizer, step: 1, info });
});

afterAll(() => {
  disposeModel(model);
  fs.rmSync(root, { recursive: true, force: true });
});

describe('checkpoint round trip', () => {
  it('restores every weight and moment exactly and leaks no tensor', () => {
    const before = tf.memory().numTensors;
    const loaded = loadCheckpoint(good, { expectedConfig: config });
    const original = namedVariables(model.params);
    namedVariables(loaded.model.params).forEach(({ name, variable }, i) => {
      expect(name).toBe(original[i].name);
      expect(variable.dataSync()).toEqual(original[i].variable.dataSync());
    });
    const fresh = new AdamW(namedVariables(loaded.model.params).map((n) => n.variable));
    restoreOptimizer(fresh, loaded.optimizerState!);
    expect(fresh.stepCount).toBe(1);
    expect(fresh.state().firstMoments).toEqual(optimizer.state().firstMoments);
    expect(fresh.state().secondMoments).toEqual(optimizer.state().secondMoments);
    expect(loaded.manifest).toMatchObject({ step: 1, preset: 'tiny', seed: 3, final_losses: { generation: 0.5 }, model_config: config });
    expect(loaded.manifest.git_commit).toMatch(/^([0-9a-f]{40}|unknown)$/);
    disposeModel(loaded.model);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a newer save replaces the files of the older one; a stray half-written file does not matter', () => {
    const dir = copyOf(good, 'resave');
    saveCheckpoint(dir, { model, optimizer, step: 2, info });
    fs.writeFileSync(path.join(dir, 'weights-3.bin.tmp-1'), 'half written');
    expect(
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.bin'))
        .sort(),
    ).toEqual(['optimizer-2.bin', 'weights-2.bin']);
    const loaded = loadCheckpoint(dir);
    expect(loaded.manifest.step).toBe(2);
    disposeModel(loaded.model);
  });
});

describe('broken checkpoints give clear errors', () => {
  it('missing directory, manifest or weights file', () => {
    expect(() => loadCheckpoint(path.join(root, 'nope'))).toThrow(/does not exist/);
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    expect(() => loadCheckpoint(empty)).toThrow(/no manifest\.json/);
    const dir = copyOf(good, 'no-weights');
    fs.rmSync(path.join(dir, readManifest(dir).weights.file));
    expect(() => loadCheckpoint(dir)).toThrow(/missing file weights-1\.bin/);
  });

  it('a corrupt or truncated weights file fails its check', () => {
    const dir = copyOf(good, 'corrupt');
    const file = path.join(dir, readManifest(dir).weights.file);
    const bytes = fs.readFileSync(file);
    bytes[100] ^= 0xff;
    fs.writeFileSync(file, bytes);
    expect(() => loadCheckpoint(dir)).toThrow(/sha256.*corrupt/);
    fs.writeFileSync(file, bytes.subarray(0, 64));
    expect(() => loadCheckpoint(dir)).toThrow(/truncated or corrupt/);
  });

  it('a truncated manifest or an unknown format version', () => {
    const dir = copyOf(good, 'truncated');
    const text = fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8');
    fs.writeFileSync(path.join(dir, MANIFEST_FILE), text.slice(0, text.length / 2));
    expect(() => loadCheckpoint(dir)).toThrow(/not valid JSON \(truncated or corrupt\)/);
    fs.writeFileSync(path.join(dir, MANIFEST_FILE), text.replace('"format_version": 1', '"format_version": 99'));
    expect(() => loadCheckpoint(dir)).toThrow(/unknown format version 99/);
  });

  it('a config or variable mismatch names what differs', () => {
    expect(() => loadCheckpoint(good, { expectedConfig: resolveModelConfig('tiny', { nLayers: 3 }) })).toThrow(
      /model config mismatch \(nLayers: checkpoint 2, expected 3\)/,
    );
    const dir = copyOf(good, 'renamed');
    const manifestFile = path.join(dir, MANIFEST_FILE);
    const manifest = readManifest(dir);
    manifest.variables[1].name = 'somethingElse';
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    const before = tf.memory().numTensors;
    expect(() => loadCheckpoint(dir)).toThrow(/variables do not match the model config: at #1/);
    expect(tf.memory().numTensors).toBe(before);
    manifest.variables[1].name = readManifest(good).variables[1].name;
    manifest.model_config = { ...manifest.model_config, dModel: 64 };
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    expect(() => loadCheckpoint(dir)).toThrow(/variables do not match the model config/);
  });
});
