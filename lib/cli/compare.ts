// `srum compare`: score arms (checkpoints, `srum run` directories, sampler settings) on the evaluation protocol,
// paired image by image against the base, with standard errors clustered by prompt text (lib/eval/compare.ts).
import { initBackend } from '../backend/select';
import { writeJsonAtomic } from '../io';
import { compareArms, formatComparison, scoreArms, type Arm } from '../eval/compare';
import { autoWorkers, SamplerPool } from '../eval/pool';
import { DEFAULT_PROTOCOL, protocolImages, type ProtocolConfig } from '../eval/protocol';
import { DEFAULT_SAMPLING, type SamplingSettings } from '../generate/generate';
import { Progress } from '../progress';
import { choiceOption, Command, EVAL_SPLITS, intOption, requireString, type Values } from './command';

/** `name=source[:key=value...]`, e.g. `base=data/base`, `srum@0=runs/srum-0`, `heun=data/base:solver=heun:steps=12`. */
export function parseArmSpecs(text: string): Record<string, Arm> {
  const arms: Record<string, Arm> = {};
  for (const spec of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new Error(`--arms: "${spec}" is not name=source[:key=value...]`);
    const [source, ...settings] = spec.slice(eq + 1).split(':');
    const name = spec.slice(0, eq);
    if (arms[name] !== undefined) throw new Error(`--arms: arm ${name} named twice`);
    arms[name] = { source, sampling: settings.length === 0 ? undefined : samplingOverrides(settings, name) };
  }
  if (Object.keys(arms).length === 0) throw new Error('--arms names no arm');
  return arms;
}

function samplingOverrides(settings: readonly string[], arm: string): Partial<SamplingSettings> {
  const out: Record<string, unknown> = {};
  for (const setting of settings) {
    const [key, value] = setting.split('=');
    if (!(key in DEFAULT_SAMPLING) || value === undefined)
      throw new Error(`--arms ${arm}: "${setting}" is not key=value with a sampler key (${Object.keys(DEFAULT_SAMPLING).join(', ')})`);
    const current = DEFAULT_SAMPLING[key as keyof SamplingSettings];
    out[key] =
      typeof current === 'number'
        ? Number(value)
        : typeof current === 'boolean'
          ? value === 'true' || value === 'on'
          : Array.isArray(current)
            ? value.split('-').map(Number)
            : value;
    if (typeof current === 'number' && !Number.isFinite(out[key])) throw new Error(`--arms ${arm}: ${key} must be a number, got ${value}`);
  }
  return out as Partial<SamplingSettings>;
}

/** The protocol of a command's --split, --per-category, --draws and --seed (srum compare, srum headroom). */
export function protocolFromOptions(values: Values): ProtocolConfig {
  return {
    split: choiceOption(values, 'split', EVAL_SPLITS),
    perCategory: intOption(values, 'per-category'),
    draws: intOption(values, 'draws'),
    seed: intOption(values, 'seed'),
  };
}

export const compareCommand: Command = {
  name: 'compare',
  summary: 'paired comparison of arms on the evaluation protocol (same prompts and noise; prompt-clustered SEs)',
  options: {
    arms: {
      type: 'string',
      help: 'name=source[:sampler key=value...], comma-separated; name@seed = one training seed of an arm',
      default: 'base=data/base',
    },
    base: { type: 'string', help: 'the arm every other is paired against', default: 'base' },
    split: { type: 'string', help: 'val (choose anything) or test (once per final claim: needs --claim)', default: DEFAULT_PROTOCOL.split },
    'per-category': { type: 'string', help: 'distinct prompt texts per category at most', default: String(DEFAULT_PROTOCOL.perCategory) },
    draws: { type: 'string', help: 'noise draws per prompt', default: String(DEFAULT_PROTOCOL.draws) },
    seed: { type: 'string', help: 'noise seed', default: String(DEFAULT_PROTOCOL.seed) },
    scores: { type: 'string', help: 'verdicts file, resumable: arms already in it are not scored again' },
    out: { type: 'string', help: 'report JSON (with the command that wrote it)' },
    claim: { type: 'string', help: 'with --split test: the final claim this look at the test split is for (recorded)' },
    workers: { type: 'string', help: 'sampling threads (auto: one per core on wasm)', default: 'auto' },
    batch: { type: 'string', help: 'images per forward pass', default: '32' },
  },
  notes: ['Example: npx srum compare --arms base=data/base,fast=data/base:steps=12 --scores /tmp/s.json --out /tmp/r.json'],
  async run(values) {
    const protocol = protocolFromOptions(values);
    if (protocol.split === 'test' && typeof values.claim !== 'string')
      throw new Error('--split test is looked at once per final claim: say which with --claim "..."');
    const arms = parseArmSpecs(requireString(values, 'arms'));
    const base = String(values.base);
    if (arms[base] === undefined) throw new Error(`--base ${base} is not among the arms (${Object.keys(arms).join(', ')})`);
    await initBackend();
    const pool = await SamplerPool.open(values.workers === 'auto' ? autoWorkers() : intOption(values, 'workers'));
    const total = protocolImages(protocol).length;
    const bars = new Map<string, { bar: Progress; last: number }>();
    try {
      const scores = await scoreArms({
        pool,
        protocol,
        arms,
        file: typeof values.scores === 'string' ? values.scores : undefined,
        batchSize: intOption(values, 'batch'),
        onProgress: (arm, done) => {
          const entry = bars.get(arm) ?? { bar: new Progress({ label: `${arm} (${pool.size} threads)`, total, unit: 'img' }), last: 0 };
          bars.set(arm, entry);
          entry.bar.tick(done - entry.last);
          entry.last = done;
        },
      });
      const report = compareArms(scores, base);
      console.log(formatComparison(report, base));
      if (typeof values.out === 'string') {
        const command = `npx srum compare ${process.argv
          .slice(3)
          .map((a) => (/[\s;'"]/.test(a) ? `'${a}'` : a))
          .join(' ')}`;
        const testLook = protocol.split === 'test' ? { test_split_looked_at: { claim: values.claim, date: new Date().toISOString() } } : {};
        writeJsonAtomic(values.out, {
          command,
          ...testLook,
          ...report,
          default_sampling: DEFAULT_SAMPLING,
          sources: Object.fromEntries(Object.entries(scores.arms).map(([n, a]) => [n, { source: a.source, sampling: a.sampling }])),
        });
      }
    } finally {
      await pool.close();
    }
  },
};
