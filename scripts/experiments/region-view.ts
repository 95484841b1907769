// Experiment (reverted after it; see README "Where the judge is weak"): the judge's agreement with the evaluator
// when the region head reads each box on the whole image, on its zoomed crop (model/zoom.ts), or both averaged.
// Reads the images of agreement-diag.ts --out. Regenerate:
//   npx ts-node --transpile-only scripts/experiments/region-view.ts --images DIR --seed S [--checkpoint CK] [--n 280]
import { parseArgs } from 'node:util';
import { initBackend } from '../../lib/backend/select';
import { evaluateImage } from '../../lib/eval/evaluate';
import { loadCheckpoint } from '../../lib/model/checkpoint';
import { parseVerdicts } from '../../lib/model/parse';
import { disposeModel } from '../../lib/model/params';
import { identifyRegions, REGION_VIEWS, type Box } from '../../lib/model/understand';
import { objectRegions, objectsFromIdentities } from '../../lib/regions/objects';
import { readPng } from '../../lib/world/png';
import { samplePrompts } from '../../lib/world/splits';
import { runScript } from '../lib/run-script';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { checkpoint: { type: 'string', default: 'data/base' }, n: { type: 'string', default: '280' }, seed: { type: 'string', default: '5' }, images: { type: 'string' } }, strict: true });
  if (values.images === undefined) throw new Error('--images DIR is required (agreement-diag.ts --out DIR)');
  await initBackend({ quiet: true });
  const { model } = loadCheckpoint(values.checkpoint);
  try {
    const prompts = samplePrompts({ split: 'val', n: Number(values.n), seed: Number(values.seed) });
    const agree = new Map(REGION_VIEWS.map((v) => [v, 0]));
    prompts.forEach((prompt, k) => {
      const image = readPng(`${values.images}/${k}.png`);
      const evaluator = evaluateImage(image, prompt).passed;
      const regions = objectRegions(image);
      const boxes = regions.map(({ box: [x1, y1, x2, y2] }): Box => [x1 / image.width, y1 / image.height, x2 / image.width, y2 / image.height]);
      for (const view of REGION_VIEWS) {
        const identities = regions.length > 0 ? identifyRegions(model, image, boxes, view) : [];
        const self = parseVerdicts(objectsFromIdentities(regions, identities, image.width), prompt.constraints, model.config.imageSize).every((p) => p > 0.5);
        agree.set(view, (agree.get(view) ?? 0) + +(self === evaluator));
      }
    });
    console.log(`${values.checkpoint}, val seed ${values.seed}: ` + REGION_VIEWS.map((v) => `${v} ${((agree.get(v) ?? 0) / prompts.length).toFixed(3)}`).join('  '));
  } finally {
    disposeModel(model);
  }
}

runScript(main);
