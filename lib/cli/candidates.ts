// `srum candidates`: the model's own images for world TRAINING prompts (the released pipeline's step 1).
// DIR gets cand-00000.png, ... and candidates.jsonl, one line per image in index order:
//   { image_file (relative to DIR), original_prompt, category, index, think }
// plus candidates.config.json (seed, think, steps, model). Prompt i is samplePrompts({ split: 'train' })[i]
// (prefix-stable in n). Images are generated in chunks of --batch; chunk k draws its noise from
// seed hash("candidates:<seed>:<k>"), so a resumed run with the same n writes exactly the images a fresh run
// would. Resume: PNGs already present are kept; the JSONL is rewritten atomically after every chunk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../backend/select';
import { DEFAULT_SAMPLING, generateImages } from '../generate/generate';
import { loadCheckpoint } from '../model/checkpoint';
import { MODEL_PRESETS, resolveModelConfig, type ModelPreset } from '../model/config';
import { disposeModel, initModel, type UnifiedModel } from '../model/params';
import { writeFileAtomic, writeJsonAtomic } from '../io';
import { Progress } from '../progress';
import { hashString } from '../rng';
import { writePng } from '../world/png';
import { samplePrompts } from '../world/splits';
import { Command, intOption } from './command';
import { DEFAULT_CHECKPOINT } from './gap';

export const CANDIDATES_JSONL = 'candidates.jsonl';
export const CANDIDATES_CONFIG = 'candidates.config.json';

/** One line of candidates.jsonl. */
export interface CandidateLine {
  image_file: string;
  original_prompt: string;
  category: string;
  index: number;
  think: boolean;
}

type Values = Record<string, string | boolean | undefined>;

/** The model a command runs: --preset NAME builds an untrained model (seeded by --seed) for smoke runs; otherwise --checkpoint is loaded. */
export function loadCommandModel(values: Values): { model: UnifiedModel; source: string } {
  if (typeof values.preset === 'string') {
    if (!(values.preset in MODEL_PRESETS)) throw new Error(`--preset must be one of ${Object.keys(MODEL_PRESETS).join(', ')}, got ${values.preset}`);
    const seed = intOption(values, 'seed', 0);
    return { model: initModel(resolveModelConfig(values.preset as ModelPreset), seed), source: `untrained ${values.preset} model (seed ${seed})` };
  }
  const dir = typeof values.checkpoint === 'string' ? values.checkpoint : DEFAULT_CHECKPOINT;
  const { model, manifest } = loadCheckpoint(dir);
  return { model, source: `checkpoint ${dir} (step ${manifest.step})` };
}

export const imageName = (index: number): string => `cand-${String(index).padStart(5, '0')}.png`;

/** The config a resumed run must share with the run that started DIR (n may grow or shrink). */
function checkConfig(dir: string, config: Record<string, unknown>): void {
  const file = path.join(dir, CANDIDATES_CONFIG);
  if (fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const differ = Object.keys(config).filter((k) => k !== 'n' && JSON.stringify(saved[k]) !== JSON.stringify(config[k]));
    if (differ.length > 0) throw new Error(`${dir} holds candidates made with other settings (${differ.map((k) => `${k}: ${JSON.stringify(saved[k])} there, ${JSON.stringify(config[k])} now`).join('; ')}); use another --out`);
  }
  writeJsonAtomic(file, config);
}

export const candidatesCommand: Command = {
  name: 'candidates',
  summary: 'generate candidate images for world training prompts (PNGs + candidates.jsonl; resumable)',
  options: {
    n: { type: 'string', help: 'number of images' },
    out: { type: 'string', help: 'output directory' },
    think: { type: 'boolean', help: 'plan the layout first (think mode)', default: false },
    checkpoint: { type: 'string', help: 'checkpoint directory', default: DEFAULT_CHECKPOINT },
    preset: { type: 'string', help: 'use an untrained model of this preset instead of --checkpoint (smoke runs)' },
    seed: { type: 'string', help: 'seed of prompts and sampling noise (and of --preset weights)', default: '0' },
    steps: { type: 'string', help: 'Euler sampling steps', default: String(DEFAULT_SAMPLING.steps) },
    batch: { type: 'string', help: 'images per generation chunk', default: '16' },
    quiet: { type: 'boolean', help: 'no progress bar', default: false },
  },
  async run(values) {
    const n = intOption(values, 'n');
    const seed = intOption(values, 'seed');
    const steps = intOption(values, 'steps');
    const batch = intOption(values, 'batch');
    if (n < 1 || steps < 1 || batch < 1) throw new Error('--n, --steps and --batch must be positive');
    if (typeof values.out !== 'string' || values.out === '') throw new Error('missing required option --out');
    const dir = values.out;
    const think = values.think === true;
    await initBackend();
    const { model, source } = loadCommandModel(values);
    fs.mkdirSync(dir, { recursive: true });
    checkConfig(dir, { n, seed, think, steps, batch, model: source, sampling: { ...DEFAULT_SAMPLING, steps, think } });
    const prompts = samplePrompts({ split: 'train', n, seed });
    const exists = (i: number): boolean => fs.existsSync(path.join(dir, imageName(i)));
    const lines = (): string => prompts
      .map((p, index): CandidateLine => ({ image_file: imageName(index), original_prompt: p.text, category: p.category, index, think }))
      .filter((line) => exists(line.index))
      .map((line) => JSON.stringify(line) + '\n')
      .join('');
    const already = prompts.filter((_, i) => exists(i)).length;
    const bar = new Progress({ label: think ? 'candidates (think)' : 'candidates', total: n - already, unit: 'img', quiet: values.quiet === true });
    for (let start = 0; start < n; start += batch) {
      const indices = prompts.map((_, i) => i).slice(start, start + batch);
      const missing = indices.filter((i) => !exists(i));
      if (missing.length === 0) continue;
      const images = generateImages(model, indices.map((i) => prompts[i].text), { seed: hashString(`candidates:${seed}:${start / batch}`), think, steps, batchSize: batch });
      for (const i of missing) writePng(path.join(dir, imageName(i)), images[i - start]);
      writeFileAtomic(path.join(dir, CANDIDATES_JSONL), lines());
      bar.tick(missing.length);
    }
    writeFileAtomic(path.join(dir, CANDIDATES_JSONL), lines());
    disposeModel(model);
    console.log(`${n} candidates in ${dir} (${n - already} generated, ${already} already there) from ${source}`);
  },
};
