// Does post-training on the model's own candidates improve generation? One candidate set, several arms, one protocol:
//   rft   - the CEILING, an oracle no user has: supervised fine-tuning on the candidates the independent *evaluator*
//           passes (rejection-sampling fine-tuning). It says how much any self-judged method could gain from these
//           candidates; it is never a SRUM result. plan-oracle: the same oracle asked about each candidate's plan, drawn
//           by the world's renderer (the ceiling of a think-term method: what the plans could teach the planner).
//   sft   - the paper's baseline: every candidate, unweighted loss.
//   srum  - the candidates with the model's own judge records (its regions, global and local verdicts), the official
//           reward map, Eq. 1 with the reference term (the released settings unless --set says otherwise).
// Every arm starts from the base with the no-harm post-training defaults (replay, decayed rate, EMA warm-up).
// Phases (each resumable; finished work is kept):
//   candidates  N train prompts x K draws (think mode, plans sampled at --plan-temperature), drawn on both cores;
//               DIR/candidates.jsonl as `srum candidates` writes it, and DIR/evaluator.jsonl with the evaluator's
//               verdict per image, read only by the rft arm (the judge and its training data never see it).
//   judge       the model's self-judgment of every candidate (lib/run/judge.ts) -> DIR/rewards.jsonl.
//   agreement   the judge's acceptance against the evaluator, on images and on world-drawn plans (a diagnostic).
//   train       one arm, the given seeds (one process per arm: two arms side by side use both cores); --name NAME
//               --set k=v,... trains a variant as NAME@seed with those SrumConfig settings over the arm's;
//               --train-categories color,shape,... keeps only the candidates of those categories (generalisation).
//   score       base and every trained arm on the evaluation protocol (paired), written to --out; --extra-arms
//               name=DIR,... adds checkpoints from elsewhere (e.g. later rounds) to the same paired comparison;
//               --pairs a:b,... adds arm-against-arm differences (srum-think:sft-think) beside those to the base.
//   table       the evidence file (figures/results/srum-gain.json) from one score result: --from SCORE.json
//               --as srum=ARM,rft=ARM,sft=ARM,... names the rows, --rounds ARM,... lists the self-play rounds in order.
// Rounds (self-play): round k is this script on --runs DIR/roundK --checkpoint (round k-1's ARM@seed) --seed 34+k.
// Candidates are drawn, judged and trained from the improved model's EMA weights (loadArm); replay keeps the first
// base's pretraining data (the manifest's base_training_config); fresh prompts and noise each round.
// Regenerate (val; the order below):
//   npx ts-node --transpile-only scripts/experiments/srum-gain.ts --phase candidates
//   npx ts-node --transpile-only scripts/experiments/srum-gain.ts --phase judge
//   npx ts-node --transpile-only scripts/experiments/srum-gain.ts --phase train --arm rft --seeds 0,1,2
//   npx ts-node --transpile-only scripts/experiments/srum-gain.ts --phase score --arms rft --out figures/results/srum-gain-val.json
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { parseArmSpecs } from '../../lib/cli/compare';
import { cachedUnderstanding, formatComparison, loadArm, scoreArms, type Arm, type ArmSummary } from '../../lib/eval/compare';
import { autoWorkers, SamplerPool } from '../../lib/eval/pool';
import { DEFAULT_PROTOCOL, type ProtocolConfig } from '../../lib/eval/protocol';
import { readJsonl, writeFileAtomic, writeJsonAtomic } from '../../lib/io';
import { evaluateImage } from '../../lib/eval/evaluate';
import { pretrainingConfig, readManifest } from '../../lib/model/checkpoint';
import { disposeModel } from '../../lib/model/params';
import { CANDIDATES_JSONL, candidatesOfCategories, imageName, parseTrainCategories, type CandidateLine } from '../../lib/run/candidates';
import { parseRunSettings } from '../../lib/run/config';
import { judgeCandidates } from '../../lib/run/judge';
import { Progress } from '../../lib/progress';
import { DroppedRecordError } from '../../lib/reward/loaderRules';
import { layoutScore, type RewardSource } from '../../lib/reward/rewardMap';
import { scoreResult, type ScoreResult } from '../../lib/eval/sweep-results';
import { trainSrum } from '../../lib/train/srum';
import { drawPlan } from '../../lib/train/plan';
import type { SrumCandidate } from '../../lib/train/srum-data';
import { parsePrompt } from '../../lib/world/grammar';
import { writePng } from '../../lib/world/png';
import { samplePrompts } from '../../lib/world/splits';
import type { CompBenchCategory } from '../../lib/world/types';
import { parseRowArms } from '../lib/row-arms';
import { runScript } from '../lib/run-script';

const EVALUATOR_JSONL = 'evaluator.jsonl';
const REWARDS_JSONL = 'rewards.jsonl';
const CHUNK = 256;
/** What each arm trains on and how (over the SrumConfig defaults). */
const ARMS: Record<string, { method: 'sft' | 'srum' | 'replay'; filter: 'evaluator' | 'plan' | 'none'; set: Record<string, unknown> }> = {
  replay: { method: 'replay', filter: 'none', set: {} }, // the control: the replayed pretraining updates alone
  rft: { method: 'sft', filter: 'evaluator', set: { planWeight: 1 } },
  // the ceiling of a think-term method: the candidates whose *plan*, drawn by the world's renderer, the evaluator passes
  'plan-oracle': { method: 'sft', filter: 'plan', set: { planWeight: 1 } },
  sft: { method: 'sft', filter: 'none', set: {} },
  srum: { method: 'srum', filter: 'none', set: {} },
};

interface Options {
  dir: string;
  runs: string;
  checkpoint: string;
  n: number;
  draws: number;
  seed: number;
  planTemperature: number;
  /** Train only on the candidates of these categories (--train-categories); every candidate when undefined. */
  trainCategories?: CompBenchCategory[];
}

/** N train prompts x K draws, drawn on the pool in chunks; a chunk already on disk is not drawn again. */
async function candidates(o: Options): Promise<void> {
  fs.mkdirSync(o.dir, { recursive: true });
  const prompts = samplePrompts({ split: 'train', n: o.n, seed: o.seed });
  const items = prompts.flatMap((p) => Array.from({ length: o.draws }, (_, d) => ({ prompt: p, key: `${p.text}#${d}` })));
  const lines: CandidateLine[] = fs.existsSync(path.join(o.dir, CANDIDATES_JSONL)) ? readJsonl(path.join(o.dir, CANDIDATES_JSONL)) : [];
  const verdicts: { index: number; passed: boolean }[] = fs.existsSync(path.join(o.dir, EVALUATOR_JSONL))
    ? readJsonl(path.join(o.dir, EVALUATOR_JSONL))
    : [];
  const model = loadArm(o.checkpoint);
  const pool = await SamplerPool.open(autoWorkers());
  const bar = new Progress({ label: 'candidates', total: items.length - lines.length, unit: 'img' });
  for (let first = lines.length; first < items.length; first += CHUNK) {
    const chunk = items.slice(first, first + CHUNK);
    const drawn = await pool.generate(
      model,
      chunk.map((c) => c.prompt.text),
      {
        seed: o.seed,
        noiseKeys: chunk.map((c) => c.key),
        think: true,
        planTemperature: o.planTemperature,
        evaluate: true,
        recordPlans: true,
      },
    );
    chunk.forEach((c, k) => {
      const index = first + k;
      writePng(path.join(o.dir, imageName(index)), drawn.images[k]);
      const plan = drawn.plan![k].split(',').map(Number);
      lines.push({ image_file: imageName(index), original_prompt: c.prompt.text, category: c.prompt.category, index, think: true, plan });
      verdicts.push({ index, passed: drawn.passed![k] });
    });
    // Evaluator verdicts first: a chunk counts as done once candidates.jsonl lists it.
    writeFileAtomic(path.join(o.dir, EVALUATOR_JSONL), verdicts.map((v) => JSON.stringify(v) + '\n').join(''));
    writeFileAtomic(path.join(o.dir, CANDIDATES_JSONL), lines.map((l) => JSON.stringify(l) + '\n').join(''));
    bar.tick(chunk.length);
  }
  await pool.close();
  const passed = verdicts.filter((v) => v.passed).length;
  console.log(`${lines.length} candidates, ${passed} (${((100 * passed) / lines.length).toFixed(1)}%) pass the evaluator`);
}

/**
 * The arm's training candidates: every candidate (with its self-judge record for srum), or the evaluator's passes;
 * of the --train-categories only, when given.
 */
function armCandidates(o: Options, arm: string): SrumCandidate[] {
  const spec = ARMS[arm];
  if (spec.method === 'replay') {
    if (o.trainCategories !== undefined) throw new Error('--train-categories: the replay arm trains on no candidates');
    return [];
  }
  const file = path.join(o.dir, CANDIDATES_JSONL);
  const lines = candidatesOfCategories(readJsonl<CandidateLine>(file), o.trainCategories, file);
  const sftRecord: RewardSource = { vlm_rewards: [{ object: 'global_layout_reward', score: 1, bbox: [0, 0, 32, 32] }] }; // SFT reads no reward
  let keep = lines;
  if (spec.filter === 'evaluator') {
    const passed = new Set(
      readJsonl<{ index: number; passed: boolean }>(path.join(o.dir, EVALUATOR_JSONL))
        .filter((v) => v.passed)
        .map((v) => v.index),
    );
    keep = lines.filter((l) => passed.has(l.index));
  }
  if (spec.filter === 'plan') {
    const { planGrid, imageSize } = readManifest(o.checkpoint).model_config;
    keep = lines.filter((l) => planPasses(l, planGrid, imageSize));
  }
  const records = new Map<string, RewardSource>();
  if (spec.method === 'srum') {
    for (const r of readJsonl<RewardSource & { bad_image_file: string }>(path.join(o.dir, REWARDS_JSONL))) records.set(r.bad_image_file, r);
  }
  return keep.map((l) => {
    const imagePath = path.resolve(o.dir, l.image_file);
    const record = spec.method === 'srum' ? records.get(imagePath) : sftRecord;
    if (record === undefined) throw new Error(`${imagePath}: no judge record (run --phase judge first)`);
    return { imagePath, prompt: l.original_prompt, plan: l.plan === undefined ? undefined : Int32Array.from(l.plan), record };
  });
}

/** Precision and recall of `accepted` against `passed` (one flag per candidate); null where nothing is accepted or passed. */
function agreementOf(
  accepted: readonly boolean[],
  passed: readonly boolean[],
): { precision: number | null; recall: number | null; accepted: number; evaluator_passed: number } {
  const both = accepted.filter((a, i) => a && passed[i]).length;
  const acceptedCount = accepted.filter(Boolean).length;
  const passedCount = passed.filter(Boolean).length;
  return {
    precision: acceptedCount === 0 ? null : both / acceptedCount,
    recall: passedCount === 0 ? null : both / passedCount,
    accepted: acceptedCount,
    evaluator_passed: passedCount,
  };
}

/**
 * How the self-judge's acceptance (global layout score > 0, what the SRUM arms train on) agrees with the evaluator,
 * on each candidate's image and on its plan drawn by the world's renderer (what the think term teaches). A
 * diagnostic read after training: the judge never sees these verdicts. Merged into --out under this --runs.
 */
function agreement(o: Options, out: string): void {
  const lines = readJsonl<CandidateLine>(path.join(o.dir, CANDIDATES_JSONL));
  const imagePassed = new Map(
    readJsonl<{ index: number; passed: boolean }>(path.join(o.dir, EVALUATOR_JSONL)).map((v) => [v.index, v.passed]),
  );
  const scores = new Map(
    readJsonl<RewardSource & { bad_image_file: string }>(path.join(o.dir, REWARDS_JSONL)).map((r) => [
      path.basename(r.bad_image_file),
      globalScore(r),
    ]),
  );
  const { planGrid, imageSize } = readManifest(o.checkpoint).model_config;
  const accepted = lines.map((l) => (scores.get(path.basename(l.image_file)) ?? -1) > 0);
  const image = lines.map((l) => imagePassed.get(l.index) === true);
  const plan = lines.map((l) => l.plan !== undefined && planPasses(l, planGrid, imageSize));
  const previous = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as { sets: Record<string, unknown> }) : { sets: {} };
  const set = {
    command: `npx ts-node --transpile-only scripts/experiments/srum-gain.ts ${process.argv.slice(2).join(' ')}`,
    checkpoint: o.checkpoint,
    candidates: lines.length,
    judged: scores.size,
    image: agreementOf(accepted, image),
    plan: agreementOf(accepted, plan),
  };
  writeJsonAtomic(out, {
    what: 'self-judge acceptance (g > 0) against the evaluator, on images and on world-drawn plans',
    sets: { ...previous.sets, [o.runs]: set },
  });
  console.log(JSON.stringify(set));
}

/** A record's global layout score, or -1 (rejected) for one the released loader drops, as training would drop it. */
function globalScore(record: RewardSource): number {
  try {
    return layoutScore(record);
  } catch (error) {
    if (error instanceof DroppedRecordError) return -1;
    throw error;
  }
}

/** Does the evaluator pass the candidate's plan drawn by the world's renderer? */
function planPasses(l: CandidateLine, planGrid: number, imageSize: number): boolean {
  if (l.plan === undefined) throw new Error(`${l.image_file}: no plan (the plan filter needs think-mode candidates)`);
  return evaluateImage(drawPlan(Int32Array.from(l.plan), planGrid, imageSize), parsePrompt(l.original_prompt)).passed;
}

/** A variant of an arm: its runs are `name@seed`, trained with `set` over the arm's settings. */
async function train(o: Options, arm: string, seeds: number[], steps: number, name: string, set: Record<string, unknown>): Promise<void> {
  if (ARMS[arm] === undefined) throw new Error(`unknown arm '${arm}' (known: ${Object.keys(ARMS).join(', ')})`);
  const data = armCandidates(o, arm);
  console.log(`${name}: ${data.length} training candidates`);
  const categories = o.trainCategories === undefined ? '' : ` --train-categories ${o.trainCategories.join(',')}`;
  for (const seed of seeds) {
    const outDir = path.join(o.runs, `${name}@${seed}`);
    if (fs.existsSync(path.join(outDir, 'manifest.json'))) {
      const { command, step } = readManifest(outDir);
      const trainedOn = / --train-categories \S+/.exec(command)?.[0] ?? '';
      if (trainedOn !== categories)
        throw new Error(`${outDir} was trained on other candidates (${command}): rename the arm (--name) or remove the run`);
      if (step >= steps) continue;
    }
    const config = { method: ARMS[arm].method, steps, seed, ...ARMS[arm].set, ...set };
    const model = loadArm(o.checkpoint);
    const baseTraining = pretrainingConfig(readManifest(o.checkpoint));
    const command = `srum-gain.ts --phase train --arm ${arm} --name ${name}${categories} seed ${seed}: trainSrum ${JSON.stringify(config)}`;
    await trainSrum({ model, preset: 'base', candidates: data, outDir, config, command, baseTraining });
    disposeModel(model);
  }
}

async function score(
  o: Options,
  armNames: string[],
  seeds: number[],
  out: string,
  protocol: ProtocolConfig,
  extra: Record<string, Arm>,
  pairs: Array<[string, string]>,
): Promise<void> {
  const arms: Record<string, Arm> = { base: { source: o.checkpoint } };
  for (const arm of armNames) for (const seed of seeds) arms[`${arm}@${seed}`] = { source: path.join(o.runs, `${arm}@${seed}`) };
  for (const [name, arm] of Object.entries(extra)) {
    if (arms[name] !== undefined) throw new Error(`--extra-arms: ${name} is already an arm`);
    arms[name] = arm;
  }
  const pool = await SamplerPool.open(autoWorkers());
  const scores = await scoreArms({
    pool,
    protocol,
    arms,
    file: path.join(o.runs, `scores-${protocol.split}.json`),
    onProgress: (arm, done, total) => {
      if (done % 512 === 0 || done === total) console.error(`[score] ${arm}: ${done}/${total}`);
    },
  });
  await pool.close();
  const understandingFile = path.join(o.runs, `understanding-${protocol.split}.json`);
  const understanding = cachedUnderstanding(arms, { file: understandingFile, n: 400, seed: 11, split: protocol.split });
  const command = `npx ts-node --transpile-only scripts/experiments/srum-gain.ts ${process.argv.slice(2).join(' ')}`;
  // every arm's pass rate and understanding per member (seed), extra arms included (grouped by name@seed as the report)
  const result = scoreResult(scores, understanding, { seeds, command, pairs });
  console.log(formatComparison(result.report));
  const candidatesSeen = readJsonl<CandidateLine>(path.join(o.dir, CANDIDATES_JSONL)).length;
  const passedSeen = readJsonl<{ passed: boolean }>(path.join(o.dir, EVALUATOR_JSONL)).filter((v) => v.passed).length;
  writeJsonAtomic(out, {
    command,
    protocol: result.protocol,
    test_looked_at: result.test_looked_at,
    candidates: {
      n_prompts: o.n,
      draws: o.draws,
      plan_temperature: o.planTemperature,
      images: candidatesSeen,
      evaluator_passed: passedSeen,
    },
    arms: result.arms,
    ...(Object.keys(extra).length > 0 ? { extra_arms: Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v.source])) } : {}),
    paired: Object.fromEntries(
      Object.entries(result.report.paired).map(([k, v]) => [
        k,
        { mean: v.overall.mean, se: v.overall.se, in_domain: v.in_domain, held_out: v.held_out },
      ]),
    ),
    report: result.report,
  });
}

/** The rows the evidence file pairs: srum - base, srum - sft, rft - base. */
const TABLE_PAIRS: Array<[string, string]> = [
  ['srum', 'base'],
  ['srum', 'sft'],
  ['rft', 'base'],
];

/**
 * The evidence file from one score result: its arms under the table's row names (`--as srum=srum-think-nr,...`; base
 * is base), the paired rows (srum - sft needs the score run's --pairs), and the rounds as --rounds lists them.
 */
function table(from: string, as: Record<string, string>, rounds: string[], out: string): void {
  const result = JSON.parse(fs.readFileSync(from, 'utf8')) as ScoreResult;
  const group = (row: string): string => {
    const g = row === 'base' ? 'base' : as[row];
    if (g === undefined || result.arms[g] === undefined)
      throw new Error(`${from}: no arm for row ${row} (--as ${row}=ARM; arms: ${Object.keys(result.arms).join(', ')})`);
    return g;
  };
  const pairOf = (a: string, b: string): ArmSummary => {
    const key = b === 'base' ? `${group(a)}-base` : `${group(a)}-${group(b)}`;
    const pair = result.report.paired[key];
    if (pair === undefined) throw new Error(`${from}: no paired row ${key} (score with --pairs ${group(a)}:${group(b)})`);
    return pair;
  };
  const rows = ['base', ...Object.keys(as)];
  for (const arm of rounds)
    if (result.report.arms[arm] === undefined)
      throw new Error(`${from}: --rounds names ${arm}, not an arm (arms: ${Object.keys(result.report.arms).join(', ')})`);
  writeJsonAtomic(out, {
    command: `npx ts-node --transpile-only scripts/experiments/srum-gain.ts ${process.argv.slice(2).join(' ')}`,
    from,
    score_command: result.command,
    protocol: result.protocol,
    test_looked_at: result.test_looked_at,
    arms: Object.fromEntries(rows.map((row) => [row, { ...result.arms[group(row)], arm: group(row) }])),
    paired: Object.fromEntries(
      TABLE_PAIRS.filter(([a, b]) => rows.includes(a) && rows.includes(b)).map(([a, b]) => {
        const p = pairOf(a, b);
        return [
          `${a}-${b}`,
          { mean: p.overall.mean, se: p.overall.se, in_domain: p.in_domain, held_out: p.held_out, per_category: p.per_category },
        ];
      }),
    ),
    ...(rounds.length > 0
      ? {
          rounds: {
            arms: rounds,
            overall: rounds.map((g) => result.report.arms[g].overall.mean),
            se: rounds.map((g) => result.report.arms[g].overall.se),
            minus_base: rounds.map((g) => {
              const paired = g === 'base' ? { mean: 0, se: 0 } : result.report.paired[`${g}-base`].overall;
              return { mean: paired.mean, se: paired.se };
            }),
          },
        }
      : {}),
    report: result.report,
  });
}

/** `a:b`, an arm paired against another (`srum-think:sft-think`). */
function pairSpec(text: string): [string, string] {
  const [a, b, ...rest] = text.split(':');
  if (a === undefined || b === undefined || a === '' || b === '' || rest.length > 0) throw new Error(`--pairs: "${text}" is not arm:arm`);
  return [a, b];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      phase: { type: 'string' },
      arm: { type: 'string' },
      name: { type: 'string' },
      set: { type: 'string', default: '' },
      arms: { type: 'string', default: 'rft' },
      seeds: { type: 'string', default: '0,1,2' },
      steps: { type: 'string', default: '200' },
      n: { type: 'string', default: '768' },
      draws: { type: 'string', default: '8' },
      seed: { type: 'string', default: '34' },
      'plan-temperature': { type: 'string', default: '1' },
      checkpoint: { type: 'string', default: 'data/base' },
      runs: { type: 'string', default: 'runs/gain' },
      split: { type: 'string', default: DEFAULT_PROTOCOL.split },
      out: { type: 'string' },
      'extra-arms': { type: 'string', default: '' },
      pairs: { type: 'string', default: '' },
      from: { type: 'string' },
      as: { type: 'string', default: '' },
      rounds: { type: 'string', default: '' },
      'train-categories': { type: 'string' },
    },
    strict: true,
  });
  const o: Options = {
    runs: values.runs,
    dir: path.join(values.runs, 'candidates'),
    checkpoint: values.checkpoint,
    n: Number(values.n),
    draws: Number(values.draws),
    seed: Number(values.seed),
    planTemperature: Number(values['plan-temperature']),
    trainCategories: values['train-categories'] === undefined ? undefined : parseTrainCategories(values['train-categories']),
  };
  if (o.trainCategories !== undefined && values.phase !== 'train') throw new Error('--train-categories goes with --phase train');
  const seeds = values.seeds.split(',').map(Number);
  if (values.phase === 'table') {
    if (values.from === undefined || values.out === undefined) throw new Error('--phase table needs --from SCORE.json --out FILE');
    const as = parseRowArms(values.as) as Record<string, string>;
    return table(values.from, as, values.rounds === '' ? [] : values.rounds.split(','), values.out);
  }
  await initBackend();
  if (values.phase === 'candidates') return candidates(o);
  if (values.phase === 'judge') {
    const model = loadArm(o.checkpoint);
    const summary = judgeCandidates({ model, imagesDir: o.dir, out: path.join(o.dir, REWARDS_JSONL) });
    console.log(JSON.stringify(summary));
    return;
  }
  if (values.phase === 'agreement') {
    if (values.out === undefined) throw new Error('--phase agreement needs --out FILE (merged: one entry per --runs)');
    return agreement(o, values.out);
  }
  if (values.phase === 'train') {
    if (values.arm === undefined) throw new Error(`--phase train needs --arm ${Object.keys(ARMS).join('|')}`);
    const set = parseRunSettings(values.set); // typed as the defaults, unknown keys an error
    return train(o, values.arm, seeds, Number(values.steps), values.name ?? values.arm, set);
  }
  if (values.phase === 'score') {
    if (values.out === undefined) throw new Error('--phase score needs --out RESULT.json');
    const split = values.split as ProtocolConfig['split'];
    const extra = values['extra-arms'] === '' ? {} : parseArmSpecs(values['extra-arms']);
    const pairs = values.pairs === '' ? [] : values.pairs.split(',').map(pairSpec);
    return score(o, values.arms.split(','), seeds, values.out, { ...DEFAULT_PROTOCOL, split }, extra, pairs);
  }
  throw new Error('usage: srum-gain.ts --phase candidates|judge|agreement|train|score|table (see the file comment)');
}

runScript(main);
