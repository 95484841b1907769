// Experiment: the main SRUM result (paper Table 1 analogue) -> figures/results/srum-main.json.
// For every seed, one `srum run --method sft` and one `srum run --method srum` on the shipped base checkpoint,
// both evaluated with --eval-seed 100 + seed (so base, SFT and SRUM of a seed see the same test prompts and noise),
// `--jobs` runs at a time (each is one wasm thread). The SFT run of a seed starts after its SRUM run and reuses that
// run's candidates, self-judged records and base evaluation (copied into its directory; the records keep pointing
// at the SRUM run's PNGs): the same seed would regenerate exactly the same files, and the paper's SFT baseline
// trains on the same candidates. Runs resume where they stopped (srum run is resumable), so a
// killed experiment is continued by the same command. Then collects base / SFT / SRUM per seed and the judge's
// agreement with the evaluator on each seed's candidates.
// Regenerate: npx ts-node --transpile-only scripts/experiments/srum-main.ts [--seeds 0,1,2] [--jobs 2]
//   [--checkpoint data/base] [--runs runs/main] [--out figures/results/srum-main.json] [-- extra srum run options]
//   A SRUM variant against an existing baseline: --candidates-from RUNS copies each seed's candidates, records and base
//   evaluation from RUNS/srum-s<seed> (those candidates' reward maps too), and --sft-from RUNS takes the SFT runs of
//   RUNS instead of training them again (the same candidates, so the same SFT).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '../../lib/io';
import { collectMainResults, judgeAgreement } from '../../lib/run/results';
import { runScript } from '../lib/run-script';
import { readRun } from '../lib/runs';

interface Job {
  method: 'sft' | 'srum';
  seed: number;
  dir: string;
  args: string[];
  /** A SRUM run whose candidates, records and base evaluation this job reuses (it starts after that run). */
  after?: Job;
  done?: Promise<void>;
}

/** Files of a finished SRUM run that the same seed's SFT run would only recompute. */
const SHARED = ['candidates', 'rewards.jsonl', 'eval-base.json'];

function shareFrom(from: Pick<Job, 'dir'>, to: Pick<Job, 'dir'>, names: readonly string[] = SHARED): void {
  fs.mkdirSync(to.dir, { recursive: true });
  for (const name of names) {
    const target = path.join(to.dir, name);
    if (!fs.existsSync(target)) fs.cpSync(path.join(from.dir, name), target, { recursive: true });
  }
}

function runJob(job: Job): Promise<void> {
  fs.mkdirSync(job.dir, { recursive: true });
  const log = fs.openSync(path.join(job.dir, 'run.log'), 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/srum.js', 'run', ...job.args], { stdio: ['ignore', log, log] });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${job.method} seed ${job.seed} failed (exit ${code}); see ${job.dir}/run.log`)),
    );
  });
}

async function runAll(jobs: Job[], parallel: number): Promise<void> {
  const queue = [...jobs];
  const started = Date.now();
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      if (job.after) {
        await job.after.done;
        shareFrom(job.after, job);
      }
      process.stderr.write(`[srum-main] ${job.method} seed ${job.seed} -> ${job.dir}\n`);
      await (job.done = runJob(job));
      process.stderr.write(
        `[srum-main] ${job.method} seed ${job.seed} done (${((Date.now() - started) / 60000).toFixed(1)} min since start)\n`,
      );
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      seeds: { type: 'string', default: '0,1,2' },
      jobs: { type: 'string', default: '2' },
      checkpoint: { type: 'string', default: 'data/base' },
      runs: { type: 'string', default: 'runs/main' },
      out: { type: 'string', default: 'figures/results/srum-main.json' },
      'candidates-from': { type: 'string' },
      'sft-from': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const seeds = values.seeds.split(',').map((s) => Number.parseInt(s, 10));
  if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`--seeds: expected integers, got ${values.seeds}`);
  if (!fs.existsSync(path.join('dist', 'lib', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const job = (method: Job['method'], seed: number): Job => {
    const dir = path.join(values.runs, `${method}-s${seed}`);
    return {
      method,
      seed,
      dir,
      args: [
        '--method',
        method,
        '--seed',
        String(seed),
        '--eval-seed',
        String(100 + seed),
        '--checkpoint',
        values.checkpoint,
        '--out',
        dir,
        '--quiet',
        ...positionals,
      ],
    };
  };
  const srumJobs = seeds.map((seed) => job('srum', seed));
  const from = values['candidates-from'];
  if (from !== undefined)
    srumJobs.forEach((j) => shareFrom({ dir: path.join(from, `srum-s${j.seed}`) }, j, [...SHARED, 'reward-maps.json']));
  const sftFrom = values['sft-from'];
  const sftJobs = srumJobs.map((after) =>
    sftFrom === undefined
      ? { ...job('sft', after.seed), after }
      : { ...job('sft', after.seed), dir: path.join(sftFrom, `sft-s${after.seed}`) },
  );
  const jobs: Job[] = [...srumJobs, ...(sftFrom === undefined ? sftJobs : [])];
  const reported = [...srumJobs, ...sftJobs];
  const started = Date.now();
  await runAll(jobs, Number.parseInt(values.jobs, 10));
  const summaries = reported.map((job) => readRun(job.dir));
  const agreement = Object.fromEntries(
    jobs.filter((j) => j.method === 'srum').map((j) => [String(j.seed), judgeAgreement(path.join(j.dir, 'rewards.jsonl'))]),
  );
  const srumRun = summaries.find((s) => s.method === 'srum');
  writeJsonAtomic(values.out, {
    ...collectMainResults(summaries),
    judge_agreement: agreement,
    config: { seeds, eval_seed: '100 + seed', checkpoint: values.checkpoint, srum: srumRun?.config, extra_args: positionals },
    runs: reported.map((j) => j.dir),
    command: `npx ts-node --transpile-only scripts/experiments/srum-main.ts --seeds ${values.seeds} --jobs ${values.jobs} --checkpoint ${values.checkpoint} --runs ${values.runs} --out ${values.out}${from !== undefined ? ` --candidates-from ${from}` : ''}${sftFrom !== undefined ? ` --sft-from ${sftFrom}` : ''}${positionals.length > 0 ? ` -- ${positionals.join(' ')}` : ''}`,
    wall_minutes: (Date.now() - started) / 60000,
  });
  console.log(`wrote ${values.out}`);
}

runScript(main);
