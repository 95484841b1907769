// `srum pretrain`: train the unified model from scratch on the world's train split (lib/train/pretrain.ts).
// Resumes automatically when --out already holds a checkpoint; Ctrl-C / SIGTERM saves one before exiting.
import { initBackend } from '../backend/select';
import type { ModelPreset } from '../model/config';
import { MODEL_PRESETS } from '../model/config';
import { disposeModel } from '../model/params';
import { autoReplicas, pretrainParallel } from '../train/parallel';
import { Command, intOption } from './command';

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'pretrain the unified model (progress bar, JSONL log, resumable checkpoints)',
  options: {
    preset: { type: 'string', help: `model + training preset (${Object.keys(MODEL_PRESETS).join(', ')})`, default: 'base' },
    out: { type: 'string', help: 'run directory (checkpoint, config.json, log.jsonl); default runs/pretrain-<preset>' },
    steps: { type: 'string', help: 'total optimizer steps (default: the preset\'s)' },
    seed: { type: 'string', help: 'seed of weights, data and noise', default: '0' },
    'stop-at': { type: 'string', help: 'stop (with a checkpoint) after this many steps of the --steps schedule, e.g. to start a later stage' },
    'init-from': { type: 'string', help: 'start from the weights of this checkpoint (a later stage; fresh optimizer and schedule)' },
    set: { type: 'string', help: 'training options to override, e.g. learningRate=8e-4,understandingImages=16 (lib/train/config.ts)' },
    model: { type: 'string', help: 'model options to override, e.g. regionCropChannels=16,nLayers=8 (lib/model/config.ts)' },
    resume: { type: 'boolean', help: 'continue from the checkpoint in --out when there is one (always on unless --restart)', default: true },
    restart: { type: 'boolean', help: 'ignore a checkpoint in --out and start from step 0 (otherwise a run resumes)', default: false },
    replicas: { type: 'string', help: 'data-parallel worker threads, each with its own backend; auto = one per CPU core (at most 4) on the single-threaded wasm backend, else 1. A run keeps its count when resumed', default: 'auto' },
    quiet: { type: 'boolean', help: 'no progress bar', default: false },
  },
  async run(values) {
    const preset = String(values.preset) as ModelPreset;
    if (!(preset in MODEL_PRESETS)) throw new Error(`--preset must be one of ${Object.keys(MODEL_PRESETS).join(', ')}, got ${preset}`);
    const outDir = typeof values.out === 'string' && values.out !== '' ? values.out : `runs/pretrain-${preset}`;
    const seed = intOption(values, 'seed');
    const train: Record<string, number | boolean> = typeof values.set === 'string' ? parseSettings(values.set, '--set') : {};
    if (values.steps !== undefined) train.steps = intOption(values, 'steps');
    await initBackend();
    const model = typeof values.model === 'string' ? parseSettings(values.model, '--model') : {};
    const initFrom = typeof values['init-from'] === 'string' ? values['init-from'] : undefined;
    const stopAtStep = values['stop-at'] === undefined ? undefined : intOption(values, 'stop-at');
    const options = { preset, outDir, seed, train, model, resume: values.restart !== true, initFrom, stopAtStep, quiet: values.quiet === true };
    const result = await pretrainParallel(options, values.replicas === 'auto' ? autoReplicas() : intOption(values, 'replicas'));
    const losses = Object.entries(result.manifest.final_losses).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
    const how = result.startStep > 0 ? ` (resumed from step ${result.startStep})` : '';
    console.log(`${result.interrupted ? 'stopped' : 'finished'} at step ${result.step}${how}: ${losses}; checkpoint in ${outDir} (${result.manifest.wall_time_s.toFixed(0)} s of training)`);
    disposeModel(result.model);
    if (result.interrupted) process.exitCode = 130;
  },
};

/** "a=1,b=2e-3,c=true" -> { a: 1, b: 0.002, c: true }; names and value types are checked by the config resolvers. */
function parseSettings(text: string, flag: string): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const item of text.split(',').filter((part) => part.trim() !== '')) {
    const [key, value, ...rest] = item.split('=');
    const bool = value?.trim() === 'true' ? true : value?.trim() === 'false' ? false : undefined;
    if (value === undefined || rest.length > 0 || (bool === undefined && Number.isNaN(Number(value)))) throw new Error(`${flag}: expected name=number or name=true|false, got '${item}'`);
    out[key.trim()] = bool ?? Number(value);
  }
  return out;
}
