// Every notebook runs top to bottom with the project's tslab kernel and SRUM_PRESET=tiny, as CI does.
// Executed copies go to a temporary directory; the committed notebooks are never modified.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLOTLY_MIME } from '../lib/plot';

const run = promisify(execFile);
const repo = path.resolve(__dirname, '..');
const notebookDir = path.join(repo, 'notebooks');
const notebooks = fs
  .readdirSync(notebookDir)
  .filter((name) => name.endsWith('.ipynb'))
  .sort();
/** Per-notebook budget with the tiny preset on a loaded 2-core machine. */
const NOTEBOOK_TIMEOUT_SECONDS = 300;

interface NotebookOutput {
  output_type: string;
  data?: Record<string, unknown>;
}
interface Notebook {
  cells: { cell_type: string; outputs?: NotebookOutput[] }[];
}

describe('notebooks', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'srum-notebooks-test-'));

  // Notebooks import the built package ('srum-ts' -> dist/), so build the current sources first.
  beforeAll(async () => {
    await run('npm', ['run', '--silent', 'build'], { cwd: repo, maxBuffer: 1 << 26 });
  }, 300_000);
  afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

  it('finds the notebooks', () => {
    expect(notebooks).toContain('00-world.ipynb');
  });

  it.each(notebooks)(
    '%s runs without a cell error',
    async (name) => {
      const script = path.join(repo, 'scripts', 'run-notebooks.sh');
      const args = ['--no-build', '--out', outDir, '--timeout', String(NOTEBOOK_TIMEOUT_SECONDS), path.join(notebookDir, name)];
      const env = { ...process.env, SRUM_PRESET: 'tiny' };
      const result = await run('bash', [script, ...args], { cwd: repo, env, maxBuffer: 1 << 26 }).catch(
        (error: { stdout?: string; stderr?: string; message: string }) => {
          throw new Error(`${name} failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`);
        },
      );
      expect(result.stdout).toMatch(new RegExp(`ok +${name.replace('.', '\\.')}`));
      const executed = JSON.parse(fs.readFileSync(path.join(outDir, name), 'utf8')) as Notebook;
      const outputs = executed.cells.flatMap((cell) => cell.outputs ?? []);
      expect(outputs.filter((output) => output.output_type === 'error')).toEqual([]);
    },
    (NOTEBOOK_TIMEOUT_SECONDS + 90) * 1000,
  );

  // Checks tslab's internal display API (lib/plot/tslab.ts) in a real kernel: one output, three MIME types.
  it('00-world displays a figure as one bundle: plotly JSON, PNG and text', () => {
    const executed = JSON.parse(fs.readFileSync(path.join(outDir, '00-world.ipynb'), 'utf8')) as Notebook;
    const displays = executed.cells.flatMap((cell) => cell.outputs ?? []).filter((output) => output.output_type === 'display_data');
    expect(displays.length).toBeGreaterThan(0);
    expect(Object.keys(displays[0].data ?? {}).sort()).toEqual([PLOTLY_MIME, 'image/png', 'text/plain'].sort());
    expect(typeof displays[0].data?.[PLOTLY_MIME]).toBe('object');
  });
});
