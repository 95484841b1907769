// Generalisation across category groups (the design of the paper's Fig. 6): an arm post-trained on the candidates of
// one group of categories only (srum-gain.ts --train-categories), scored on every category of the protocol, so its
// gain on the other groups is transfer; the prompts naming a held-out colour-shape pair (lib/world/heldout.ts), never
// in a training prompt, are the out-of-domain test.
// Read from one paired score result (srum-gain.ts --phase score): the arm `gen-<group>@<seed>` of each group (another
// arm through `as`), paired against base. Per category, held-out and in-domain: the report's paired means and
// prompt-clustered SEs, passed through. The in-group and out-of-group aggregates need the verdicts image by image (the
// score run's scores file): given them, pairedMean (compare.ts) computes each as one paired mean over the images of
// those categories, SE clustered by prompt; without them the aggregates are left out (an average of the per-category
// SEs would not be the SE of anything). Differences in percentage points.
import { pairedMean, type ScoreFile } from './compare';
import type { ProtocolImage } from './protocol';
import { armRows, formatProtocol, provenance, type BaseRow, type Difference, type Provenance, type ScoreResult } from './sweep-results';
import { COMPBENCH_CATEGORIES, type CompBenchCategory } from '../world/types';

/**
 * The groups an arm trains on. The paper's Fig. 6 trains on one of WISE's three knowledge categories and evaluates on
 * the other two; the world knows no facts, so its eight T2I-CompBench categories are split three ways instead: the
 * attributes of an object; where objects are and how many; actions and mixtures. (T2I-CompBench itself puts
 * non-spatial with the spatial relations and numeracy on its own.)
 */
export const CATEGORY_GROUPS = {
  attribute: ['color', 'shape', 'texture'],
  layout: ['spatial', '3d_spatial', 'numeracy'],
  complex: ['non-spatial', 'complex'],
} as const satisfies Record<string, readonly CompBenchCategory[]>;
export type CategoryGroups = Readonly<Record<string, readonly CompBenchCategory[]>>;

/** The score group of the arm trained on a category group. */
export const generalisationArm = (group: string): string => `gen-${group}`;

/** One trained group minus base: each category, the held-out pairs, the rest, and (with the verdicts) its own group and the others. */
export type GroupMinusBase = Partial<Record<CompBenchCategory, Difference>> & {
  overall: Difference;
  in_domain: Difference;
  held_out: Difference;
  in_group?: Difference;
  out_of_group?: Difference;
};

export interface GeneralisationResult extends Provenance {
  groups: Record<string, CompBenchCategory[]>;
  /** The groups with a trained arm, in `groups` order, and their arms. */
  trained_on: string[];
  arms: string[];
  /** Trained group -> its arm minus base, paired image by image. */
  minus_base: Record<string, GroupMinusBase>;
  /** Trained group -> pass rate (%) of each training seed. */
  overall: Record<string, number[]>;
  base: BaseRow;
  /** The scores file the in-group and out-of-group aggregates were computed from, when they were. */
  scores_file?: string;
}

const difference = ({ mean, se }: Difference): Difference => ({ mean, se });

function checkGroups(groups: CategoryGroups): void {
  const seen = new Map<string, string>();
  for (const [group, categories] of Object.entries(groups)) {
    if (categories.length === 0) throw new Error(`category group ${group} is empty`);
    for (const category of categories) {
      if (!(COMPBENCH_CATEGORIES as readonly string[]).includes(category)) throw new Error(`group ${group}: unknown category ${category}`);
      const other = seen.get(category);
      if (other !== undefined) throw new Error(`category ${category} is in two groups, ${other} and ${group}`);
      seen.set(category, group);
    }
  }
}

/** The verdicts must be those the score result was computed from: its protocol, and each arm's paired overall mean. */
function checkScores(result: ScoreResult, scores: ScoreFile, arms: readonly string[], file: string): void {
  const { split, perCategory, draws, seed } = result.report.protocol;
  if (JSON.stringify(scores.protocol) !== JSON.stringify({ split, perCategory, draws, seed }))
    throw new Error(`${file} was scored on another protocol (${JSON.stringify(scores.protocol)}) than the score result`);
  for (const arm of arms) {
    const recomputed = pairedMean(scores, { group: arm, keep: () => true }).mean;
    if (Math.abs(recomputed - result.report.paired[`${arm}-base`].overall.mean) > 1e-9)
      throw new Error(`${file}: the verdicts of ${arm} are not those the score result paired (other seeds or a re-score?)`);
  }
}

/**
 * generalisation.json from a score result with an arm per category group (`gen-<group>`, or `as[group]`), those present
 * in `groups` order; `scores` (the run's scores file) adds the in-group and out-of-group aggregates.
 */
export function generalisationResult(
  result: ScoreResult,
  options: {
    groups: CategoryGroups;
    as?: Readonly<Partial<Record<string, string>>>;
    from: string;
    command: string;
    scores?: { file: string; verdicts: ScoreFile };
  },
): GeneralisationResult {
  const { groups, from } = options;
  const as = options.as ?? {};
  checkGroups(groups);
  const known = `arms: ${Object.keys(result.arms).join(', ')}`;
  for (const [group, arm = ''] of Object.entries(as)) {
    if (groups[group] === undefined) throw new Error(`unknown category group ${group} (groups: ${Object.keys(groups).join(', ')})`);
    if (result.arms[arm] === undefined) throw new Error(`${from}: no arm ${arm} for group ${group} (${known})`);
  }
  const armOf = (group: string): string => as[group] ?? generalisationArm(group);
  const trainedOn = Object.keys(groups).filter((group) => result.arms[armOf(group)] !== undefined);
  if (trainedOn.length === 0)
    throw new Error(`${from}: no arm trained on a category group (looked for ${Object.keys(groups).map(armOf).join(', ')}; ${known})`);
  const arms = trainedOn.map(armOf);
  const rows = armRows(result, arms, { base: 'base', from }); // members at every seed, each paired against base
  if (options.scores !== undefined) checkScores(result, options.scores.verdicts, arms, options.scores.file);
  const minusBase = (group: string, arm: string): GroupMinusBase => {
    const paired = result.report.paired[`${arm}-base`];
    const perCategory: Partial<Record<CompBenchCategory, Difference>> = {};
    for (const category of COMPBENCH_CATEGORIES) {
      const cell = paired.per_category[category];
      if (cell !== undefined) perCategory[category] = difference(cell);
      else if (groups[group].includes(category)) throw new Error(`${from}: the protocol has no ${category} prompt (group ${group})`);
    }
    const own = new Set<string>(groups[group]);
    const verdicts = options.scores?.verdicts;
    const over = (keep: (image: ProtocolImage) => boolean): Difference => difference(pairedMean(verdicts!, { group: arm, keep }));
    const aggregates =
      verdicts === undefined
        ? {}
        : { in_group: over((image) => own.has(image.category)), out_of_group: over((image) => !own.has(image.category)) };
    return {
      ...perCategory,
      ...aggregates,
      held_out: difference(paired.held_out),
      in_domain: difference(paired.in_domain),
      overall: difference(paired.overall),
    };
  };
  return {
    ...provenance(result, from, options.command),
    groups: Object.fromEntries(Object.entries(groups).map(([group, categories]) => [group, [...categories]])),
    trained_on: trainedOn,
    arms,
    minus_base: Object.fromEntries(trainedOn.map((group, i) => [group, minusBase(group, arms[i])])),
    overall: Object.fromEntries(trainedOn.map((group, i) => [group, rows.overall[i]])),
    base: rows.base,
    ...(options.scores === undefined ? {} : { scores_file: options.scores.file }),
  };
}

/** The columns of the table and the figure: each category (grouped), the held-out pairs, and the aggregates if computed. */
export function generalisationColumns(r: GeneralisationResult): Array<{ key: keyof GroupMinusBase; label: string }> {
  const categories = Object.values(r.groups)
    .flat()
    .filter((category) => r.trained_on.some((group) => r.minus_base[group][category] !== undefined));
  const aggregates: Array<[keyof GroupMinusBase, string]> = [
    ['held_out', 'held-out pairs'],
    ['in_group', 'own group'],
    ['out_of_group', 'other groups'],
  ];
  return [
    ...categories.map((category) => ({ key: category, label: category })),
    ...aggregates.filter(([key]) => r.minus_base[r.trained_on[0]][key] !== undefined).map(([key, label]) => ({ key, label })),
  ];
}

/** Each trained group's row: minus base per column, `*` on its own categories. */
export function formatGeneralisation(r: GeneralisationResult): string {
  const columns = generalisationColumns(r);
  const cell = (d: Difference | undefined): string =>
    d === undefined ? '' : `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(1)} ± ${d.se.toFixed(1)}`;
  const width = 16;
  const lines = [
    `${formatProtocol(r)}; arm - base; * the categories it trained on`,
    'trained on'.padEnd(width) + columns.map((c) => c.label.padEnd(width)).join(''),
  ];
  for (const group of r.trained_on) {
    const own = (key: string): string => ((r.groups[group] as readonly string[]).includes(key) ? '*' : '');
    lines.push(group.padEnd(width) + columns.map((c) => `${cell(r.minus_base[group][c.key])}${own(c.key)}`.padEnd(width)).join(''));
  }
  return lines.join('\n');
}
