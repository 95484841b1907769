// Paired comparisons on the evaluation protocol (protocol.ts): every arm (the base, trained models, over training
// seeds) scored on the same images, then each arm's pass rate and its difference to the base with standard errors
// clustered by prompt text. An arm named `name@seed` is one training seed of arm `name`; its seeds are averaged image by
// image before the difference is taken, so the standard error covers prompts and draws, and the seeds' spread is
// reported beside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../io';
import { loadCheckpoint, readManifest } from '../model/checkpoint';
import { disposeModel, type UnifiedModel } from '../model/params';
import { loadEmaCheckpoint } from '../train/ema';
import { COMPBENCH_CATEGORIES, type Category } from '../world/types';
import type { SamplingSettings } from '../generate/generate';
import type { SamplerPool } from './pool';
import { clusteredMean, type ClusteredMean } from './gap';
import { protocolImages, type ProtocolConfig, type ProtocolImage } from './protocol';
import { understandingAccuracy, type EvalSplit, type UnderstandingItem } from './benchmarks';

/** The evaluator's verdicts of every arm on the protocol's images, in protocolImages order; resumable on disk. */
export interface ScoreFile {
  protocol: ProtocolConfig;
  /** Arm name -> where its weights came from, the sampler overrides it was drawn with, one verdict per image (1 = passed). */
  arms: Record<string, { source: string; sampling: Partial<SamplingSettings>; passed: number[] }>;
}

/** One arm: weights (a loadArm source or a model in memory) and sampler overrides (default: the toolkit's sampler). */
export interface Arm {
  source: string | UnifiedModel;
  sampling?: Partial<SamplingSettings>;
}

/**
 * A checkpoint directory, or a `srum run` directory. Post-trained weights are evaluated as `srum run` evaluates them:
 * the EMA weights, when the checkpoint keeps them (its manifest's data.ema).
 */
export function loadArm(source: string): UnifiedModel {
  const dir = fs.existsSync(path.join(source, 'summary.json')) ? path.join(source, 'train') : source;
  return readManifest(dir).data.ema !== undefined ? loadEmaCheckpoint(dir).model : loadCheckpoint(dir).model;
}

export interface ScoreArmsOptions {
  pool: SamplerPool;
  protocol: ProtocolConfig;
  arms: Record<string, Arm>;
  /** Where the verdicts are kept: arms already in it are not scored again (a stopped comparison resumes). */
  file?: string;
  /** Images per forward pass. */
  batchSize?: number;
  onProgress?: (arm: string, done: number, total: number) => void;
}

/** Scores every arm not yet in the file on the protocol's images (same prompts, same noise for every arm). */
export async function scoreArms(options: ScoreArmsOptions): Promise<ScoreFile> {
  const { protocol, pool } = options;
  const saved =
    options.file !== undefined && fs.existsSync(options.file)
      ? (JSON.parse(fs.readFileSync(options.file, 'utf8')) as ScoreFile)
      : undefined;
  if (saved !== undefined && JSON.stringify(saved.protocol) !== JSON.stringify(protocol)) {
    throw new Error(`${options.file} was scored on another protocol (${JSON.stringify(saved.protocol)}): remove it or pass another file`);
  }
  const scores: ScoreFile = saved ?? { protocol, arms: {} };
  const images = protocolImages(protocol);
  const prompts = images.map((image) => image.prompt);
  const noiseKeys = images.map((image) => image.noiseKey);
  for (const [name, arm] of Object.entries(options.arms)) {
    const sampling = arm.sampling ?? {};
    const done = scores.arms[name];
    if (done !== undefined && JSON.stringify(done.sampling) !== JSON.stringify(sampling))
      throw new Error(`${options.file}: arm ${name} was drawn with other sampler settings (${JSON.stringify(done.sampling)})`);
    // A name reused for other weights would silently pair the new arm with the old one's images.
    const saved = done?.source;
    if (saved !== undefined && saved !== 'in memory' && typeof arm.source === 'string' && path.resolve(saved) !== path.resolve(arm.source))
      throw new Error(`${options.file}: arm ${name} was drawn from ${saved}, not ${arm.source}: rename the arm or pass another file`);
    if (done !== undefined) continue;
    const model = typeof arm.source === 'string' ? loadArm(arm.source) : arm.source;
    options.onProgress?.(name, 0, prompts.length); // the arm starts: its progress clock starts here
    try {
      const { passed } = await pool.generate(model, prompts, {
        ...sampling,
        seed: protocol.seed,
        noiseKeys,
        batchSize: options.batchSize ?? 32,
        evaluate: true,
        onProgress: (done) => options.onProgress?.(name, done, prompts.length),
      });
      scores.arms[name] = { source: typeof arm.source === 'string' ? arm.source : 'in memory', sampling, passed: passed!.map(Number) };
      if (options.file !== undefined) writeJsonAtomic(options.file, scores);
    } finally {
      if (typeof arm.source === 'string') disposeModel(model);
    }
  }
  return scores;
}

/** Pass rate (percent) of an arm, overall and by category and domain, each with its clustered standard error. */
export interface ArmSummary {
  overall: ClusteredMean;
  in_domain: ClusteredMean;
  held_out: ClusteredMean;
  per_category: Partial<Record<Category, ClusteredMean>>;
  /** The seeds' own pass rates (arms named name@seed), percent. */
  per_seed?: Record<string, number>;
}

export interface ComparisonReport {
  protocol: ProtocolConfig & { n_prompts: number; n_images: number };
  arms: Record<string, ArmSummary>;
  /** arm - base, paired image by image (seed-averaged), percent points. */
  paired: Record<string, ArmSummary>;
}

/** Groups `name@seed` arms under `name`; other arms are their own group. */
export function armGroups(names: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const group = name.includes('@') ? name.slice(0, name.lastIndexOf('@')) : name;
    groups.set(group, [...(groups.get(group) ?? []), name]);
  }
  return groups;
}

function summarise(images: readonly ProtocolImage[], values: readonly number[]): ArmSummary {
  const of = (keep: (image: ProtocolImage) => boolean): ClusteredMean => {
    const ks = images.map((_, k) => k).filter((k) => keep(images[k]));
    const m = clusteredMean(
      ks.map((k) => 100 * values[k]),
      ks.map((k) => images[k].prompt),
    );
    return m;
  };
  const per_category: Partial<Record<Category, ClusteredMean>> = {};
  for (const category of COMPBENCH_CATEGORIES)
    if (images.some((image) => image.category === category)) per_category[category] = of((image) => image.category === category);
  return { overall: of(() => true), in_domain: of((image) => !image.heldOut), held_out: of((image) => image.heldOut), per_category };
}

/**
 * Every arm's pass rate and every arm's paired difference to `base`, from a score file; `pairs` adds differences
 * between two other arms (groups), e.g. ['srum', 'sft'] -> paired['srum-sft'], seeds averaged image by image.
 */
export function compareArms(scores: ScoreFile, base = 'base', pairs: ReadonlyArray<readonly [string, string]> = []): ComparisonReport {
  const images = protocolImages(scores.protocol);
  for (const [name, arm] of Object.entries(scores.arms)) {
    if (arm.passed.length !== images.length)
      throw new Error(`arm ${name}: ${arm.passed.length} verdicts for ${images.length} protocol images`);
  }
  if (scores.arms[base] === undefined)
    throw new Error(`no arm named ${base} to pair against (arms: ${Object.keys(scores.arms).join(', ')})`);
  const basePassed = scores.arms[base].passed;
  const report: ComparisonReport = {
    protocol: { ...scores.protocol, n_prompts: new Set(images.map((image) => image.prompt)).size, n_images: images.length },
    arms: {},
    paired: {},
  };
  const averages = new Map<string, number[]>();
  for (const [group, members] of armGroups(Object.keys(scores.arms))) {
    const averaged = seedAverage(scores, members);
    averages.set(group, averaged);
    const summary = summarise(images, averaged);
    if (members.length > 1)
      summary.per_seed = Object.fromEntries(
        members.map((m) => [m, (100 * scores.arms[m].passed.reduce((a, b) => a + b, 0)) / images.length]),
      );
    report.arms[group] = summary;
    if (group !== base)
      report.paired[`${group}-${base}`] = summarise(
        images,
        averaged.map((v, k) => v - basePassed[k]),
      );
  }
  for (const [a, b] of pairs) {
    const [x, y] = [averages.get(a), averages.get(b)];
    if (x === undefined || y === undefined) throw new Error(`cannot pair ${a} with ${b}: arms are ${[...averages.keys()].join(', ')}`);
    report.paired[`${a}-${b}`] = summarise(
      images,
      x.map((v, k) => v - y[k]),
    );
  }
  return report;
}

/** Each image's verdict averaged over the members (a group's seeds), image by image. */
function seedAverage(scores: ScoreFile, members: readonly string[]): number[] {
  const n = scores.arms[members[0]].passed.length;
  return Array.from({ length: n }, (_, k) => members.reduce((sum, m) => sum + scores.arms[m].passed[k], 0) / members.length);
}

/**
 * A group's paired difference to `base` (seeds averaged image by image, as compareArms) over the protocol images
 * `keep` selects, e.g. a few categories: percentage points, its SE clustered by prompt text.
 */
export function pairedMean(
  scores: ScoreFile,
  options: { group: string; base?: string; keep: (image: ProtocolImage) => boolean },
): ClusteredMean {
  const base = options.base ?? 'base';
  const groups = armGroups(Object.keys(scores.arms));
  for (const name of [options.group, base])
    if (!groups.has(name)) throw new Error(`no arm ${name} in the scores (arms: ${[...groups.keys()].join(', ')})`);
  const images = protocolImages(scores.protocol);
  const [arm, reference] = [seedAverage(scores, groups.get(options.group)!), seedAverage(scores, groups.get(base)!)];
  if (arm.length !== images.length || reference.length !== images.length)
    throw new Error(`${options.group} or ${base}: not one verdict per protocol image (${images.length})`);
  const ks = images.map((_, k) => k).filter((k) => options.keep(images[k]));
  return clusteredMean(
    ks.map((k) => 100 * (arm[k] - reference[k])),
    ks.map((k) => images[k].prompt),
  );
}

/** The report as a small table: pass rate and paired difference (± 1 clustered SE), overall and by domain. */
export function formatComparison(report: ComparisonReport, base = 'base'): string {
  const { split, n_prompts, n_images, draws } = report.protocol;
  const cell = (m: ClusteredMean, signed: boolean): string =>
    `${signed && m.mean >= 0 ? '+' : ''}${m.mean.toFixed(1)} ± ${m.se.toFixed(1)}`;
  const lines = [`${split} split, ${n_prompts} prompts x ${draws} draws = ${n_images} images per arm; ± 1 SE clustered by prompt`];
  lines.push(`${'arm'.padEnd(22)}${'pass %'.padEnd(14)}${`- ${base}`.padEnd(14)}${'in-domain'.padEnd(14)}held-out pair`);
  for (const [name, arm] of Object.entries(report.arms)) {
    const diff = report.paired[`${name}-${base}`];
    const row = [
      cell(arm.overall, false),
      diff ? cell(diff.overall, true) : '',
      diff ? cell(diff.in_domain, true) : cell(arm.in_domain, false),
      diff ? cell(diff.held_out, true) : cell(arm.held_out, false),
    ];
    lines.push(name.padEnd(22) + row.map((c) => c.padEnd(14)).join(''));
  }
  const between = Object.keys(report.paired).filter((key) => !key.endsWith(`-${base}`));
  for (const key of between) {
    const d = report.paired[key];
    lines.push(`${key.padEnd(36)}${cell(d.overall, true).padEnd(14)}${cell(d.in_domain, true).padEnd(14)}${cell(d.held_out, true)}`);
  }
  return lines.join('\n');
}

/**
 * Understanding accuracy (%) of every arm on n rendered scenes of the split (lib/eval/benchmarks.ts), kept in `file`
 * by arm name: an arm already in it is read back, not measured again (a stopped comparison resumes).
 */
export function cachedUnderstanding(
  arms: Record<string, Arm>,
  options: { file: string; n: number; seed: number; split: EvalSplit },
): Record<string, number> {
  const { file, n, seed, split } = options;
  const understanding = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>) : {};
  for (const [name, arm] of Object.entries(arms)) {
    if (understanding[name] !== undefined) continue;
    const model = typeof arm.source === 'string' ? loadArm(arm.source) : arm.source;
    understanding[name] = understandingAccuracy(model, { n, seed, split });
    if (typeof arm.source === 'string') disposeModel(model);
    writeJsonAtomic(file, understanding);
  }
  return understanding;
}

/**
 * Understanding of an arm minus the base's on the same scenes (understandingItems with the same options), percent
 * points, SE clustered by prompt text. An arm of several training seeds is averaged scene by scene first, as the
 * score phase averages seeds image by image.
 */
export function pairedUnderstanding(base: readonly UnderstandingItem[], seeds: ReadonlyArray<readonly UnderstandingItem[]>): ClusteredMean {
  if (seeds.length === 0) throw new Error('pairedUnderstanding: an arm needs at least one seed');
  for (const items of seeds)
    if (items.length !== base.length || items.some((item, k) => item.prompt !== base[k].prompt))
      throw new Error('pairedUnderstanding: the arms were not asked the same scenes (same n, seed and split needed)');
  const differences = base.map((item, k) => {
    const arm = seeds.reduce((sum, items) => sum + Number(items[k].correct), 0) / seeds.length;
    return 100 * (arm - Number(item.correct));
  });
  return clusteredMean(
    differences,
    base.map((item) => item.prompt),
  );
}

/** A group's columns per training seed, as the result files list them: `base` alone, else `group@seed` for each seed. */
export function seedColumns(
  scores: ScoreFile,
  understanding: Record<string, number>,
  group: string,
  seeds: readonly number[],
): { overall: number[]; understanding: number[] } {
  return memberColumns(scores, understanding, group === 'base' ? ['base'] : seeds.map((s) => `${group}@${s}`));
}

/** Pass rate (%) and understanding of each named arm, in order: the columns of one group (armGroups' members). */
export function memberColumns(
  scores: ScoreFile,
  understanding: Record<string, number>,
  names: readonly string[],
): { overall: number[]; understanding: number[] } {
  const pct = (name: string): number => (100 * scores.arms[name].passed.reduce((a, b) => a + b, 0)) / scores.arms[name].passed.length;
  return { overall: names.map(pct), understanding: names.map((name) => understanding[name]) };
}
