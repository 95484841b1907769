// A sweep: a list of runs, each a command line whose finished state is a file. The runs go out as child processes,
// at most `jobs` at a time (each run is one wasm thread, so one job per core), and a run whose file exists is not
// redone, so a killed sweep continues where it stopped when started again (a run that was stopped half-way is
// started again with the same command line, and resumes if the command does: `srum run` and `srum pretrain` do).
// Each run's stdout and stderr go to a log file beside its output; the sweep prints one line per run event.
// Paths in a spec are relative to the directory the sweep runs in (the commands see the same directory).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../io';

export interface SweepRun {
  /** Unique within the sweep; names the run in progress lines (and its log file by default). */
  name: string;
  /** Program and arguments, run without a shell; a program `node` is this Node (process.execPath). */
  argv: string[];
  /** The file whose presence means the run finished, e.g. a run directory's summary.json. */
  done: string;
  /** With `done` a checkpoint manifest: finished only once its `step` field has reached this step. */
  doneStep?: number;
  /**
   * Who writes `done`: the run itself (default), or the sweep once the run exits 0 (a marker file: for commands
   * that overwrite an output which already exists, such as a committed result JSON).
   */
  doneBy?: 'run' | 'sweep';
  /** Runs (earlier in the list) that must finish first; when one of them fails this run is not started. */
  after?: string[];
  /** stdout + stderr, appended (default: `<name>.log` in the folder of `done`). */
  log?: string;
  /** Extra environment variables (the sweep's own environment is inherited). */
  env?: Record<string, string>;
}

export interface SweepSpec {
  runs: SweepRun[];
  /** Runs at a time (default 2: one per core); the `--jobs` option overrides it. */
  jobs?: number;
}

export interface SweepOptions {
  jobs?: number;
  /** Aborting stops the running runs (each run's process group gets SIGTERM) and starts no more. */
  signal?: AbortSignal;
  /** Where progress lines go (default: stderr). */
  print?: (line: string) => void;
}

export type RunOutcome = 'finished' | 'already finished' | 'failed' | 'not started';

export interface SweepResult {
  outcomes: Record<string, RunOutcome>;
  /** True when the sweep was aborted before every run had its turn. */
  interrupted: boolean;
}

export const DEFAULT_JOBS = 2;
/** Lines of a failed run's log shown in its progress line. */
const TAIL_LINES = 8;

export function logFile(run: SweepRun): string {
  return run.log ?? path.join(path.dirname(run.done), `${run.name.replace(/[^\w.@=-]+/g, '_')}.log`);
}

/** True when the run's `done` file exists (and, with doneStep, records a step at least that far). */
export function isFinished(run: SweepRun): boolean {
  if (!fs.existsSync(run.done)) return false;
  if (run.doneStep === undefined) return true;
  try {
    const step = (JSON.parse(fs.readFileSync(run.done, 'utf8')) as { step?: unknown }).step;
    return typeof step === 'number' && step >= run.doneStep;
  } catch {
    return false; // being rewritten: not finished yet
  }
}

/** The last `count` non-empty lines of a file ([] when it does not exist). */
export function lastLines(file: string, count: number): string[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n|\r/); // progress bars redraw with \r
  return lines.filter((line) => line.trim() !== '').slice(-count);
}

/** Checks a spec (typed in TS, or parsed from JSON) and returns it; every problem names the run and the field. */
export function checkSweepSpec(value: unknown, source = 'sweep spec'): SweepSpec {
  const fail = (message: string): never => {
    throw new Error(`${source}: ${message}`);
  };
  if (typeof value !== 'object' || value === null || !Array.isArray((value as SweepSpec).runs))
    fail('expected an object { "runs": [{ "name", "argv", "done" }, ...], "jobs"?: N }');
  const spec = value as SweepSpec;
  if (spec.jobs !== undefined && !(Number.isInteger(spec.jobs) && spec.jobs >= 1))
    fail(`jobs must be a positive integer, got ${spec.jobs}`);
  const seen = new Set<string>();
  spec.runs.forEach((run, i) => {
    const where = `runs[${i}]${typeof run?.name === 'string' ? ` ("${run.name}")` : ''}`;
    if (typeof run?.name !== 'string' || run.name === '') fail(`${where}: name must be a non-empty string`);
    if (seen.has(run.name)) fail(`${where}: the name "${run.name}" is used twice`);
    if (!Array.isArray(run.argv) || run.argv.length === 0 || run.argv.some((a) => typeof a !== 'string'))
      fail(`${where}: argv must be a non-empty list of strings (program, then arguments)`);
    if (typeof run.done !== 'string' || run.done === '') fail(`${where}: done must name the file the finished run leaves`);
    if (run.doneBy !== undefined && run.doneBy !== 'run' && run.doneBy !== 'sweep') fail(`${where}: doneBy must be "run" or "sweep"`);
    for (const before of run.after ?? [])
      if (!seen.has(before)) fail(`${where}: after names "${before}", which is not an earlier run of the sweep`);
    seen.add(run.name);
  });
  return spec;
}

export function readSweepSpec(file: string): SweepSpec {
  if (!fs.existsSync(file)) throw new Error(`no such sweep spec: ${file}`);
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  return checkSweepSpec(value, file);
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}
interface Child {
  exited: Promise<Exit>;
  stop: (signal: NodeJS.Signals) => void;
}

/** Start one run in its own process group (so stopping it stops whatever it started) with its output in its log. */
function start(run: SweepRun, log: string): Child {
  fs.mkdirSync(path.dirname(path.resolve(log)), { recursive: true });
  fs.appendFileSync(log, `# ${new Date().toISOString()} sweep starts: ${commandLine(run.argv)}\n`);
  const fd = fs.openSync(log, 'a');
  const [program, ...args] = run.argv;
  const child = spawn(program === 'node' ? process.execPath : program, args, {
    stdio: ['ignore', fd, fd],
    detached: true,
    env: { ...process.env, ...run.env },
  });
  fs.closeSync(fd); // the child holds its own copy
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const stop = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group has already gone
    }
  };
  return { exited, stop };
}

/** argv as one line a shell would read back (arguments with spaces, quotes or newlines JSON-quoted). */
export function commandLine(argv: string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** Run the sweep; resolves when every run has finished, failed or been skipped (or the signal aborted it). */
export async function runSweep(spec: SweepSpec, options: SweepOptions = {}): Promise<SweepResult> {
  checkSweepSpec(spec);
  const jobs = options.jobs ?? spec.jobs ?? DEFAULT_JOBS;
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new Error(`jobs must be a positive integer, got ${jobs}`);
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const outcomes: Record<string, RunOutcome> = {};
  const running = new Map<string, Child>();
  const onAbort = (): void => {
    for (const child of running.values()) child.stop('SIGTERM');
  };
  options.signal?.addEventListener('abort', onAbort);
  const total = spec.runs.length;
  try {
    for (const run of spec.runs.filter(isFinished)) {
      outcomes[run.name] = 'already finished';
      print(`[sweep] ${run.name}: already finished (${run.done})`);
    }
    const waiting = (): SweepRun[] => spec.runs.filter((run) => outcomes[run.name] === undefined && !running.has(run.name));
    while (!options.signal?.aborted) {
      for (const run of waiting()) {
        const blocker = (run.after ?? []).find((name) => outcomes[name] === 'failed' || outcomes[name] === 'not started');
        if (blocker === undefined) continue;
        outcomes[run.name] = 'not started';
        const why = outcomes[blocker] === 'failed' ? 'failed' : 'did not run';
        print(`[sweep] ${run.name}: not started (it comes after "${blocker}", which ${why})`);
      }
      const ready = waiting().filter((run) => (run.after ?? []).every((name) => outcomes[name]?.endsWith('finished')));
      for (const run of ready.slice(0, Math.max(0, jobs - running.size))) launch(run);
      if (running.size === 0) break;
      await Promise.race([...running.values()].map((child) => child.exited));
    }
    await Promise.all([...running.values()].map((child) => child.exited));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return { outcomes, interrupted: spec.runs.some((run) => outcomes[run.name] === undefined) };

  function launch(run: SweepRun): void {
    const log = logFile(run);
    const since = performance.now();
    const child = start(run, log);
    running.set(run.name, child);
    const startedCount = Object.keys(outcomes).length + running.size;
    print(`[sweep ${startedCount}/${total}] ${run.name}: started (log ${log})`);
    void child.exited.then((exit) => {
      running.delete(run.name);
      if (options.signal?.aborted && exit.code !== 0) {
        print(`[sweep] ${run.name}: stopped after ${seconds(since)} (the same sweep resumes it)`);
        return; // no outcome: an interrupted run is neither finished nor failed
      }
      const problem =
        exit.error !== undefined
          ? `could not start: ${exit.error.message}`
          : exit.code !== 0
            ? `exit ${exit.code ?? exit.signal}`
            : run.doneBy !== 'sweep' && !isFinished(run)
              ? `exited 0 but did not leave ${run.done}${run.doneStep === undefined ? '' : ` at step ${run.doneStep}`}`
              : undefined;
      if (problem === undefined) {
        if (run.doneBy === 'sweep') writeJsonAtomic(run.done, { name: run.name, argv: run.argv, finished: new Date().toISOString() });
        outcomes[run.name] = 'finished';
        print(`[sweep] ${run.name}: finished in ${seconds(since)}`);
        return;
      }
      outcomes[run.name] = 'failed';
      const tail = lastLines(log, TAIL_LINES).map((line) => `    ${line}`);
      print([`[sweep] ${run.name}: failed (${problem}) after ${seconds(since)}; the end of ${log}:`, ...tail].join('\n'));
    });
  }
}

/** One line for the end of a sweep: how many runs ended each way. */
export function sweepSummary(result: SweepResult): string {
  const counts = new Map<string, number>();
  for (const outcome of Object.values(result.outcomes)) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  const parts = [...counts].map(([outcome, count]) => `${count} ${outcome}`);
  return `sweep: ${parts.join(', ') || 'no runs'}${result.interrupted ? '; interrupted (run the same sweep again to resume)' : ''}`;
}
