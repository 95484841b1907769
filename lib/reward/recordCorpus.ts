// A seeded corpus of records in the released loader's shape as real runs write them, to test `srum reward-map`
// against independent restatements of the loader rule. Every record has `image_file` and `prompt`, sometimes
// `bad_image_file`; its vlm_rewards hold 0-6 regions and usually one entry {"object": "global_layout_reward",
// "score": g} at a random position (sometimes two, sometimes none, sometimes without a score). Regions carry
//   boxes: 4 integers | 4 floats | 3 or 5 numbers | a null inside | x0 > x1 or y0 > y1 | partly or wholly
//          outside the image | integer strings | a non-integer string | no bbox at all | a bbox that is not a list
//   scores: in [-1, 1] | outside it (1.5, -1.3) | missing | (rarely) null or a string, which the loader drops
// A few records are judge records instead (top-level global_layout_reward), so one file mixes both forms.
// corpus(seed, n, size) is a pure function of its arguments.
import { makeRng, Rng } from '../rng';

export interface RecordCorpusOptions {
  seed: number;
  count: number;
  width: number;
  height: number;
  /** Probability that a record is a judge record rather than a loader record (default 0.1). */
  judgeShare?: number;
}

const OBJECTS = ['red circle', 'blue square', 'background', 'green triangle'];

function coordinate(rng: Rng, size: number): number {
  return rng.int(-Math.floor(size / 4), size + Math.floor(size / 4));
}

/** A box of one of the kinds listed above (undefined: no bbox key). */
function drawBox(rng: Rng, width: number, height: number): unknown {
  const x = [coordinate(rng, width), coordinate(rng, width)].sort((a, b) => a - b);
  const y = [coordinate(rng, height), coordinate(rng, height)].sort((a, b) => a - b);
  const box = [x[0], y[0], x[1], y[1]];
  const kind = rng.int(0, 19);
  if (kind <= 7) return box; // valid (or empty when equal), maybe outside the image
  if (kind === 8 || kind === 9) return box.map((v) => v + Math.round(rng.next() * 100) / 100 - (rng.next() < 0.3 ? 1 : 0)); // floats
  if (kind === 10) return box.slice(0, 3);
  if (kind === 11) return [...box, 7];
  if (kind === 12) return box.map((v, i) => (i === rng.int(0, 3) ? null : v));
  if (kind === 13) return [box[2], box[1], box[0] - 1, box[3]]; // x0 > x1
  if (kind === 14) return [box[0], box[3] + 1, box[2], box[1]]; // y0 > y1
  if (kind === 15) return box.map(String);
  if (kind === 16) return [String(box[0] + 0.5), box[1], box[2], box[3]];
  if (kind === 17) return undefined;
  if (kind === 18) return `${box.join(',')}`;
  return [-width, -height, 2 * width, 2 * height]; // covers everything
}

function drawScore(rng: Rng, allowBad: boolean): unknown {
  const kind = rng.int(0, 29);
  if (kind <= 22) return Math.round((rng.next() * 2 - 1) * 100) / 100;
  if (kind <= 24) return rng.pick([1.5, -1.3, 2]);
  if (kind <= 27) return undefined;
  if (!allowBad) return 0.25;
  return kind === 28 ? null : 'high';
}

const imageName = (index: number): string => `images/${String(index).padStart(4, '0')}.png`;

const withOptional = (entry: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined));

function loaderRecord(rng: Rng, index: number, options: RecordCorpusOptions): Record<string, unknown> {
  const entries: Record<string, unknown>[] = [];
  const regions = rng.int(0, 6);
  const allowBad = rng.next() < 0.15; // most records have only what the loader tolerates per region
  for (let r = 0; r < regions; r++) {
    const bbox = drawBox(rng, options.width, options.height);
    entries.push(withOptional({ object: rng.pick(OBJECTS), score: drawScore(rng, allowBad), bbox }));
  }
  const globals = rng.next() < 0.1 ? 0 : rng.next() < 0.05 ? 2 : 1;
  for (let k = 0; k < globals; k++) {
    const score = rng.next() < 0.06 ? undefined : drawScore(rng, false);
    const entry = withOptional({ object: 'global_layout_reward', score, bbox: [0, 0, options.width, options.height] });
    entries.splice(rng.int(0, entries.length), 0, entry);
  }
  const record: Record<string, unknown> = { image_file: imageName(index), prompt: 'a red circle on the left of a blue square' };
  if (rng.next() < 0.3) record.bad_image_file = record.image_file;
  record.vlm_rewards = entries;
  return record;
}

function judgeRecord(rng: Rng, index: number, options: RecordCorpusOptions): Record<string, unknown> {
  const { width, height } = options;
  const regions = Array.from({ length: rng.int(0, 4) }, () => {
    const identified = rng.next() < 0.85 ? rng.pick(OBJECTS) : undefined;
    return withOptional({ identified_object: identified, score: drawScore(rng, false), bbox: drawBox(rng, width, height), area: 10 });
  });
  const score = drawScore(rng, false) ?? 0;
  const global = rng.next() < 0.2 ? null : { global_layout_score: score, reason: 'r', bbox: [0, 0, width, height], area: width * height };
  return { image_file: imageName(index), prompt: 'a red circle', vlm_rewards: regions, global_layout_reward: global };
}

/** `count` records (mostly loader form, some judge form), seeded. */
export function recordCorpus(options: RecordCorpusOptions): Record<string, unknown>[] {
  const rng = makeRng(options.seed);
  const judgeShare = options.judgeShare ?? 0.1;
  const draw = (i: number): Record<string, unknown> =>
    rng.next() < judgeShare ? judgeRecord(rng, i, options) : loaderRecord(rng, i, options);
  return Array.from({ length: options.count }, (_, i) => draw(i));
}
