// `npm run experiments -- NAME`: regenerate one committed result from scratch by running the commands the registry
// (scripts/experiments/registry.ts) names for it, in order, through the sweep runner: a stopped rerun resumes where it
// stopped (steps already done are skipped; the commands themselves resume their half-done work), logs and done
// markers in runs/experiments/NAME/. A finished experiment is not run again unless --again clears its markers.
// Regenerate:
//   npm run experiments -- --list              the analyses, their result files and steps
//   npm run experiments -- NAME [--jobs 2]     run (or resume) one; --dry-run prints its command lines
//   npm run experiments -- NAME --again        forget its finished steps and run it all again
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { commandLine, DEFAULT_JOBS, isFinished, runSweep, sweepSummary } from '../../lib/run/sweep';
import { runScript } from '../lib/run-script';
import { EXPERIMENTS, experimentDir, experimentSweep, findExperiment, withNeeds } from './registry';

function list(): void {
  for (const e of EXPERIMENTS) {
    const steps = e.steps.length === 0 ? 'manual' : `${e.steps.length} step${e.steps.length === 1 ? '' : 's'}`;
    console.log(`${e.name.padEnd(22)}${steps.padEnd(9)}${e.what}`);
    console.log(`${''.padEnd(31)}-> ${e.results.join(', ')}${e.needs ? ` (after ${e.needs.join(', ')})` : ''}`);
    if (e.note !== undefined) console.log(`${''.padEnd(31)}note: ${e.note}`);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      list: { type: 'boolean', default: false },
      jobs: { type: 'string', default: String(DEFAULT_JOBS) },
      again: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.list || positionals.length === 0) return list();
  if (positionals.length > 1) throw new Error(`one experiment at a time, got ${positionals.join(' ')}`);
  const experiment = findExperiment(positionals[0]);
  if (values.again) for (const e of withNeeds(experiment)) fs.rmSync(experimentDir(e.name), { recursive: true, force: true });
  const runs = experimentSweep(experiment);
  if (values['dry-run']) {
    for (const run of runs) console.log(`${run.name}: ${isFinished(run) ? 'done' : 'to run'}\n  ${commandLine(run.argv)}`);
    return;
  }
  if (experiment.note !== undefined) console.log(`note: ${experiment.note}`);
  const controller = new AbortController();
  const stop = (): void => controller.abort(); // the runs get SIGTERM (training saves a checkpoint first)
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const result = await runSweep({ runs }, { jobs: Number(values.jobs), signal: controller.signal });
  console.log(sweepSummary(result));
  if (result.interrupted) throw new Error(`stopped: \`npm run experiments -- ${experiment.name}\` resumes it`);
  const failed = runs.filter((run) => result.outcomes[run.name] === 'failed').map((run) => run.name);
  if (failed.length > 0) throw new Error(`failed: ${failed.join(', ')} (logs in ${experimentDir(experiment.name)}/)`);
  const ran = runs.some((run) => result.outcomes[run.name] === 'finished');
  console.log(ran ? `${experiment.results.join(', ')} regenerated` : `already done earlier (--again runs it all again)`);
}

runScript(main);
