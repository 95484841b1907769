// Experiment: is generation limited by the layout or by the drawing? Evaluator pass rate of one checkpoint on
// validation prompts in normal mode, in think mode (its own plan) and conditioned on a ground-truth plan (the slots,
// attributes, positions and depth order of a world scene laid out for the prompt, as pretraining's think rows see).
// Default sampler settings otherwise; validation split only (a diagnostic, not a benchmark). Each mode also prints,
// for every attribute the prompts name (colour, shape, texture, size), the share of named objects for which some
// detected object has that attribute, and the shapes the evaluator detected: which attribute the drawing loses.
// Regenerate: npx ts-node --transpile-only scripts/experiments/plan-oracle.ts [--checkpoint data/base] [--n 80] [--seed 3]
//   [--guidance W] [--ema] [--modes normal,think,truth] (--ema: the run's EMA weights, pretrain emaDecay > 0; --modes: which
//   of normal, think, truth to run, e.g. `truth` alone for a run trained only on ground-truth plans; `plan` adds the
//   model's own think-mode plans drawn by the world's renderer instead of the model: how good the plans are, apart
//   from the drawing; every mode also reports prompts naming a held-out colour-shape pair apart) [--figure OUT] (OUT.png and OUT.svg: the world's render of each of the first 8 prompts'
//   ground-truth scenes above what each mode drew)
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { evaluateImage, type Verdict } from '../../lib/eval/evaluate';
import { DEFAULT_SAMPLING, generateImages } from '../../lib/generate/generate';
import { loadEmaCheckpoint } from '../../lib/train/ema';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { disposeModel } from '../../lib/model/params';
import { planBatch, worldDrawnPlans } from '../../lib/train/plan';
import { closeExporter, exportPngAndSvg, imageGrid } from '../../lib/plot';
import { renderScene } from '../../lib/world/render';
import type { RgbImage } from '../../lib/world/types';
import { sceneFor } from '../../lib/world/layout';
import { mentionsHeldOut, samplePrompts } from '../../lib/world/splits';
import { makeRng } from '../../lib/rng';
import { runScript } from '../lib/run-script';

/** Per named attribute: how often some detected object has it; then the detected shapes. */
function attributeReport(verdicts: readonly Verdict[]): string {
  const tally: Record<string, [number, number]> = {};
  const shapes: Record<string, number> = {};
  for (const verdict of verdicts) {
    const named = verdict.constraints.flatMap(({ constraint: c }) => (c.kind === 'relation' ? [c.subject, c.object] : [c.object]));
    for (const desc of named) {
      for (const attribute of ['color', 'shape', 'texture', 'size'] as const) {
        if (desc[attribute] === undefined) continue;
        const entry = (tally[attribute] ??= [0, 0]);
        entry[1] += 1;
        if (verdict.objects.some((o) => o[attribute] === desc[attribute])) entry[0] += 1;
      }
    }
    for (const o of verdict.objects) shapes[o.shape] = (shapes[o.shape] ?? 0) + 1;
  }
  const attributes = Object.entries(tally)
    .map(([a, [found, all]]) => `${a} ${found}/${all} = ${(found / all).toFixed(2)}`)
    .join(', ');
  return `named attribute drawn: ${attributes}; detected shapes: ${Object.entries(shapes)
    .map(([s, k]) => `${s} ${k}`)
    .join(', ')}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: 'string', default: 'data/base' },
      n: { type: 'string', default: '80' },
      seed: { type: 'string', default: '3' },
      guidance: { type: 'string', default: String(DEFAULT_SAMPLING.guidanceScale) },
      ema: { type: 'boolean', default: false },
      modes: { type: 'string', default: 'normal,think,truth' },
      figure: { type: 'string' },
    },
    strict: true,
  });
  const [n, seed, guidanceScale] = [Number(values.n), Number(values.seed), Number(values.guidance)];
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed) || !(guidanceScale >= 1))
    throw new Error('--n must be a positive integer, --seed an integer, --guidance >= 1');
  await initBackend({ quiet: true });
  const { model, manifest } = values.ema ? loadEmaCheckpoint(values.checkpoint) : loadCheckpoint(values.checkpoint);
  // A few val prompts admit no layout in 32 px (sceneFor gives up): they have no ground-truth plan, so they are left out.
  const layoutRng = makeRng(seed).fork('plan-oracle');
  const laidOut = samplePrompts({ split: 'val', n, seed }).flatMap((p) => {
    try {
      return [{ prompt: p, scene: sceneFor(p, layoutRng, { allowHeldOut: true }) }];
    } catch {
      console.log(`left out (no layout): "${p.text}"`);
      return [];
    }
  });
  const prompts = laidOut.map((l) => l.prompt);
  const scenes = laidOut.map((l) => l.scene);
  const plans = planBatch(scenes, model.config.planGrid);
  const shown = Math.min(FIGURE_COLUMNS, prompts.length);
  const rows: { label: string; images: RgbImage[]; passed: boolean[] }[] = [
    { label: 'world render', images: scenes.slice(0, shown).map(renderScene), passed: [] },
  ];
  const allModes = {
    normal: ['normal', {}],
    think: ['think', { think: true }],
    truth: ['ground-truth plan', { plans }],
    plan: ['own plan, world-drawn', 'plan'],
  } as const;
  const chosen = values.modes.split(',');
  const unknown = chosen.filter((m) => !(m in allModes));
  if (unknown.length > 0) throw new Error(`--modes: unknown mode ${unknown.join(', ')} (known: ${Object.keys(allModes).join(', ')})`);
  const modes = Object.fromEntries(chosen.map((m) => allModes[m as keyof typeof allModes]));
  const texts = prompts.map((p) => p.text);
  try {
    for (const [mode, options] of Object.entries(modes)) {
      const images = options === 'plan' ? worldDrawnPlans(model, texts) : generateImages(model, texts, { seed, guidanceScale, ...options });
      const verdicts = images.map((image, i) => evaluateImage(image, prompts[i]));
      rows.push({ label: mode, images: images.slice(0, shown), passed: verdicts.slice(0, shown).map((v) => v.passed) });
      const passed = verdicts.filter((v) => v.passed).length;
      const objects = verdicts.reduce((sum, v) => sum + v.objects.length, 0) / prompts.length;
      console.log(
        `${values.checkpoint}${values.ema ? ' EMA' : ''} (step ${manifest.step}, guidance ${guidanceScale}) ${mode.padEnd(17)} pass ${passed}/${prompts.length} = ${(passed / prompts.length).toFixed(3)}  objects per image ${objects.toFixed(2)}`,
      );
      console.log(`  ${domainReport(verdicts, prompts.map(mentionsHeldOut))}`);
      console.log(`  ${attributeReport(verdicts)}`);
    }
    if (values.figure !== undefined) {
      const titles = rows.flatMap((row) =>
        row.images.map((_, k) => `<b>${row.label}</b>${row.passed.length > 0 ? (row.passed[k] ? ' ✓' : ' ✗') : ''}<br>${prompts[k].text}`),
      );
      const title = `${values.checkpoint} (step ${manifest.step}), validation prompts, seed ${seed}, guidance ${guidanceScale}`;
      await exportPngAndSvg(
        imageGrid(
          rows.flatMap((row) => row.images),
          { titles, columns: shown, cellSize: 120, title },
        ),
        values.figure,
      );
      await closeExporter();
      console.log(`wrote ${values.figure}.png and ${values.figure}.svg`);
    }
  } finally {
    disposeModel(model);
  }
}

/** Pass rate apart for prompts naming a colour-shape pair held out of training and for the rest. */
function domainReport(verdicts: readonly Verdict[], heldOut: readonly boolean[]): string {
  const rate = (want: boolean): string => {
    const chosen = verdicts.filter((_, k) => heldOut[k] === want);
    return `${chosen.filter((v) => v.passed).length}/${chosen.length}`;
  };
  return `pass in-domain ${rate(false)}, naming a held-out pair ${rate(true)}`;
}

/** Prompts shown per row of the --figure grid. */
const FIGURE_COLUMNS = 8;

runScript(main);
