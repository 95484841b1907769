// `srum quickstart`: the toolkit's main job at demonstration size on the shipped base (lib/run/quickstart.ts):
// candidates -> self-judgment -> reward maps -> a short SRUM training -> a paired before/after evaluation on a small
// val protocol, then a small table and one figure (candidates with their reward maps; protocol images before and
// after). Resumable like `srum run`. Measured times: README and the --help notes.
import { initBackend } from '../backend/select';
import { formatComparison } from '../eval/compare';
import { autoWorkers, SamplerPool } from '../eval/pool';
import type { ProtocolConfig } from '../eval/protocol';
import { disposeModel } from '../model/params';
import { exportFigure, closeExporter } from '../plot/export';
import { imageGrid } from '../plot/charts';
import type { Figure, Trace } from '../plot/figure';
import { mapRows } from '../reward/rewardMap';
import type { RgbImage } from '../world/types';
import { parseRunSettings, resolveRunConfig, type SettingValue } from '../run/config';
import {
  QUICKSTART_PROTOCOL,
  QUICKSTART_SETTINGS,
  QUICKSTART_UNUSED_SETTINGS,
  runQuickstart,
  type QuickstartSummary,
} from '../run/quickstart';
import { quickstartPanels, type QuickstartPanels } from '../run/quickstart-figure';
import { loadCommandModel } from './candidates';
import { Command, intOption, requireString, type Values } from './command';
import { DEFAULT_CHECKPOINT } from './gap';

const shownSettings = Object.entries(QUICKSTART_SETTINGS)
  .map(([k, v]) => `${k}=${v}`)
  .join(',');

/** The quickstart's settings: its own over `srum run`'s defaults, then --set. */
export function quickstartSettings(values: Values): Record<string, SettingValue> {
  const given = typeof values.set === 'string' ? parseRunSettings(values.set) : {};
  for (const key of QUICKSTART_UNUSED_SETTINGS) {
    if (key in given) throw new Error(`--set ${key}: the quickstart evaluates on the protocol; use --per-category, --draws and --seed`);
  }
  return { ...QUICKSTART_SETTINGS, ...given };
}

export const quickstartCommand: Command = {
  name: 'quickstart',
  summary: 'SRUM at demonstration size on the shipped base: candidates -> self-judge -> reward maps -> training -> paired eval',
  options: {
    out: { type: 'string', help: 'run directory (resumable)', default: 'runs/quickstart' },
    figure: {
      type: 'string',
      help: 'the figure (PNG): candidates with their reward maps, images before and after',
      default: 'figures/quickstart.png',
    },
    checkpoint: { type: 'string', help: 'base checkpoint directory', default: DEFAULT_CHECKPOINT },
    preset: { type: 'string', help: 'a freshly initialised model of this preset instead of --checkpoint (smoke runs)' },
    set: { type: 'string', help: `any \`srum run\` setting, key=value[,...], over the quickstart's ${shownSettings}` },
    'per-category': { type: 'string', help: 'protocol: val prompt texts per category', default: String(QUICKSTART_PROTOCOL.perCategory) },
    draws: { type: 'string', help: 'protocol: noise draws per prompt', default: String(QUICKSTART_PROTOCOL.draws) },
    seed: { type: 'string', help: 'protocol: noise seed (same noise before and after)', default: String(QUICKSTART_PROTOCOL.seed) },
    workers: { type: 'string', help: 'sampling threads of the evaluation (auto: one per core on wasm)', default: 'auto' },
    quiet: { type: 'boolean', help: 'no progress display', default: false },
  },
  notes: [
    'A demonstration: the sizes show every stage and that the weights move; `srum run` and `srum compare` measure.',
    'Then: npx srum compare --arms base=data/base,quick=runs/quickstart (the protocol at full size).',
  ],
  async run(values) {
    const config = resolveRunConfig(quickstartSettings(values));
    const protocol: ProtocolConfig = {
      split: 'val',
      perCategory: intOption(values, 'per-category'),
      draws: intOption(values, 'draws'),
      seed: intOption(values, 'seed'),
    };
    const dir = requireString(values, 'out');
    const figureFile = requireString(values, 'figure');
    const given = Object.entries(values).filter(([k, v]) => v !== undefined && v !== false && !(k === 'checkpoint' && values.preset));
    const command = ['srum quickstart', ...given.map(([k, v]) => (v === true ? `--${k}` : `--${k} ${String(v)}`))].join(' ');
    await initBackend();
    const started = Date.now();
    const { model, source, preset } = loadCommandModel({ ...values, seed: String(config.srum.seed) });
    const pool = await SamplerPool.open(values.workers === 'auto' ? autoWorkers() : intOption(values, 'workers'));
    try {
      const quiet = values.quiet === true;
      const summary = await runQuickstart({ model, preset, source, dir, config, protocol, pool, command, quiet });
      await exportFigure(quickstartFigure(quickstartPanels(dir, config.srum.rewardMode)), figureFile, { scale: 2 });
      await closeExporter();
      console.log(describeQuickstart(summary, { dir, figureFile, seconds: (Date.now() - started) / 1000 }));
    } finally {
      await pool.close();
      disposeModel(model);
    }
  },
};

/** What the quickstart prints: what ran, the paired table, the verdict flips, where everything is. */
export function describeQuickstart(summary: QuickstartSummary, where: { dir: string; figureFile: string; seconds: number }): string {
  const { srum, pipeline } = summary.config;
  const stages = Object.entries(summary.seconds)
    .map(([name, s]) => `${name} ${s.toFixed(0)}`)
    .join(', ');
  const { failToPass, passToFail, meanPixelChange } = summary.flips;
  const images = summary.report.protocol.n_images;
  return [
    `srum quickstart: ${srum.method} (${srum.rewardMode} reward maps, lambda ${srum.lambdaC}) on ${summary.source}`,
    `  ${pipeline.nCandidates} self-judged candidates, ${summary.trainStep} steps of ${srum.batchSize} at peak lr ${srum.learningRate}` +
      ` (warm-up ${srum.warmupSteps}, replay ${srum.replayWeight}); evaluated with the EMA weights`,
    `  NOTE: ${summary.note}`,
    '',
    formatComparison(summary.report, 'base'),
    '',
    `verdicts that changed: ${failToPass} fail -> pass, ${passToFail} pass -> fail of ${images};` +
      ` mean |pixel change| ${meanPixelChange.toFixed(3)} (pixels in [0, 1])`,
    `seconds per stage (when it ran): ${stages}; ${where.seconds.toFixed(0)} s this invocation`,
    `wrote ${where.dir}/summary.json (table: report; verdicts: eval/scores.json; images: eval/) and ${where.figureFile}`,
  ].join('\n');
}

const CELL = 112;

/**
 * One figure: the top row holds candidates, each beside its reward map over it; the bottom row protocol images before
 * and after training from the same noise, with the evaluator's verdict. Reward maps share one colour scale.
 */
export function quickstartFigure(panels: QuickstartPanels): Figure {
  interface Cell {
    image: RgbImage;
    title: string;
    /** A reward map drawn over the image, or none. */
    map?: Float32Array;
    /** Pads the shorter row: drawn as an empty cell. */
    blank?: true;
  }
  const mark = (passed: boolean): string => (passed ? 'pass' : 'fail');
  const signed = (x: number, digits = 2): string => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
  const top = panels.candidates.flatMap((c): Cell[] => [
    { image: c.image, title: `"${c.prompt}"` },
    {
      image: c.image,
      title: `its reward map: g ${signed(c.globalScore)}, regions ${c.regionScores.map((r) => signed(r, 1)).join(' ')}`,
      map: c.rewardMap,
    },
  ]);
  const bottom = panels.pairs.flatMap((p): Cell[] => [
    { image: p.before, title: `before: ${mark(p.passedBefore)} "${p.prompt}"` },
    { image: p.after, title: `after: ${mark(p.passedAfter)}` },
  ]);
  const first = top[0] ?? bottom[0];
  if (first === undefined) throw new Error('quickstartFigure: no candidate and no evaluated image to draw');
  const columns = Math.max(top.length, bottom.length);
  const pad = (row: Cell[]): Cell[] => [
    ...row,
    ...Array.from({ length: columns - row.length }, (): Cell => ({ ...first, title: '', blank: true })),
  ];
  const cells = [...pad(top), ...pad(bottom)];
  const title =
    `srum quickstart (a demonstration, not a result): candidates and their ${panels.mode} reward maps; ` +
    'before / after training, same noise';
  const figure = imageGrid(
    cells.map((c) => c.image),
    { titles: cells.map((c) => c.title), columns, cellSize: CELL, title },
  );
  const values = panels.candidates.flatMap((c) => Array.from(c.rewardMap));
  const zRange = Math.min(0, ...values) < 0 ? [-1, 1] : [0, 1];
  const overlays: Trace[] = [];
  cells.forEach((cell, i) => {
    const axis = i === 0 ? '' : String(i + 1);
    if (cell.blank) figure.data[i] = { type: 'scatter', x: [], y: [], xaxis: `x${axis}`, yaxis: `y${axis}` };
    if (cell.map === undefined) return;
    const { width, height } = cell.image;
    // Pin the axes to the image's pixels (y downwards) so the map's cells sit on the pixels they score.
    figure.layout[`xaxis${axis}`] = { ...(figure.layout[`xaxis${axis}`] as object), range: [-0.5, width - 0.5] };
    figure.layout[`yaxis${axis}`] = { ...(figure.layout[`yaxis${axis}`] as object), range: [height - 0.5, -0.5] };
    overlays.push({
      type: 'heatmap',
      z: mapRows(cell.map, width),
      x0: 0,
      dx: 1,
      y0: 0,
      dy: 1,
      xaxis: `x${axis}`,
      yaxis: `y${axis}`,
      coloraxis: 'coloraxis',
      opacity: 0.85, // the map in front, the shapes faintly behind it
      hovertemplate: 'x %{x}, y %{y}: R %{z:.3f}<extra></extra>',
    });
  });
  figure.data.push(...overlays);
  const extraRight = 90; // room for the colour bar
  const margin = figure.layout.margin as { r: number };
  figure.layout.margin = { ...margin, r: margin.r + extraRight };
  figure.layout.width = Number(figure.layout.width) + extraRight;
  figure.layout.coloraxis = {
    cmin: zRange[0],
    cmax: zRange[1],
    colorscale: 'RdBu',
    reversescale: true,
    colorbar: { title: { text: 'R' }, len: 0.45, y: 0.75 },
  };
  return figure;
}
