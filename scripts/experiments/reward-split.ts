// Experiment: where does a run's training weight go — on candidates the independent evaluator passes, or on failures?
// For each `srum run` directory: how many of its candidates the evaluator passes, how many the model's own judge
// scores globally above 0, and, for every reward-map mode, the mean map value (mean over pixels, then over candidates)
// of passing and failing candidates and the share of all map weight on the passing ones. The evaluator only reads
// the candidates here; nothing it says reaches training. A diagnostic, not a benchmark.
// Regenerate: npx ts-node --transpile-only scripts/experiments/reward-split.ts --runs DIR,DIR,... [--json OUT.json]
import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { evaluateImage } from '../../lib/eval/evaluate';
import { readJsonl, writeJsonAtomic } from '../../lib/io';
import { GLOBAL_OBJECT } from '../../lib/judge/records';
import { DroppedRecordError } from '../../lib/reward/loaderRules';
import { REWARD_MODES, rewardMap, type RewardMode } from '../../lib/reward/rewardMap';
import type { SelfJudgedLine } from '../../lib/run/judge';
import { parsePrompt } from '../../lib/world/grammar';
import { readPng } from '../../lib/world/png';
import { runScript } from '../lib/run-script';

interface ModeSplit {
  mean_passing: number;
  mean_failing: number;
  share_on_passing: number;
}
interface RunSplit {
  run: string;
  n: number;
  evaluator_passes: number;
  judge_positive: number;
  both: number;
  modes: Partial<Record<RewardMode, ModeSplit>>;
}

const mean = (xs: number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

function splitOf(dir: string): RunSplit {
  const lines = readJsonl<SelfJudgedLine>(path.join(dir, 'rewards.jsonl'));
  const images = lines.map((line) => readPng(line.image_file));
  const passed = lines.map((line, i) => evaluateImage(images[i], parsePrompt(line.prompt)).passed);
  const positive = lines.map((line) => (line.vlm_rewards.find((r) => r.object === GLOBAL_OBJECT)?.score ?? 0) > 0);
  const modes: RunSplit['modes'] = {};
  for (const mode of REWARD_MODES) {
    const weights = lines.map((line, i) => {
      try {
        return mean(Array.from(rewardMap(line, { mode, width: images[i].width, height: images[i].height })));
      } catch (error) {
        if (error instanceof DroppedRecordError) return 0; // the loader drops it: no weight
        throw error;
      }
    });
    const on = (want: boolean): number[] => weights.filter((_, i) => passed[i] === want);
    const total = weights.reduce((a, b) => a + Math.abs(b), 0);
    modes[mode] = {
      mean_passing: mean(on(true)),
      mean_failing: mean(on(false)),
      share_on_passing: total === 0 ? 0 : on(true).reduce((a, b) => a + Math.abs(b), 0) / total,
    };
  }
  const count = (xs: boolean[]): number => xs.filter(Boolean).length;
  return {
    run: dir,
    n: lines.length,
    evaluator_passes: count(passed),
    judge_positive: count(positive),
    both: count(passed.map((p, i) => p && positive[i])),
    modes,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, json: { type: 'string' } }, strict: true });
  if (values.runs === undefined) throw new Error('--runs DIR,DIR,... is required (directories of `srum run`)');
  const splits = values.runs.split(',').map(splitOf);
  for (const s of splits) {
    console.log(
      `${s.run}: ${s.n} candidates, evaluator passes ${s.evaluator_passes}, judge global > 0 on ${s.judge_positive} (${s.both} of them passing)`,
    );
    for (const [mode, m] of Object.entries(s.modes)) {
      console.log(
        `  ${mode.padEnd(12)} mean weight passing ${m.mean_passing.toFixed(3)}  failing ${m.mean_failing.toFixed(3)}  share on passing ${(100 * m.share_on_passing).toFixed(1)}%`,
      );
    }
  }
  if (values.json !== undefined)
    writeJsonAtomic(values.json, {
      command: `npx ts-node --transpile-only scripts/experiments/reward-split.ts --runs ${values.runs}`,
      runs: splits,
    });
}

runScript(main);
