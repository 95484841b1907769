// Display names of the experiment arms, one place for every figure: the names in result files are short keys
// (base-think, rft, srum@0), a figure's legend says what each arm is and how many training seeds stand behind it.

const ARM_LABELS: Record<string, string> = {
  base: 'base',
  'base-normal': 'base, normal mode',
  'base-think': 'base, think mode',
  sft: 'SFT',
  // Fine-tuned on the candidates the independent evaluator passed: a ceiling no user has (scripts/experiments/srum-gain.ts).
  rft: 'RFT, oracle-filtered',
  srum: 'SRUM',
  // The ablations of SRUM (lib/eval/sweep-results.ts, ABLATIONS).
  full: 'full SRUM',
  'no-global': 'without the global reward',
  'no-reference': 'without the reference term',
  sparse: '0/1 sparse region reward',
  'sample-level': 'sample-level reward',
};

/** The training seed a run directory names (`runs/gain/srum@0` -> 0), if it names one. */
export function seedOf(source: string | undefined): number | undefined {
  const match = source === undefined ? null : /@(\d+)\/?$/.exec(source);
  return match === null ? undefined : Number(match[1]);
}

/** An arm's display name; `source` (its weights' directory) adds the seed when the arm is one training run. */
export function armLabel(name: string, source?: string): string {
  const label = ARM_LABELS[name] ?? name;
  const seed = seedOf(source);
  return seed === undefined ? label : `${label} (seed ${seed})`;
}
