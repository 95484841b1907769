// The lambda sweep (paper Fig. 3 right) and the ablations (Fig. 3 left) as result files, read from one paired score
// result: what `scripts/experiments/srum-gain.ts --phase score` writes, or scoreResult below on scores in memory.
// The arms are found by name:
// - lambda sweep: `lambda-<value>@<seed>` for each lambda_c (lambdaArm), scored in think mode (the sampler's
//   default) and paired against `base`. Normal mode, when scored: the same checkpoints as extra arms
//   `lambda-<value>-normal@<seed>=DIR:think=off`, beside `base-normal=BASE:think=off`, each paired against it
//   (`--pairs lambda-<value>-normal:base-normal`).
// - ablations: `full`, `no-global`, `no-reference`, `sparse`, `sample-level` (ABLATIONS; another arm may stand for a
//   row through `as`), each paired against full (`--pairs no-global:full,...`).
// Pass rates and differences are in percentage points. Every SE is the report's: clustered by prompt text, of the
// seed-averaged arm (seeds averaged image by image), so it covers prompts and draws; the seeds' spread is in the
// per-seed columns beside it. The generalisation result (generalisation.ts) is read the same way.
import type { ClusteredMean } from './gap';
import { armGroups, compareArms, memberColumns, type ComparisonReport, type ScoreFile } from './compare';

/** What a paired score result holds (the parts read here): srum-gain.ts --phase score writes it. */
export interface ScoreResult {
  command: string;
  protocol: { split: string; n_prompts: number; draws: number; seeds: number[] };
  test_looked_at: boolean;
  /** Per group (`name` of `name@seed`): pass rate and understanding (%) of each seed member, in order. */
  arms: Record<string, { overall: number[]; understanding: number[] }>;
  report: ComparisonReport;
}

/** The score result of scores in memory, as srum-gain.ts writes it: every group's columns and the paired report. */
export function scoreResult(
  scores: ScoreFile,
  understanding: Record<string, number>,
  options: { seeds: number[]; command: string; pairs?: ReadonlyArray<readonly [string, string]> },
): ScoreResult {
  const report = compareArms(scores, 'base', options.pairs ?? []);
  const groups = [...armGroups(Object.keys(scores.arms))];
  const { split, draws } = scores.protocol;
  return {
    command: options.command,
    protocol: { split, n_prompts: report.protocol.n_prompts, draws, seeds: options.seeds },
    test_looked_at: split === 'test',
    arms: Object.fromEntries(groups.map(([group, members]) => [group, memberColumns(scores, understanding, members)])),
    report,
  };
}

export type Difference = Pick<ClusteredMean, 'mean' | 'se'>;

/** The arm every row is measured against. */
export interface BaseRow {
  arm: string;
  overall: number;
  se: number;
  understanding: number;
}

/** Rows of arms (one per lambda or ablation): per-seed columns and the seed-averaged arm's statistics. */
export interface ArmRows {
  /** The group of each row in the score result. */
  arms: string[];
  /** [row][seed] pass rate (%). */
  overall: number[][];
  /** Seed-averaged pass rate (%) and its clustered SE. */
  mean: number[];
  se: number[];
  /** Row - base, paired image by image. */
  minus_base: Difference[];
  /** [row][seed] understanding accuracy (%). */
  understanding: number[][];
  base: BaseRow;
}

export interface Provenance {
  /** The command that wrote this file, and the score result it read (with the command that wrote that). */
  command: string;
  from: string;
  score_command: string;
  protocol: ScoreResult['protocol'];
  test_looked_at: boolean;
  seeds: number[];
}

export interface LambdaSweepResult extends Provenance, ArmRows {
  lambdas: number[];
  /** The same checkpoints sampled in normal mode, against the base in normal mode (when scored). */
  normal?: ArmRows;
}

/** The ablation rows, in figure order, and what each changes from full SRUM (SrumConfig). */
export const ABLATIONS = {
  full: 'full SRUM: the official reward map (global x local), lambdaC 0.1',
  'no-global': 'rewardMode local-only: the reward map without the global layout factor',
  'no-reference': 'lambdaC 0: no reference term (Eq. 3)',
  sparse: 'rewardMode sparse: region scores binarised to 0/1 before the official rule',
  'sample-level': 'rewardMode global-only: one reward per image, (g + 1) / 2',
} as const;
export type AblationRow = keyof typeof ABLATIONS;

export interface AblationResult extends Provenance, ArmRows {
  rows: AblationRow[];
  what: string[];
  /** Row - full, paired image by image; null for full itself. */
  minus_full: Array<Difference | null>;
}

/** The score group of lambda_c's arm: `lambda-0.5`, and `lambda-0.5-normal` for the same checkpoints in normal mode. */
export const lambdaArm = (lambda: number, mode: 'think' | 'normal' = 'think'): string =>
  `lambda-${lambda}${mode === 'normal' ? '-normal' : ''}`;
export const BASE_NORMAL = 'base-normal';
const LAMBDA_ARM = /^lambda-(\d+(?:\.\d+)?)(-normal)?$/;

/** `a:b,c:d`, the --pairs that score the missing rows. */
const pairsFlag = (pairs: ReadonlyArray<readonly [string, string]>): string => pairs.map(([a, b]) => `${a}:${b}`).join(',');

export function provenance(result: ScoreResult, from: string, command: string): Provenance {
  const { protocol, test_looked_at } = result;
  return { command, from, score_command: result.command, protocol, test_looked_at, seeds: protocol.seeds };
}

/** The rows `groups`, each against `base` (the pair `${group}-${base}` must be scored); `from` names the score in errors. */
export function armRows(result: ScoreResult, groups: readonly string[], { base, from }: { base: string; from: string }): ArmRows {
  const known = `arms: ${Object.keys(result.arms).join(', ')}`;
  for (const group of [base, ...groups])
    if (result.arms[group] === undefined || result.report.arms[group] === undefined) throw new Error(`${from}: no arm ${group} (${known})`);
  const { seeds } = result.protocol;
  for (const group of groups) {
    const members = result.arms[group].overall.length;
    const named = Object.keys(result.report.arms[group].per_seed ?? {});
    const expected = seeds.map((s) => `${group}@${s}`);
    if (members !== seeds.length || (named.length > 0 && named.join() !== expected.join()))
      throw new Error(
        `${from}: arm ${group} has members ${named.join(', ') || members}, not ${expected.join(', ')} (score every row at --seeds ${seeds.join(',')})`,
      );
  }
  const unpaired = groups.filter((g) => result.report.paired[`${g}-${base}`] === undefined).map((g): [string, string] => [g, base]);
  if (unpaired.length > 0) throw new Error(`${from}: rows not paired against ${base} (score with --pairs ${pairsFlag(unpaired)})`);
  const summary = (group: string): ClusteredMean => result.report.arms[group].overall;
  const paired = (group: string): Difference => {
    const { mean, se } = result.report.paired[`${group}-${base}`].overall;
    return { mean, se };
  };
  const baseUnderstanding = result.arms[base].understanding;
  return {
    arms: [...groups],
    overall: groups.map((g) => result.arms[g].overall),
    mean: groups.map((g) => summary(g).mean),
    se: groups.map((g) => summary(g).se),
    minus_base: groups.map(paired),
    understanding: groups.map((g) => result.arms[g].understanding),
    base: { arm: base, overall: summary(base).mean, se: summary(base).se, understanding: baseUnderstanding[0] },
  };
}

/** lambda-sweep.json from a score result with `lambda-<value>` arms (and their `-normal` twins, if scored). */
export function lambdaSweepResult(result: ScoreResult, options: { from: string; command: string }): LambdaSweepResult {
  const { from } = options;
  const found = Object.keys(result.arms).flatMap((group) => {
    const match = LAMBDA_ARM.exec(group);
    return match === null ? [] : [{ lambda: Number(match[1]), normal: match[2] !== undefined }];
  });
  const lambdas = [...new Set(found.filter((f) => !f.normal).map((f) => f.lambda))].sort((a, b) => a - b);
  if (lambdas.length === 0) throw new Error(`${from}: no lambda-<value> arms (arms: ${Object.keys(result.arms).join(', ')})`);
  const normalLambdas = new Set(found.filter((f) => f.normal).map((f) => f.lambda));
  const think = armRows(
    result,
    lambdas.map((l) => lambdaArm(l)),
    { base: 'base', from },
  );
  const sweep: LambdaSweepResult = { ...provenance(result, from, options.command), lambdas, ...think };
  if (normalLambdas.size === 0) return sweep;
  const stray = [...normalLambdas].filter((l) => !lambdas.includes(l)).map((l) => lambdaArm(l, 'normal'));
  if (stray.length > 0) throw new Error(`${from}: ${stray.join(', ')} scored without the think-mode arm of the same lambda`);
  const missing = lambdas.filter((l) => !normalLambdas.has(l));
  if (missing.length > 0)
    throw new Error(
      `${from}: normal mode is scored for some lambdas only: add the extra arms ` +
        `${missing.map((l) => `${lambdaArm(l, 'normal')}@SEED=RUNS/${lambdaArm(l)}@SEED:think=off`).join(', ')}`,
    );
  if (result.arms[BASE_NORMAL] === undefined)
    throw new Error(`${from}: normal-mode arms but no ${BASE_NORMAL} to pair them with (add the extra arm ${BASE_NORMAL}=BASE:think=off)`);
  return {
    ...sweep,
    normal: armRows(
      result,
      lambdas.map((l) => lambdaArm(l, 'normal')),
      { base: BASE_NORMAL, from },
    ),
  };
}

/**
 * ablations.json from a score result with the ablation arms (ABLATIONS, those present, in that order); `as` names
 * another arm for a row (`{ full: 'lambda-0.1' }`). Full SRUM must be there: every other row is paired against it.
 */
export function ablationResult(
  result: ScoreResult,
  options: { from: string; command: string; as?: Partial<Record<AblationRow, string>> },
): AblationResult {
  const { from } = options;
  const as = options.as ?? {};
  for (const [row, arm] of Object.entries(as)) {
    if (!(row in ABLATIONS)) throw new Error(`unknown ablation row ${row} (rows: ${Object.keys(ABLATIONS).join(', ')})`);
    if (result.arms[arm] === undefined)
      throw new Error(`${from}: no arm ${arm} for row ${row} (arms: ${Object.keys(result.arms).join(', ')})`);
  }
  const armOf = (row: AblationRow): string => as[row] ?? row;
  const rows = (Object.keys(ABLATIONS) as AblationRow[]).filter((row) => result.arms[armOf(row)] !== undefined);
  if (!rows.includes('full'))
    throw new Error(`${from}: no arm full (every ablation is read against full SRUM: train it, or name its arm with --as full=ARM)`);
  if (rows.length < 2) throw new Error(`${from}: no ablation arm beside full (looked for ${Object.keys(ABLATIONS).slice(1).join(', ')})`);
  const arms = rows.map(armOf);
  const rowsVsBase = armRows(result, arms, { base: 'base', from });
  const full = armOf('full');
  const unpaired = arms
    .filter((a) => a !== full && result.report.paired[`${a}-${full}`] === undefined)
    .map((a): [string, string] => [a, full]);
  if (unpaired.length > 0) throw new Error(`${from}: rows not paired against ${full} (score with --pairs ${pairsFlag(unpaired)})`);
  const minusFull = arms.map((a): Difference | null => {
    if (a === full) return null;
    const { mean, se } = result.report.paired[`${a}-${full}`].overall;
    return { mean, se };
  });
  return {
    ...provenance(result, from, options.command),
    rows,
    what: rows.map((row) => ABLATIONS[row]),
    ...rowsVsBase,
    minus_full: minusFull,
  };
}

const average = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const signed = (d: Difference): string => `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(1)} ± ${d.se.toFixed(1)}`;

/** The rows as a small table: pass rate, difference to the base, understanding, per-seed pass rates. */
function formatRows(labels: readonly string[], rows: ArmRows, extra: readonly string[] = []): string[] {
  const base = `${rows.base.arm}: pass ${rows.base.overall.toFixed(1)} ± ${rows.base.se.toFixed(1)}, understanding ${rows.base.understanding.toFixed(1)}`;
  const header = `${''.padEnd(14)}${'pass %'.padEnd(14)}${'- base'.padEnd(14)}${extra.length > 0 ? '- full'.padEnd(14) : ''}understanding  per seed`;
  return [
    base,
    header,
    ...labels.map(
      (label, i) =>
        label.padEnd(14) +
        `${rows.mean[i].toFixed(1)} ± ${rows.se[i].toFixed(1)}`.padEnd(14) +
        signed(rows.minus_base[i]).padEnd(14) +
        (extra.length > 0 ? extra[i].padEnd(14) : '') +
        average(rows.understanding[i]).toFixed(1).padEnd(15) +
        rows.overall[i].map((v) => v.toFixed(1)).join(' '),
    ),
  ];
}

export function formatProtocol(r: Provenance): string {
  const { split, n_prompts, draws } = r.protocol;
  return `${split} split, ${n_prompts} prompts x ${draws} draws, seeds ${r.seeds.join(',')}; ± 1 SE clustered by prompt, percentage points`;
}

export function formatLambdaSweep(r: LambdaSweepResult): string {
  const labels = r.lambdas.map((l) => `lambda ${l}`);
  const modes = [['think mode', r] as const, ...(r.normal === undefined ? [] : [['normal mode', r.normal] as const])];
  return [formatProtocol(r), ...modes.flatMap(([mode, rows]) => [`${mode}:`, ...formatRows(labels, rows)])].join('\n');
}

export function formatAblations(r: AblationResult): string {
  const vsFull = r.minus_full.map((d) => (d === null ? '' : signed(d)));
  return [formatProtocol(r), ...formatRows(r.rows, r, vsFull)].join('\n');
}
