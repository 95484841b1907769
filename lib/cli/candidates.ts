// `srum candidates`: the model's own images for world TRAINING prompts (the released pipeline's step 1); the work is
// lib/run/candidates.ts (generateCandidates, shared with `srum run`), which documents the output layout and resume.
import { initBackend } from '../backend/select';
import { DEFAULT_SAMPLING } from '../generate/generate';
import { loadCheckpoint } from '../model/checkpoint';
import { MODEL_PRESETS, resolveModelConfig, type ModelPreset } from '../model/config';
import { disposeModel, initModel, type UnifiedModel } from '../model/params';
import { CANDIDATE_PROMPT_SETS, generateCandidates } from '../run/candidates';
import { choiceOption, Command, intOption, THINK_OPTION, thinkOption } from './command';
import { DEFAULT_CHECKPOINT } from './gap';

export { CANDIDATES_CONFIG, CANDIDATES_JSONL, imageName, type CandidateLine } from '../run/candidates';

type Values = Record<string, string | boolean | undefined>;

/**
 * The model a command runs: --preset NAME builds an untrained model (seeded by --seed) for smoke runs; otherwise --checkpoint
 * is loaded.
 */
export function loadCommandModel(values: Values): { model: UnifiedModel; source: string; preset: ModelPreset } {
  if (typeof values.preset === 'string') {
    if (!(values.preset in MODEL_PRESETS))
      throw new Error(`--preset must be one of ${Object.keys(MODEL_PRESETS).join(', ')}, got ${values.preset}`);
    const seed = intOption(values, 'seed', 0);
    return {
      model: initModel(resolveModelConfig(values.preset as ModelPreset), seed),
      source: `untrained ${values.preset} model (seed ${seed})`,
      preset: values.preset as ModelPreset,
    };
  }
  const dir = typeof values.checkpoint === 'string' ? values.checkpoint : DEFAULT_CHECKPOINT;
  const { model, manifest } = loadCheckpoint(dir);
  return { model, source: `checkpoint ${dir} (step ${manifest.step})`, preset: manifest.preset };
}

export const candidatesCommand: Command = {
  name: 'candidates',
  summary: 'generate candidate images for world training prompts (PNGs + candidates.jsonl; resumable)',
  options: {
    n: { type: 'string', help: 'number of images' },
    out: { type: 'string', help: 'output directory' },
    think: THINK_OPTION,
    checkpoint: { type: 'string', help: 'checkpoint directory', default: DEFAULT_CHECKPOINT },
    preset: { type: 'string', help: 'use an untrained model of this preset instead of --checkpoint (smoke runs)' },
    seed: { type: 'string', help: 'seed of prompts and sampling noise (and of --preset weights)', default: '0' },
    steps: { type: 'string', help: 'Euler sampling steps', default: String(DEFAULT_SAMPLING.steps) },
    batch: { type: 'string', help: 'images per generation chunk', default: '16' },
    prompts: {
      type: 'string',
      help: 'train (as released) or held-out (validation prompts naming a held-out colour-shape pair; lib/run/candidates.ts)',
      default: 'train',
    },
    quiet: { type: 'boolean', help: 'no progress bar', default: false },
  },
  async run(values) {
    const n = intOption(values, 'n');
    const seed = intOption(values, 'seed');
    const steps = intOption(values, 'steps');
    const batch = intOption(values, 'batch');
    const prompts = choiceOption(values, 'prompts', CANDIDATE_PROMPT_SETS);
    if (typeof values.out !== 'string' || values.out === '') throw new Error('missing required option --out');
    const dir = values.out;
    await initBackend();
    const { model, source } = loadCommandModel(values);
    try {
      const { generated, already } = generateCandidates({
        model,
        source,
        dir,
        n,
        seed,
        think: thinkOption(values),
        steps,
        batch,
        prompts,
        quiet: values.quiet === true,
      });
      console.log(`${n} candidates in ${dir} (${generated} generated, ${already} already there) from ${source}`);
    } finally {
      disposeModel(model);
    }
  },
};
