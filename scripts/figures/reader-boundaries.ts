// Figure: where the judge and the evaluator draw their lines between the world's classes. One panel per axis (a
// square rounded towards a circle, stripes fading to plain, stripes blending into checks) and per view (sharp,
// blurred); in each, the share of objects that the evaluator, the judge and the world's nearness rule put on the
// far side, pooled over the three sizes.
// Input: figures/results/reader-boundaries.json (scripts/experiments/reader-boundaries.ts --json).
// Regenerate: npx ts-node --transpile-only scripts/figures/reader-boundaries.ts [--in figures/results/reader-boundaries.json] [--out figures/reader-boundaries]
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { saveFigure, type Figure, type Trace } from '../../lib/plot';
import type { Boundaries, BoundaryPoint } from '../experiments/reader-boundaries';
import { runScript } from '../lib/run-script';

const READERS = [
  { key: 'evaluator', name: 'independent evaluator', line: { color: '#1f77b4', width: 2 } },
  { key: 'judge', name: "model's judge (stage 5)", line: { color: '#ff7f0e', width: 2 } },
  { key: 'nearer', name: "world's nearer class", line: { color: '#7f7f7f', width: 1.5, dash: 'dot' } },
] as const;
const AXES: Record<string, { x: string; y: string }> = {
  shape: { x: 'superellipse exponent n (2 = circle)', y: 'read as a circle' },
  contrast: { x: "stripe contrast (share of the world's)", y: 'read as textured' },
  blend: { x: 'share of the checker pattern', y: 'read as checkered' },
};

/** The mean over sizes at each step. */
function pooled(bySize: Record<string, BoundaryPoint[]>, key: 'evaluator' | 'judge' | 'nearer'): { x: number[]; y: number[] } {
  const sizes = Object.values(bySize);
  return { x: sizes[0].map((p) => p.x), y: sizes[0].map((_, k) => sizes.reduce((sum, points) => sum + points[k][key], 0) / sizes.length) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      in: { type: 'string', default: 'figures/results/reader-boundaries.json' },
      out: { type: 'string', default: 'figures/reader-boundaries' },
    },
    strict: true,
  });
  if (!fs.existsSync(values.in)) throw new Error(`${values.in} does not exist (see scripts/experiments/reader-boundaries.ts --json)`);
  const { results, per } = JSON.parse(fs.readFileSync(values.in, 'utf8')) as { results: Boundaries; per: number };
  const axes = Object.keys(AXES).filter((a) => a in results);
  const blurs = Object.keys(results[axes[0]]).sort();
  const data: Trace[] = [];
  const layout: Record<string, unknown> = {
    title: { text: `Where each reader draws the line between classes (${per} objects per size and step, pooled over 3 sizes)` },
    grid: { rows: blurs.length, columns: axes.length, pattern: 'independent', roworder: 'top to bottom' },
    width: 1100,
    height: 330 * blurs.length + 80,
    legend: { orientation: 'h', y: -0.12 },
    annotations: [],
  };
  blurs.forEach((blur, row) =>
    axes.forEach((axis, col) => {
      const n = row * axes.length + col + 1;
      const suffix = n === 1 ? '' : String(n);
      for (const reader of READERS) {
        const { x, y } = pooled(results[axis][blur], reader.key);
        data.push({
          type: 'scatter',
          mode: 'lines+markers',
          name: reader.name,
          legendgroup: reader.key,
          showlegend: n === 1,
          x,
          y,
          line: reader.line,
          xaxis: `x${suffix}`,
          yaxis: `y${suffix}`,
        });
      }
      layout[`xaxis${suffix}`] = {
        title: { text: AXES[axis].x },
        ...(axis === 'shape' ? { type: 'log', tickvals: [2, 3, 4, 6, 8, 12] } : {}),
      };
      layout[`yaxis${suffix}`] = { title: { text: `${AXES[axis].y}, ${blur === '0' ? 'sharp' : `blur ${blur}`}` }, range: [-0.05, 1.05] };
    }),
  );
  const figure: Figure = { data, layout };
  await saveFigure(figure, values.out, values.in);
}

runScript(main);
