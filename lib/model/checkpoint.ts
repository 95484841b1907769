// Checkpoints: a directory with the weights, the optimizer moments and a manifest.json that describes them.
//   weights-<step>.bin    every variable's Float32 values (little-endian), concatenated in namedVariables order;
//   optimizer-<step>.bin  AdamW first moments then second moments, each in the same order (optional);
//   manifest.json         format version, preset, config, seed, step, provenance, file names + sha256, variables.
// Every file is written atomically (temp + rename) and the manifest LAST, after the files it names: a crash at
// any point leaves the previous manifest pointing at its own (still present) files, so a half-written
// checkpoint is never taken as complete. Files no manifest names are removed after the manifest is written.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../backend/tf';
import { writeFileAtomic, writeJsonAtomic } from '../io';
import { DEFAULT_MODEL_CONFIG, resolveModelConfig, type ModelConfig, type ModelPreset } from './config';
import type { AdamW, AdamWConfig } from './optimizer';
import { disposeModel, initModel, namedVariables, type UnifiedModel } from './params';
import { withoutRetiredOptions } from './retired';

export const CHECKPOINT_FORMAT = 'srum-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';

/** What the caller states about a checkpoint; the rest of the manifest is filled in by saveCheckpoint. */
export interface CheckpointInfo {
  preset: ModelPreset;
  seed: number;
  /** Seconds of training so far (summed over resumed sessions). */
  wall_time_s: number;
  /** What the model was trained on, e.g. { source: 'world train split', ... }. */
  data: Record<string, unknown>;
  /** Last logged loss of each task. */
  final_losses: Record<string, number>;
  /** The shell command that reproduces this checkpoint. */
  command: string;
  /** The resolved training configuration (presets and overrides applied). */
  training_config?: Record<string, unknown>;
  /**
   * Post-training checkpoints: the pretraining config of the base they started from, so a further round of
   * post-training replays the same pretraining data (pretrainingConfig).
   */
  base_training_config?: Record<string, unknown>;
}

/** What a manifest records of a float32 file it names. */
export interface Float32FileEntry {
  file: string;
  sha256: string;
  bytes: number;
}

export interface CheckpointManifest extends CheckpointInfo {
  format: typeof CHECKPOINT_FORMAT;
  format_version: number;
  model_config: ModelConfig;
  step: number;
  backend: string;
  git_commit: string;
  created_at: string;
  weights: Float32FileEntry;
  optimizer?: Float32FileEntry & { step_count: number; config: AdamWConfig };
  variables: { name: string; shape: number[] }[];
}

export interface SaveOptions {
  model: UnifiedModel;
  optimizer?: AdamW;
  step: number;
  info: CheckpointInfo;
}

export class CheckpointError extends Error {
  constructor(
    message: string,
    readonly dir: string,
  ) {
    super(`checkpoint ${dir}: ${message}`);
    this.name = 'CheckpointError';
  }
}

/** The commit of the working tree (`git rev-parse HEAD`), or 'unknown' outside a git checkout. */
export function gitCommit(cwd = process.cwd()): string {
  try {
    return (
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim() || 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Float32 arrays -> one little-endian byte buffer. */
function concatFloat32(parts: readonly Float32Array[]): Uint8Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return new Uint8Array(out.buffer);
}

/** Writes Float32 arrays as one little-endian file into dir (atomically) and returns its manifest entry. */
export function writeFloat32File(dir: string, file: string, parts: readonly Float32Array[]): Float32FileEntry {
  const bytes = concatFloat32(parts);
  writeFileAtomic(path.join(dir, file), bytes);
  return { file, sha256: sha256(bytes), bytes: bytes.length };
}

/** SHA-256 of the model's weights as a checkpoint stores them (data-parallel replicas compare these). */
export function weightsDigest(model: UnifiedModel): string {
  return sha256(concatFloat32(namedVariables(model.params).map(({ variable }) => variable.dataSync() as Float32Array)));
}

export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST_FILE));
}

/** Write a checkpoint into `dir` (created if needed); returns the manifest written. */
export function saveCheckpoint(dir: string, { model, optimizer, step, info }: SaveOptions): CheckpointManifest {
  fs.mkdirSync(dir, { recursive: true });
  const named = namedVariables(model.params);
  const weights = writeFloat32File(
    dir,
    `weights-${step}.bin`,
    named.map(({ variable }) => variable.dataSync() as Float32Array),
  );
  const optimizerEntry: CheckpointManifest['optimizer'] =
    optimizer === undefined ? undefined : { ...writeOptimizerFile(dir, `optimizer-${step}.bin`, optimizer), config: optimizer.config };
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    format_version: CHECKPOINT_FORMAT_VERSION,
    ...info,
    model_config: model.config,
    step,
    backend: tf.getBackend(),
    git_commit: gitCommit(),
    created_at: new Date().toISOString(),
    weights,
    optimizer: optimizerEntry,
    variables: named.map(({ name, variable }) => ({ name, shape: variable.shape })),
  };
  writeJsonAtomic(path.join(dir, MANIFEST_FILE), manifest);
  for (const file of fs.readdirSync(dir)) {
    const stale = /^(weights|optimizer)-\d+\.bin$/.test(file) && file !== weights.file && file !== optimizerEntry?.file;
    if (stale) fs.rmSync(path.join(dir, file));
  }
  return manifest;
}

/** Read and check manifest.json (format, version, required fields) without touching the weights. */
export function readManifest(dir: string): CheckpointManifest {
  if (!fs.existsSync(dir)) throw new CheckpointError('directory does not exist', dir);
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) throw new CheckpointError(`no ${MANIFEST_FILE} (not a checkpoint, or one whose save never finished)`, dir);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as CheckpointManifest;
  } catch (error) {
    throw new CheckpointError(`${MANIFEST_FILE} is not valid JSON (truncated or corrupt): ${(error as Error).message}`, dir);
  }
  if (manifest.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(`${MANIFEST_FILE} is not a ${CHECKPOINT_FORMAT} manifest (format: ${JSON.stringify(manifest.format)})`, dir);
  if (manifest.format_version !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      `unknown format version ${JSON.stringify(manifest.format_version)} (this toolkit reads version ${CHECKPOINT_FORMAT_VERSION})`,
      dir,
    );
  }
  for (const key of ['model_config', 'step', 'weights', 'variables', 'seed', 'preset'] as const) {
    if (manifest[key] === undefined) throw new CheckpointError(`${MANIFEST_FILE} lacks the field '${key}'`, dir);
  }
  return manifest;
}

/** The values of a float32 file the manifest names, checked against its recorded size and sha256. */
export function readFloat32File(dir: string, entry: Float32FileEntry): Float32Array {
  const file = path.join(dir, entry.file);
  if (!fs.existsSync(file)) throw new CheckpointError(`missing file ${entry.file} named by the manifest`, dir);
  const bytes = fs.readFileSync(file);
  if (bytes.length !== entry.bytes)
    throw new CheckpointError(`${entry.file} has ${bytes.length} bytes, the manifest says ${entry.bytes} (truncated or corrupt)`, dir);
  if (sha256(bytes) !== entry.sha256) throw new CheckpointError(`${entry.file} fails its sha256 check (corrupt)`, dir);
  const copy = new Uint8Array(bytes); // aligned copy for the Float32 view
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}

/**
 * Options a later training stage may switch on over a checkpoint without them: their parameters start at zero, so
 * the model computes what the checkpoint did until they train.
 */
const ADDITIVE_OPTIONS: readonly (keyof ModelConfig)[] = ['planMap', 'planCellDecoder', 'regionCropChannels'];

/**
 * Compare the model config the caller expects with the checkpoint's; name every differing field. With `stage`, an
 * additive option off in the checkpoint may be on in the expected config.
 */
function checkConfig(dir: string, savedFields: ModelConfig, expected: ModelConfig | undefined, stage = false): void {
  if (expected === undefined) return;
  // A field added after the checkpoint was written takes its default (new fields default to the old behaviour);
  // a retired one is dropped when it is off, and is an error when it is on (retired.ts).
  const saved: ModelConfig = { ...DEFAULT_MODEL_CONFIG, ...currentOptions(dir, savedFields) };
  const keys = new Set([...Object.keys(saved), ...Object.keys(expected)]) as Set<keyof ModelConfig>;
  const off = (value: unknown): boolean => value === false || value === 0;
  const addedByStage = (k: keyof ModelConfig): boolean => stage && ADDITIVE_OPTIONS.includes(k) && off(saved[k]) && !off(expected[k]);
  const differ = [...keys]
    .filter((k) => saved[k] !== expected[k] && !addedByStage(k))
    .map((k) => `${k}: checkpoint ${JSON.stringify(saved[k])}, expected ${JSON.stringify(expected[k])}`);
  if (differ.length > 0) throw new CheckpointError(`model config mismatch (${differ.join('; ')})`, dir);
}

/** A manifest's model config without the retired options (off), as a CheckpointError when one is on. */
function currentOptions(dir: string, savedFields: ModelConfig): Partial<ModelConfig> {
  try {
    return withoutRetiredOptions(savedFields as unknown as Record<string, unknown>) as Partial<ModelConfig>;
  } catch (error) {
    throw new CheckpointError((error as Error).message, dir);
  }
}

export interface LoadedCheckpoint {
  model: UnifiedModel;
  manifest: CheckpointManifest;
  /** AdamW moments in variable order, when the checkpoint has them (restoreOptimizer puts them back). */
  optimizerState?: { stepCount: number; firstMoments: Float32Array[]; secondMoments: Float32Array[] };
}

/** Load a checkpoint; `expectedConfig` (if given) must equal the saved model config field by field. */
export function loadCheckpoint(dir: string, options: { expectedConfig?: ModelConfig } = {}): LoadedCheckpoint {
  const manifest = readManifest(dir);
  checkConfig(dir, manifest.model_config, options.expectedConfig);
  let config: ModelConfig;
  try {
    config = resolveModelConfig('base', manifest.model_config as unknown as Record<string, unknown>);
  } catch (error) {
    throw new CheckpointError(`invalid model config: ${(error as Error).message}`, dir);
  }
  const values = readFloat32File(dir, manifest.weights);
  const model = initModel(config, manifest.seed);
  const named = namedVariables(model.params);
  const layout = named.map(({ name, variable }) => `${name}[${variable.shape.join(',')}]`);
  const saved = manifest.variables.map(({ name, shape }) => `${name}[${shape.join(',')}]`);
  const mismatch = layout.findIndex((entry, i) => entry !== saved[i]);
  if (mismatch >= 0 || layout.length !== saved.length) {
    const at = mismatch >= 0 ? mismatch : Math.min(layout.length, saved.length);
    disposeModel(model);
    throw new CheckpointError(
      `variables do not match the model config: at #${at} the config builds ${layout[at] ?? '(nothing)'}, ` +
        `the checkpoint holds ${saved[at] ?? '(nothing)'}`,
      dir,
    );
  }
  try {
    copyWeights(model, manifest, values, dir);
  } catch (error) {
    disposeModel(model);
    throw error;
  }
  return {
    model,
    manifest,
    optimizerState:
      manifest.optimizer === undefined
        ? undefined
        : readOptimizer(
            dir,
            manifest,
            named.map(({ variable }) => variable.size),
          ),
  };
}

function readOptimizer(dir: string, manifest: CheckpointManifest, sizes: number[]): LoadedCheckpoint['optimizerState'] {
  return readOptimizerFile(dir, manifest.optimizer as NonNullable<CheckpointManifest['optimizer']>, sizes);
}

/** An optimizer's moments in one file: first moments then second moments, in variable order, and its step count. */
export type OptimizerFileEntry = Float32FileEntry & { step_count: number };

/** Write an AdamW's moments as `file` in `dir` (the checkpoint's own optimizer, or a second one beside it). */
export function writeOptimizerFile(dir: string, file: string, optimizer: AdamW): OptimizerFileEntry {
  const state = optimizer.state();
  return { ...writeFloat32File(dir, file, [...state.firstMoments, ...state.secondMoments]), step_count: state.stepCount };
}

/** Read moments written by writeOptimizerFile for variables of `sizes` (restoreOptimizer puts them back). */
export function readOptimizerFile(
  dir: string,
  entry: OptimizerFileEntry,
  sizes: readonly number[],
): NonNullable<LoadedCheckpoint['optimizerState']> {
  const values = readFloat32File(dir, entry);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (values.length !== 2 * total) throw new CheckpointError(`optimizer state holds ${values.length} values, expected ${2 * total}`, dir);
  let offset = 0;
  const take = (): Float32Array[] => sizes.map((size) => values.slice(offset, (offset += size)));
  const firstMoments = take();
  const secondMoments = take();
  return { stepCount: entry.step_count, firstMoments, secondMoments };
}

/** Put saved AdamW moments back into an optimizer built over the same variables (in namedVariables order). */
export function restoreOptimizer(optimizer: AdamW, state: NonNullable<LoadedCheckpoint['optimizerState']>): void {
  const live = optimizer.state(); // AdamW.state() exposes its live moment arrays
  if (live.firstMoments.length !== state.firstMoments.length)
    throw new Error(`restoreOptimizer: ${state.firstMoments.length} saved moments for ${live.firstMoments.length} variables`);
  live.firstMoments.forEach((m, i) => m.set(state.firstMoments[i]));
  live.secondMoments.forEach((v, i) => v.set(state.secondMoments[i]));
  optimizer.stepCount = state.stepCount;
}

/**
 * Copy a checkpoint's weights into an existing model by variable name (a later training stage whose model has
 * gained parameters, e.g. a new head). Variables the checkpoint lacks keep their fresh initialisation and are
 * listed in `fresh`; a variable with the same name but another shape is an error, and so is a checkpoint of
 * another model config.
 */
export function loadWeightsByName(
  model: UnifiedModel,
  dir: string,
  keepFresh: readonly string[] = [],
): { manifest: CheckpointManifest; loaded: string[]; fresh: string[] } {
  const manifest = readManifest(dir);
  checkConfig(dir, manifest.model_config, model.config, true);
  const known = namedVariables(model.params).map(({ name }) => name);
  for (const prefix of keepFresh)
    if (!known.some((name) => inGroup(name, prefix)))
      throw new CheckpointError(`no variable of the model is named '${prefix}' or lies inside it (e.g. think.head, think.norm)`, dir);
  const { loaded, fresh } = copyWeights(model, manifest, readFloat32File(dir, manifest.weights), dir, keepFresh);
  if (loaded.length === 0) throw new CheckpointError('no variable of the model is in this checkpoint', dir);
  return { manifest, loaded, fresh };
}

/** Is variable `name` the named one or inside it (`think.head` holds think.head.w and think.head.b, not think.headX)? */
function inGroup(name: string, prefix: string): boolean {
  return name === prefix || name.startsWith(`${prefix}.`);
}

/** Assign the manifest's variables (by name) from the weights file's values; the model's others are listed as fresh. */
function copyWeights(
  model: UnifiedModel,
  manifest: CheckpointManifest,
  values: Float32Array,
  dir: string,
  keepFresh: readonly string[] = [],
): { loaded: string[]; fresh: string[] } {
  const saved = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const { name, shape } of manifest.variables) {
    const size = shape.reduce((a, b) => a * b, 1);
    saved.set(name, { shape, values: values.subarray(offset, offset + size) });
    offset += size;
  }
  if (offset !== values.length)
    throw new CheckpointError(`weights hold ${values.length} values, the manifest's variables need ${offset}`, dir);
  const loaded: string[] = [];
  const fresh: string[] = [];
  for (const { name, variable } of namedVariables(model.params)) {
    const entry = saved.get(name);
    if (entry === undefined || keepFresh.some((prefix) => inGroup(name, prefix))) {
      fresh.push(name);
      continue;
    }
    if (entry.shape.join(',') !== variable.shape.join(','))
      throw new CheckpointError(`${name} has shape [${entry.shape}] in the checkpoint, [${variable.shape}] in the model`, dir);
    tf.tidy(() => variable.assign(tf.tensor(entry.values, variable.shape, 'float32')));
    loaded.push(name);
  }
  return { loaded, fresh };
}

/** The pretraining config behind a checkpoint: its own, or for a post-trained one that of the base it started from. */
export function pretrainingConfig(manifest: CheckpointManifest): Record<string, unknown> | undefined {
  return manifest.base_training_config ?? manifest.training_config;
}
