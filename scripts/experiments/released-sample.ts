// Writes data/released-sample/: a small folder in the released SRUM layout for notebook 08 and for trying the
// interop commands. Everything in it is generated here, seeded:
//   images/NNNN.png        12 scenes of the toolkit's own world, rendered at 32 px and upscaled 16x (nearest) to
//                          512 px: NOT images from a real model;
//   replies.jsonl          per image: prompt, the region proposals (boxes at 512 px), and judge replies written in
//                          mixed real-VLM styles (lib/judge/replyCorpus.ts) with seeded scores: NOT a real VLM's
//                          judgment, text shaped the way VLMs write;
//   rewards-official.jsonl / rewards-robust.jsonl  the training records (released loader form, the global entry
//                          inside vlm_rewards) built from those replies by each parser.
//   npx ts-node --transpile-only scripts/experiments/released-sample.ts --seed 8 --out data/released-sample
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { regionParser, globalParser, type ParseMode } from '../../lib/judge/parseModes';
import { buildJudgeRecord, formatForTraining, type Box } from '../../lib/judge/records';
import { drawRegions, drawScore, drawStyle, writeGlobalReply, writeRegionReply } from '../../lib/judge/replyCorpus';
import { proposeRegions } from '../../lib/regions/propose';
import { makeRng } from '../../lib/rng';
import { writeImage } from '../../lib/world/image';
import { sceneFor } from '../../lib/world/layout';
import { renderScene } from '../../lib/world/render';
import { samplePrompts } from '../../lib/world/splits';
import type { RgbImage } from '../../lib/world/types';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '8' },
    out: { type: 'string', default: 'data/released-sample' },
    count: { type: 'string', default: '12' },
  },
});
const seed = Number(values.seed);
const SCALE = 16; // 32 px -> 512 px

function upscale(image: RgbImage, factor: number): RgbImage {
  const width = image.width * factor;
  const height = image.height * factor;
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = 3 * (Math.floor(y / factor) * image.width + Math.floor(x / factor));
      data.set(image.data.subarray(from, from + 3), 3 * (y * width + x));
    }
  }
  return { width, height, data };
}

export interface SampleLine {
  image_file: string;
  prompt: string;
  width: number;
  height: number;
  regions: Array<{ bbox: Box; area: number }>;
  region_reply: string;
  global_reply: string;
}

async function main(): Promise<void> {
  const out = values.out as string;
  fs.mkdirSync(path.join(out, 'images'), { recursive: true });
  const rng = makeRng(seed);
  const lines: SampleLine[] = [];
  for (const [index, prompt] of samplePrompts({ split: 'train', n: Number(values.count), seed }).entries()) {
    const small = renderScene(sceneFor(prompt, rng.fork(`scene:${index}`)));
    const image = upscale(small, SCALE);
    const imageFile = `images/${String(index).padStart(4, '0')}.png`;
    await writeImage(path.join(out, imageFile), image);
    const regions = proposeRegions(small).map((p) => ({ bbox: p.bbox.map((v) => v * SCALE) as Box, area: p.area * SCALE * SCALE }));
    const regionReply = writeRegionReply(drawRegions(rng, regions.length), drawStyle(rng), rng);
    const globalReply = writeGlobalReply(drawScore(rng), 'The objects are placed as the prompt asks.', drawStyle(rng), rng);
    const { width, height } = image;
    lines.push({
      image_file: imageFile,
      prompt: prompt.text,
      width,
      height,
      regions,
      region_reply: regionReply,
      global_reply: globalReply,
    });
  }
  fs.writeFileSync(path.join(out, 'replies.jsonl'), lines.map((l) => JSON.stringify(l) + '\n').join(''));
  for (const mode of ['official', 'robust'] as ParseMode[]) {
    const records = lines.map((l) => {
      const judged = buildJudgeRecord({
        imageFile: l.image_file,
        prompt: l.prompt,
        width: l.width,
        height: l.height,
        regions: l.regions,
        attempts: 1,
        parsedRegions: regionParser({ mode })(l.region_reply),
        parsedGlobal: globalParser({ mode })(l.global_reply),
      });
      const formatted = formatForTraining(judged, { dropZeroGlobal: false });
      if (!('record' in formatted)) throw new Error(formatted.skipped);
      return formatted.record;
    });
    fs.writeFileSync(path.join(out, `rewards-${mode}.jsonl`), records.map((r) => JSON.stringify(r) + '\n').join(''));
  }
  console.log(`wrote ${lines.length} images, replies.jsonl and rewards-{official,robust}.jsonl to ${out}`);
}

void main();
