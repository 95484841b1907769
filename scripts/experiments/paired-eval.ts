// Experiment: compare post-training runs against their base with more prompts than a run's own evaluation, paired
// prompt by prompt. A run scores CompBench-mini on 112 prompts (one standard error ~4 points), too few to tell a
// 3-point gain from noise; here every model (the base and each run's EMA weights) draws the same N prompts and the
// same noise, so a run's difference to the base is a mean of per-prompt differences (pass - pass of the base), with
// its own standard error. Use the val split to choose; the test split is for the runs already chosen.
// Regenerate: npx ts-node --transpile-only scripts/experiments/paired-eval.ts --models base,RUN,RUN,... --out OUT.json
//   [--checkpoint data/base] [--split val] [--n 448] [--seed 21]   (scores and saves each model; rerun resumes)
//   npx ts-node --transpile-only scripts/experiments/paired-eval.ts --report OUT.json,OUT2.json [--json SUMMARY.json]
//     [--figure figures/NAME [--labels A,B,...]]   (the table; the summary JSON with each run's command; a bar chart of the differences)
// Two processes on two cores: give each its own --out and half the models, then --report both files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { readJsonl, writeJsonAtomic } from '../../lib/io';
import { barChart, saveFigure } from '../../lib/plot';
import { CANDIDATES_JSONL, type CandidateLine } from '../../lib/run/candidates';
import { parsePrompt } from '../../lib/world/grammar';
import { mentionsHeldOut } from '../../lib/world/splits';
import { runScript } from '../lib/run-script';
import { compBenchPasses, readRun } from '../lib/runs';

interface Scored {
  prompts: string[];
  passed: boolean[];
}
interface PairedSettings {
  checkpoint: string;
  split: 'val' | 'test';
  n: number;
  seed: number;
}
interface PairedFile extends PairedSettings {
  models: Record<string, Scored>;
}
interface DomainDiff {
  n: number;
  pass_rate: number;
  diff_to_base?: number;
  se?: number;
}
interface PairedRow {
  model: string;
  command?: string;
  pass_rate: number;
  diff_to_base?: number;
  se?: number;
  held_out?: DomainDiff;
  in_domain?: DomainDiff;
}

/** The prompt texts a run generated its candidates for (none when its candidates are gone). */
function candidatePromptsOf(runDir: string): string[] {
  const file = path.join(runDir, 'candidates', CANDIDATES_JSONL);
  return fs.existsSync(file) ? readJsonl<CandidateLine>(file).map((line) => line.original_prompt) : [];
}

function readPaired(file: string): PairedFile | undefined {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as PairedFile) : undefined;
}

const sameSettings = (a: PairedSettings, b: PairedSettings): boolean =>
  a.checkpoint === b.checkpoint && a.split === b.split && a.n === b.n && a.seed === b.seed;

/** Mean and standard error of a list of numbers. */
function meanSe(xs: readonly number[]): [number, number] {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  return [mean, Math.sqrt(variance / xs.length)];
}

function report(files: readonly PairedFile[]): { settings: PairedSettings; rows: PairedRow[] } {
  const [first] = files;
  for (const f of files)
    if (!sameSettings(f, first)) throw new Error('--report: the files were scored with different --checkpoint, --split, --n or --seed');
  const models = Object.assign({}, ...files.map((f) => f.models)) as Record<string, Scored>;
  const base = models.base;
  if (base === undefined) throw new Error('--report: no file holds the base model');
  console.log(
    `CompBench-mini, ${first.split} split, ${first.n} prompts, seed ${first.seed}; difference to the base paired by prompt (points, ± 1 SE)`,
  );
  // By domain: prompts naming a held-out colour-shape pair or not. A prompt any reported run generated its candidates
  // for (--candidate-prompts held-out draws them from val) is left out of both, so no run is scored on its own prompts.
  const trainedOn = new Set(
    Object.keys(models)
      .filter((name) => name !== 'base')
      .flatMap(candidatePromptsOf),
  );
  const heldOut = base.prompts.map((text) => mentionsHeldOut(parsePrompt(text)));
  const untrained = base.prompts.map((_, k) => k).filter((k) => !trainedOn.has(base.prompts[k]));
  const [heldOutKs, inDomainKs] = [untrained.filter((k) => heldOut[k]), untrained.filter((k) => !heldOut[k])];
  const domain = (scored: Scored, ks: readonly number[], isBase: boolean): DomainDiff => {
    const pass_rate = ks.length === 0 ? NaN : (100 * ks.filter((k) => scored.passed[k]).length) / ks.length;
    if (isBase || ks.length < 2) return { n: ks.length, pass_rate };
    const [diff_to_base, se] = meanSe(ks.map((k) => 100 * (Number(scored.passed[k]) - Number(base.passed[k]))));
    return { n: ks.length, pass_rate, diff_to_base, se };
  };
  const rows = Object.entries(models).map(([name, scored]): PairedRow => {
    if (scored.prompts.join('\n') !== base.prompts.join('\n')) throw new Error(`${name}: scored on other prompts than the base`);
    const pass_rate = (100 * scored.passed.filter(Boolean).length) / scored.passed.length;
    const byDomain = { held_out: domain(scored, heldOutKs, name === 'base'), in_domain: domain(scored, inDomainKs, name === 'base') };
    if (name === 'base') return { model: name, pass_rate, ...byDomain };
    const [diff_to_base, se] = meanSe(scored.passed.map((p, k) => 100 * (Number(p) - Number(base.passed[k]))));
    return { model: name, command: readRun(name).command, pass_rate, diff_to_base, se, ...byDomain };
  });
  const diffText = (d?: number, se?: number): string =>
    d === undefined ? '' : `${d >= 0 ? '+' : ''}${d.toFixed(1)} ± ${(se ?? 0).toFixed(1)}`;
  const left = base.prompts.length - untrained.length;
  if (left > 0)
    console.log(`(by domain: ${left} of the ${base.prompts.length} prompts are left out, some run generated its candidates for them)`);
  console.log(`${'model'.padEnd(40)} ${'all'.padStart(5)}   ${'diff'.padEnd(12)}  ${'held-out (n)'.padEnd(26)}in-domain (n)`);
  for (const r of rows) {
    const part = (d?: DomainDiff): string =>
      d === undefined ? '' : `${d.pass_rate.toFixed(1)} ${diffText(d.diff_to_base, d.se).padEnd(12)} (${d.n})`.padEnd(26);
    console.log(
      `${r.model.padEnd(40)} ${r.pass_rate.toFixed(1).padStart(5)}   ${diffText(r.diff_to_base, r.se).padEnd(12)}  ${part(r.held_out)}${part(r.in_domain)}`,
    );
  }
  const { checkpoint, split, n, seed } = first;
  return { settings: { checkpoint, split, n, seed }, rows };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      out: { type: 'string' },
      report: { type: 'string' },
      json: { type: 'string' },
      figure: { type: 'string' },
      labels: { type: 'string' },
      checkpoint: { type: 'string', default: 'data/base' },
      split: { type: 'string', default: 'val' },
      n: { type: 'string', default: '448' },
      seed: { type: 'string', default: '21' },
    },
    strict: true,
  });
  if (values.report !== undefined) {
    const table = report(
      values.report.split(',').map(
        (file) =>
          readPaired(file) ??
          (() => {
            throw new Error(`--report: no file ${file}`);
          })(),
      ),
    );
    const command = `npx ts-node --transpile-only scripts/experiments/paired-eval.ts --report ${values.report}${values.json ? ` --json ${values.json}` : ''}${values.figure ? ` --figure ${values.figure}` : ''}${values.labels ? ` --labels '${values.labels}'` : ''}`;
    if (values.json !== undefined) writeJsonAtomic(values.json, { ...table, command });
    if (values.figure !== undefined) {
      const runs = table.rows.filter((r) => r.diff_to_base !== undefined);
      const { split, n, seed } = table.settings;
      const labels = values.labels?.split(',') ?? runs.map((r) => path.basename(r.model));
      if (labels.length !== runs.length) throw new Error(`--labels: ${labels.length} labels for ${runs.length} runs`);
      const series = (
        name: string,
        pick: (r: PairedRow) => { diff_to_base?: number; se?: number } | undefined,
      ): { name: string; values: number[]; errors: number[] } => ({
        name,
        values: runs.map((r) => pick(r)?.diff_to_base ?? 0),
        errors: runs.map((r) => pick(r)?.se ?? 0),
      });
      const figure = barChart(
        labels,
        [series('all prompts', (r) => r), series('naming a held-out pair', (r) => r.held_out), series('in-domain', (r) => r.in_domain)],
        {
          title: `CompBench-mini: trained − base, ${n} ${split} prompts (seed ${seed}), ± 1 SE`,
          yTitle: 'points',
        },
      );
      await saveFigure(figure, values.figure, values.json ?? values.report);
    }
    return;
  }
  if (values.models === undefined || values.out === undefined)
    throw new Error(
      'usage: paired-eval.ts --models base,RUN,... --out OUT.json [--checkpoint data/base] [--split val] [--n 448] [--seed 21] | --report OUT.json,...',
    );
  const split = values.split;
  if (split !== 'val' && split !== 'test') throw new Error(`--split must be val or test, got ${values.split}`);
  const [n, seed] = [Number(values.n), Number(values.seed)];
  if (!Number.isInteger(n) || n < 2 || !Number.isInteger(seed)) throw new Error('--n must be an integer >= 2, --seed an integer');
  const settings: PairedSettings = { checkpoint: values.checkpoint, split, n, seed };
  const saved = readPaired(values.out);
  if (saved !== undefined && !sameSettings(saved, settings))
    throw new Error(`${values.out} was scored with other settings: remove it or pass another --out`);
  const file: PairedFile = saved ?? { ...settings, models: {} };
  await initBackend({ quiet: true });
  for (const name of values.models.split(',')) {
    if (file.models[name] !== undefined) continue;
    const run = name === 'base' ? undefined : name;
    if (run !== undefined) readRun(run, values.checkpoint); // trained from this base, or an error
    const { prompts, passed } = compBenchPasses(values.checkpoint, run, { n, seed, split });
    file.models[name] = { prompts: prompts.map((p) => p.text), passed };
    writeJsonAtomic(values.out, file);
    console.log(`${name}: ${passed.filter(Boolean).length}/${n}`);
  }
}

runScript(main);
