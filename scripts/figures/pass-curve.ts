// Figure: the evaluator's pass rate of generation-only runs against the generation samples they trained on, for all
// prompts, presence prompts (exists constraints only) and exact prompts (a count or a relation).
// Input: figures/results/pass-curve.json ({ runs: [{ name, batch_size, command, curve, ema_curve?: pass-curve.ts --json outputs }] }).
// Regenerate: npx ts-node --transpile-only scripts/figures/pass-curve.ts [--in figures/results/pass-curve.json] [--out figures/pass-curve]
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { lineChart, saveFigure, type LineSeries } from '../../lib/plot';
import type { CurvePoint } from '../experiments/pass-curve';
import { runScript } from '../lib/run-script';

interface Curve {
  n: number;
  seed: number;
  guidance: number;
  points: CurvePoint[];
}
interface CurveRun {
  name: string;
  batch_size: number;
  command: string;
  curve: Curve;
  ema_curve?: Curve;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { in: { type: 'string', default: 'figures/results/pass-curve.json' }, out: { type: 'string', default: 'figures/pass-curve' } },
    strict: true,
  });
  if (!fs.existsSync(values.in)) throw new Error(`${values.in} does not exist (see scripts/experiments/pass-curve.ts)`);
  const { runs } = JSON.parse(fs.readFileSync(values.in, 'utf8')) as { runs: CurveRun[] };
  const series: LineSeries[] = runs.flatMap((run) =>
    (['pass', 'presence', 'exact'] as const)
      .map((key) => ({
        name: `${run.name}: ${key === 'pass' ? 'all prompts' : key}`,
        x: run.curve.points.map((p) => (p.step * run.batch_size) / 1000),
        y: run.curve.points.map((p) => p[key].rate),
      }))
      .concat(
        run.ema_curve === undefined
          ? []
          : [
              {
                name: `${run.name}: all prompts, EMA weights`,
                x: run.ema_curve.points.map((p) => (p.step * run.batch_size) / 1000),
                y: run.ema_curve.points.map((p) => p.pass.rate),
              },
            ],
      ),
  );
  const { n, seed, guidance } = runs[0].curve;
  const figure = lineChart(series, {
    title: `Generation-only runs: pass rate, ${n} val prompts (seed ${seed}, guidance ${guidance})`,
    xTitle: 'generation samples trained on (thousands)',
    yTitle: 'pass rate',
    yRange: [0, 0.5],
  });
  await saveFigure(figure, values.out, values.in);
}

runScript(main);
