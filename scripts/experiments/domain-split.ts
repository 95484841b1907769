// Experiment: does post-training move the prompts it could have learned from, or the ones it never sees?
// CompBench-mini prompts of finished `srum run` directories, split by whether they name a colour-shape pair held out
// of training (lib/world/heldout.ts; SRUM's candidates come from train prompts, which never do). For every run, the
// base model and the trained EMA model are scored again on the run's own prompts and noise (its eval split and seed)
// by the independent evaluator, and the pass rate is printed per domain (pooled over categories, with counts).
// Regenerate: npx ts-node --transpile-only scripts/experiments/domain-split.ts --runs DIR,DIR,... [--checkpoint data/base] [--json OUT.json]
//   (--checkpoint: the runs' base model; a run whose summary names another base is an error)
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { writeJsonAtomic } from '../../lib/io';
import { mentionsHeldOut } from '../../lib/world/splits';
import { runScript } from '../lib/run-script';
import { compBenchPasses, readRun } from '../lib/runs';

interface DomainCounts {
  in_domain: [number, number];
  held_out: [number, number];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string' }, checkpoint: { type: 'string', default: 'data/base' }, json: { type: 'string' } },
    strict: true,
  });
  if (values.runs === undefined) throw new Error('usage: domain-split.ts --runs DIR,DIR,... [--checkpoint data/base] [--json OUT.json]');
  const checkpoint = values.checkpoint;
  await initBackend({ quiet: true });
  const results: Record<string, { method: string; seed: number; base: DomainCounts; trained: DomainCounts }> = {};
  const baseCache = new Map<string, DomainCounts>();
  for (const dir of values.runs.split(',')) {
    const summary = readRun(dir, checkpoint);
    const { eval_n: n, eval_seed: seed, eval_split: split = 'test', think, base_model: base } = summary.config;
    const score = (runDir?: string): DomainCounts => {
      // The run's CompBench-mini, image for image: the same prompts, noise and evaluator as its eval-*.json.
      const { prompts, passed } = compBenchPasses(checkpoint, runDir, { n, seed, split, think });
      const heldOut = prompts.map(mentionsHeldOut);
      const count = (held: boolean): [number, number] => [
        passed.filter((p, k) => p && heldOut[k] === held).length,
        heldOut.filter((h) => h === held).length,
      ];
      return { in_domain: count(false), held_out: count(true) };
    };
    const key = `${base}|${split}|${seed}|${n}|${think}`;
    const baseCounts = baseCache.get(key) ?? score();
    baseCache.set(key, baseCounts);
    const trained = score(dir);
    results[dir] = { method: summary.method, seed: summary.seed, base: baseCounts, trained };
    const fmt = ([p, all]: [number, number]): string => `${p}/${all} (${((100 * p) / all).toFixed(1)}%)`;
    console.log(
      `${dir}: ${summary.method} seed ${summary.seed}  in-domain ${fmt(baseCounts.in_domain)} -> ${fmt(trained.in_domain)}   held-out pairs ${fmt(baseCounts.held_out)} -> ${fmt(trained.held_out)}`,
    );
  }
  if (values.json !== undefined)
    writeJsonAtomic(values.json, { command: `domain-split.ts --runs ${values.runs} --checkpoint ${checkpoint}`, results });
}

runScript(main);
