// The sweep runner (lib/run/sweep.ts) on trivial node commands: the --jobs limit holds, a finished run is skipped and
// a stopped sweep resumes where it stopped, a failing run is reported with its log's end while the others go on.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../lib/cli/main';
import { checkSweepSpec, isFinished, runSweep, type SweepRun } from '../lib/run/sweep';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-sweep-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A run that records when it ran (start and end, ms), sleeps, then writes its done file (unless it fails). */
function sleeper(dir: string, name: string, options: { ms?: number; exit?: number } = {}): SweepRun {
  const done = path.join(dir, `${name}.done`);
  const code = [
    'const fs = require("fs");',
    'const [times, done, ms, exit] = process.argv.slice(1);',
    'const start = Date.now();',
    'console.log("working on", done);',
    'setTimeout(() => {',
    '  fs.appendFileSync(times, JSON.stringify({ start, end: Date.now() }) + "\\n");',
    '  if (exit !== "0") { console.error("something broke"); process.exit(Number(exit)); }',
    '  fs.writeFileSync(done, "ok");',
    '}, Number(ms));',
  ].join('\n');
  const times = path.join(dir, `${name}.times`);
  return { name, argv: ['node', '-e', code, times, done, String(options.ms ?? 300), String(options.exit ?? 0)], done };
}

const timesOf = (run: SweepRun): { start: number; end: number }[] =>
  fs.existsSync(run.argv[3])
    ? fs
        .readFileSync(run.argv[3], 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { start: number; end: number })
    : [];

/** The most runs alive at one instant. */
function maxOverlap(intervals: { start: number; end: number }[]): number {
  return Math.max(...intervals.map((a) => intervals.filter((b) => b.start <= a.start && a.start < b.end).length));
}

describe('runSweep', () => {
  it('runs at most --jobs at a time, and uses them all', async () => {
    const dir = path.join(root, 'jobs');
    const runs = ['a', 'b', 'c', 'd', 'e'].map((name) => sleeper(dir, name, { ms: 400 }));
    const lines: string[] = [];
    const result = await runSweep({ runs }, { jobs: 2, print: (line) => lines.push(line) });
    expect(Object.values(result.outcomes)).toEqual(Array(5).fill('finished'));
    expect(result.interrupted).toBe(false);
    expect(maxOverlap(runs.flatMap(timesOf))).toBe(2);
    expect(lines.filter((line) => / started \(log /.test(line))).toHaveLength(5);
    expect(lines.filter((line) => /: finished in \d+\.\d s$/.test(line))).toHaveLength(5);
    expect(fs.readFileSync(path.join(dir, 'a.log'), 'utf8')).toContain('working on');
  });

  it('skips finished runs, and a stopped sweep resumes where it stopped', async () => {
    const dir = path.join(root, 'resume');
    const runs = [sleeper(dir, 'quick', { ms: 10 }), sleeper(dir, 'slow', { ms: 20_000 }), sleeper(dir, 'last', { ms: 10 })];
    runs[2].after = ['slow'];
    const controller = new AbortController();
    const lines: string[] = [];
    const print = (line: string): void => {
      lines.push(line);
      if (line.startsWith('[sweep] quick: finished')) setTimeout(() => controller.abort(), 300);
    };
    const stopped = await runSweep({ runs }, { jobs: 2, signal: controller.signal, print });
    expect(stopped.interrupted).toBe(true);
    expect(stopped.outcomes).toEqual({ quick: 'finished' });
    expect(lines.some((line) => line.startsWith('[sweep] slow: stopped after'))).toBe(true);
    expect(isFinished(runs[1])).toBe(false);

    runs[1].argv[5] = '10'; // the resumed run is quick this time
    const resumed = await runSweep({ runs }, { jobs: 2, print: () => undefined });
    expect(resumed.outcomes).toEqual({ quick: 'already finished', slow: 'finished', last: 'finished' });
    expect(timesOf(runs[0])).toHaveLength(1); // not redone
    expect(runs.every(isFinished)).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'slow.log'), 'utf8').match(/sweep starts/g)).toHaveLength(2); // one log, appended
  }, 30_000);

  it('reports a failing run with the end of its log and goes on with the others', async () => {
    const dir = path.join(root, 'fail');
    const bad = sleeper(dir, 'bad', { ms: 10, exit: 3 });
    const silent = { ...sleeper(dir, 'silent', { ms: 10 }), done: path.join(dir, 'never-written') };
    const after = { ...sleeper(dir, 'after-bad', { ms: 10 }), after: ['bad'] };
    const fine = sleeper(dir, 'fine', { ms: 10 });
    const lines: string[] = [];
    const result = await runSweep({ runs: [bad, silent, after, fine] }, { jobs: 1, print: (line) => lines.push(line) });
    expect(result.outcomes).toEqual({ bad: 'failed', silent: 'failed', 'after-bad': 'not started', fine: 'finished' });
    const failure = lines.find((line) => line.startsWith('[sweep] bad: failed'));
    expect(failure).toMatch(/failed \(exit 3\) after .* s; the end of .*bad\.log:\n {4}# .*\n {4}working on .*\n {4}something broke/);
    expect(lines.find((line) => line.startsWith('[sweep] silent: failed'))).toContain('exited 0 but did not leave');
    expect(timesOf(after)).toEqual([]);
  });

  it('writes the done marker itself when doneBy is "sweep", and reads a manifest step with doneStep', async () => {
    const dir = path.join(root, 'marker');
    const run: SweepRun = { name: 'echo', argv: ['node', '-e', 'console.log(1)'], done: path.join(dir, 'echo.done'), doneBy: 'sweep' };
    expect((await runSweep({ runs: [run] }, { print: () => undefined })).outcomes).toEqual({ echo: 'finished' });
    expect(JSON.parse(fs.readFileSync(run.done, 'utf8'))).toMatchObject({ name: 'echo', argv: run.argv });

    const manifest = path.join(dir, 'manifest.json');
    fs.writeFileSync(manifest, JSON.stringify({ step: 200 }));
    expect(isFinished({ ...run, done: manifest, doneStep: 300 })).toBe(false);
    expect(isFinished({ ...run, done: manifest, doneStep: 200 })).toBe(true);
  });

  it('rejects a spec with a teaching error', () => {
    const run = { name: 'a', argv: ['node'], done: 'x' };
    expect(() => checkSweepSpec({ runs: [run, run] })).toThrow('the name "a" is used twice');
    expect(() => checkSweepSpec({ runs: [{ ...run, after: ['b'] }] })).toThrow('after names "b", which is not an earlier run');
    expect(() => checkSweepSpec({ runs: [{ ...run, argv: [] }] })).toThrow('argv must be a non-empty list');
    expect(() => checkSweepSpec([run])).toThrow('expected an object');
  });
});

describe('srum sweep', () => {
  it('runs a JSON spec and skips it the second time', async () => {
    const dir = path.join(root, 'cli');
    const spec = path.join(dir, 'spec.json');
    const runs = [sleeper(dir, 'one', { ms: 10 }), sleeper(dir, 'two', { ms: 10 })];
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(spec, JSON.stringify({ runs, jobs: 2 }));
    await main(['sweep', '--spec', spec]);
    await main(['sweep', '--spec', spec]);
    expect(runs.map((run) => timesOf(run).length)).toEqual([1, 1]);
    expect(process.exitCode ?? 0).toBe(0);
  });
});
