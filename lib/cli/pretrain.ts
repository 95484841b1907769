// `srum pretrain`: train the unified model from scratch on the world's train split (lib/train/pretrain.ts).
// Resumes automatically when --out already holds a checkpoint; Ctrl-C / SIGTERM saves one before exiting.
// `--schedule base` runs the named stages that made the shipped checkpoint instead (lib/train/stages.ts).
import { initBackend } from '../backend/select';
import type { ModelPreset } from '../model/config';
import { MODEL_PRESETS } from '../model/config';
import { disposeModel } from '../model/params';
import { autoReplicas, pretrainParallel } from '../train/parallel';
import type { PretrainOptions } from '../train/pretrain';
import { PRETRAIN_SCHEDULES, runPretrainSchedule, type PretrainScheduleName, type ScheduleSmoke } from '../train/stages';
import { Command, intOption, type Values } from './command';

const SCHEDULES = Object.keys(PRETRAIN_SCHEDULES);

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'pretrain the unified model (progress bar, JSONL log, resumable checkpoints), or run a named schedule of stages',
  options: {
    preset: { type: 'string', help: `model + training preset (${Object.keys(MODEL_PRESETS).join(', ')})`, shownDefault: 'base' },
    schedule: {
      type: 'string',
      help:
        `run the named stages of a shipped checkpoint (${SCHEDULES.join(', ')}) into --out/<stage>; ` +
        'again to resume; with --preset / --steps / --replicas / --set: a smoke run of the schedule',
    },
    stage: { type: 'string', help: 'with --schedule: run this stage only (the one it starts from must be finished)' },
    out: { type: 'string', help: 'run directory (checkpoint, config.json, log.jsonl); default runs/pretrain-<preset> (runs/<schedule>)' },
    steps: { type: 'string', help: "total optimizer steps (default: the preset's; with --schedule: at most this many per stage)" },
    seed: { type: 'string', help: 'seed of weights, data and noise', shownDefault: '0' },
    'stop-at': { type: 'string', help: 'stop (with a checkpoint) after this many steps of the --steps schedule' },
    'init-from': { type: 'string', help: 'start from the weights of this checkpoint (a later stage; fresh optimizer and schedule)' },
    fresh: {
      type: 'string',
      help: 'with --init-from: variables whose names start with these keep a fresh initialisation, e.g. think.head,think.norm',
    },
    set: { type: 'string', help: 'training options to override, e.g. learningRate=8e-4,understandingImages=16 (lib/train/config.ts)' },
    model: { type: 'string', help: 'model options to override, e.g. regionCropChannels=16,nLayers=8 (lib/model/config.ts)' },
    resume: { type: 'boolean', help: 'continue from the checkpoint in --out when there is one (on unless --restart)', default: true },
    restart: { type: 'boolean', help: 'ignore a checkpoint in --out and start from step 0 (otherwise a run resumes)', default: false },
    replicas: {
      type: 'string',
      shownDefault: 'auto',
      help:
        'data-parallel worker threads, each with its own backend; auto = one per CPU core (at most 4) on the single-threaded ' +
        'wasm backend, else 1. A run keeps its count when resumed',
    },
    quiet: { type: 'boolean', help: 'no progress bar', default: false },
  },
  async run(values) {
    if (typeof values.schedule === 'string') return runSchedule(values);
    const { options, replicas } = pretrainRunFromArgs(values);
    await initBackend();
    const result = await pretrainParallel(options, replicas === 'auto' ? autoReplicas() : replicas);
    const losses = Object.entries(result.manifest.final_losses)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(', ');
    const how = result.startStep > 0 ? ` (resumed from step ${result.startStep})` : '';
    const seconds = result.manifest.wall_time_s.toFixed(0);
    const state = result.interrupted ? 'stopped' : 'finished';
    console.log(`${state} at step ${result.step}${how}: ${losses}; checkpoint in ${options.outDir} (${seconds} s of training)`);
    disposeModel(result.model);
    if (result.interrupted) process.exitCode = 130;
  },
};

function presetOf(values: Values, fallback: ModelPreset = 'base'): ModelPreset {
  const preset = String(values.preset ?? fallback) as ModelPreset;
  if (!(preset in MODEL_PRESETS)) throw new Error(`--preset must be one of ${Object.keys(MODEL_PRESETS).join(', ')}, got ${preset}`);
  return preset;
}

/** The pretrain() options and replica count one `srum pretrain` invocation (without --schedule) asks for. */
export function pretrainRunFromArgs(values: Values): { options: PretrainOptions; replicas: number | 'auto' } {
  if (values.stage !== undefined) throw new Error('--stage names a stage of --schedule (e.g. --schedule base --stage crop2)');
  const preset = presetOf(values);
  const outDir = typeof values.out === 'string' && values.out !== '' ? values.out : `runs/pretrain-${preset}`;
  const seed = intOption(values, 'seed', 0);
  const train: Record<string, number | boolean> = typeof values.set === 'string' ? parseSettings(values.set, '--set') : {};
  if (values.steps !== undefined) train.steps = intOption(values, 'steps');
  const model = typeof values.model === 'string' ? parseSettings(values.model, '--model') : {};
  const initFrom = typeof values['init-from'] === 'string' ? values['init-from'] : undefined;
  const stopAtStep = values['stop-at'] === undefined ? undefined : intOption(values, 'stop-at');
  const keepFresh = typeof values.fresh === 'string' ? values.fresh.split(',').filter((p) => p !== '') : undefined;
  if (keepFresh !== undefined && initFrom === undefined) throw new Error('--fresh needs --init-from (a fresh run is all fresh)');
  const resume = values.restart !== true;
  const options = { preset, outDir, seed, train, model, resume, initFrom, keepFresh, stopAtStep, quiet: values.quiet === true };
  return { options, replicas: values.replicas === undefined || values.replicas === 'auto' ? 'auto' : intOption(values, 'replicas') };
}

/** `--schedule NAME`: the named stages, each resumable; the recipe's own settings cannot be overridden here. */
async function runSchedule(values: Values): Promise<void> {
  const name = String(values.schedule);
  if (!SCHEDULES.includes(name)) throw new Error(`--schedule must be one of ${SCHEDULES.join(', ')}, got ${name}`);
  const schedule = PRETRAIN_SCHEDULES[name as PretrainScheduleName];
  for (const flag of ['seed', 'model', 'init-from', 'fresh', 'stop-at']) {
    if (values[flag] !== undefined) throw new Error(`--${flag} cannot be used with --schedule: each stage sets its own (train/stages.ts)`);
  }
  if (values.restart === true) throw new Error("--restart cannot be used with --schedule: remove a stage's directory to redo it");
  const smoke: ScheduleSmoke = {
    ...(values.preset !== undefined ? { preset: presetOf(values, schedule.preset) } : {}),
    ...(values.steps !== undefined ? { maxSteps: intOption(values, 'steps') } : {}),
    ...(values.replicas !== undefined ? { replicas: values.replicas === 'auto' ? autoReplicas() : intOption(values, 'replicas') } : {}),
    ...(typeof values.set === 'string' ? { train: parseSettings(values.set, '--set') } : {}),
  };
  const root = typeof values.out === 'string' && values.out !== '' ? values.out : `runs/${name}`;
  await initBackend();
  const stage = typeof values.stage === 'string' ? values.stage : undefined;
  const decisions = await runPretrainSchedule({
    schedule: name as PretrainScheduleName,
    root,
    stage,
    smoke,
    quiet: values.quiet === true,
    onStage: (done, action) => console.log(`[schedule ${name}] ${done}: ${action}`),
  });
  if (decisions.some((d) => d.action === 'stopped')) process.exitCode = 130;
}

/** "a=1,b=2e-3,c=true" -> { a: 1, b: 0.002, c: true }; names and value types are checked by the config resolvers. */
function parseSettings(text: string, flag: string): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const item of text.split(',').filter((part) => part.trim() !== '')) {
    const [key, value, ...rest] = item.split('=');
    const bool = value?.trim() === 'true' ? true : value?.trim() === 'false' ? false : undefined;
    if (value === undefined || rest.length > 0 || (bool === undefined && Number.isNaN(Number(value)))) {
      throw new Error(`${flag}: expected name=number or name=true|false, got '${item}'`);
    }
    out[key.trim()] = bool ?? Number(value);
  }
  return out;
}
