// `srum sweep`: run the runs of a sweep spec (lib/run/sweep.ts) as child processes, --jobs at a time, skipping the
// finished ones. Ctrl-C or SIGTERM stops the running runs (they get SIGTERM: `srum run` / `srum pretrain` save a
// checkpoint first) and the same command later resumes the sweep; a second Ctrl-C leaves at once (the runs still
// finish stopping on their own).
import { commandLine, isFinished, logFile, readSweepSpec, runSweep, sweepSummary } from '../run/sweep';
import { Command, intOption, requireString } from './command';

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'run a sweep spec (JSON: runs with a command line and the file each leaves when done), resumably, N at a time',
  options: {
    spec: { type: 'string', help: 'sweep spec JSON: { "runs": [{ "name", "argv": [...], "done": "file", "after"?: [...] }], "jobs"?: N }' },
    jobs: { type: 'string', help: 'runs at a time (each run is one process; one per core)', shownDefault: 'the spec\'s "jobs", else 2' },
    'dry-run': { type: 'boolean', help: 'print each run, its state and its command line; run nothing', default: false },
  },
  notes: [
    'A run is finished when its "done" file exists ("doneStep": N also wants the JSON field step >= N, for a checkpoint',
    'manifest; "doneBy": "sweep" makes the sweep write "done" itself once the run exits 0). Finished runs are skipped, so',
    'a stopped sweep resumes. Each run\'s output goes to "log" (default: <name>.log beside "done").',
  ],
  async run(values) {
    const spec = readSweepSpec(requireString(values, 'spec'));
    const jobs = values.jobs === undefined ? undefined : intOption(values, 'jobs');
    if (values['dry-run'] === true) {
      for (const run of spec.runs)
        console.log(`${run.name}: ${isFinished(run) ? 'finished' : 'to run'}  (log ${logFile(run)})\n  ${commandLine(run.argv)}`);
      return;
    }
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
      process.stderr.write(`\n[sweep] ${signal}: stopping the runs (send again to leave without waiting for them)\n`);
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const result = await runSweep(spec, { jobs, signal: controller.signal });
      console.log(sweepSummary(result));
      const failed = Object.values(result.outcomes).some((outcome) => outcome === 'failed' || outcome === 'not started');
      if (result.interrupted || failed) process.exitCode = 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
