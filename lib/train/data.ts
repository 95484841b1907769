// Deterministic training batches from the synthetic world, as plain typed arrays (no tensors).
// Batch k of a run is a pure function of (seed, k, options): its rng is makeRng(seed).fork(`<kind>:${k}`), so a
// resumed run sees exactly the batches an uninterrupted one would, and batches can be built in any order.
// Categories go round-robin over the split's categories across the whole run (example i of batch k has
// category (k * B + i) mod #categories), so any batch size stays balanced; train uses the 8 CompBench
// categories, never a held-out colour-shape pair and never a val/test prompt (splits.ts).
// Image layout: x0 is [B, Np, patchDim] image tokens in [-1, 1] (lib/model/patches.ts); text is
// [B, maxTextTokens] token ids, 0 = PAD (lib/world/tokenizer.ts).
import { makeRng, type Rng } from '../rng';
import { maskIou, shapeMask } from '../world/geometry';
import type { ModelConfig } from '../model/config';
import { patchify } from '../model/patches';
import type { FlowBatch } from '../model/train-step';
import { sceneFor } from '../world/layout';
import { corrupt, renderScene } from '../world/render';
import { mentionsHeldOut, samplePrompts } from '../world/splits';
import { encodeBatch } from '../world/tokenizer';
import { makePrompt } from '../world/grammar';
import { isGenEval } from '../world/sample';
import {
  CATEGORIES,
  COMPBENCH_CATEGORIES,
  type Category,
  type Constraint,
  type ObjectDesc,
  type Prompt,
  type RgbImage,
  type Scene,
  type Split,
} from '../world/types';
import { planBatch } from './plan';
import { countQuery, regionQuery, verdictQuery } from './queries';
import { patchCoverage } from '../model/patches';

export interface BatchOptions {
  batchSize: number;
  /** The run's data seed. */
  seed: number;
  /** Image and token geometry (imageSize, patchSize, channels, maxTextTokens). */
  config: ModelConfig;
  /** Default 'train'. */
  split?: Split;
  /** Default: the 8 CompBench categories for train, all 14 otherwise. */
  categories?: readonly Category[];
  /** Freely placed objects sit on multiples of this many pixels (LayoutOptions.grid); default 1. */
  layoutGrid?: number;
  /**
   * Scenes may give a held-out colour-shape pair to an object whose colour the prompt leaves unstated (default false).
   * The prompts, and every text a query asks, still never name one (TrainConfig.heldOutImages).
   */
  heldOutScenes?: boolean;
  /**
   * Understanding batches: probability that each circle or square is drawn as a superellipse nearer its own ideal shape
   * (morphShapes; default 0).
   */
  shapeMorph?: number;
  /** Generation batches: share of captions whose attributes are dealt to the nouns at random (unbindCaption; default 0). */
  unboundCaptions?: number;
  /** Generation batches: share of captions whose relation sides and counts are dealt at random (unbindStructure; default 0). */
  unboundStructure?: number;
}

export interface GenerationBatch extends FlowBatch {
  /** Think-mode plan targets, Int32Array [B, PLAN_SLOTS, PLAN_FIELDS.length] (plan.ts). */
  plan: Int32Array;
  prompts: Prompt[];
  scenes: Scene[];
}

/** Probability that an understanding scene gets one distorted object. */
export const DISTORT_PROBABILITY = 0.3;
/** Probability that an understanding image is corrupted (blur radius 0/1, then noise sigma in [0, 0.05]). */
export const CORRUPT_PROBABILITY = 0.5;
export const MAX_CORRUPT_NOISE = 0.05;

export interface UnderstandingBatch {
  batchSize: number;
  /** Clean-time (t = 0) images, possibly corrupted, as tokens [B, Np, patchDim] in [-1, 1]. */
  x0: Float32Array;
  prompts: Prompt[];
  /** The scenes as drawn (with their `distorted` flags). */
  scenes: Scene[];
  region: {
    /** [B, 4]: x1, y1, x2, y2 in [0, 1] of the image side. */
    boxes: Float32Array;
    /** [B, Np]: the share of each image patch covered by the box (a box given on the token grid). */
    patchCoverage: Float32Array;
    /** [B] classes, the last of each is 'none' (queries.ts REGION_CLASSES). */
    shape: Int32Array;
    color: Int32Array;
    texture: Int32Array;
    size: Int32Array;
    /** [B] 1 = the box holds a distorted object. */
    distorted: Int32Array;
  };
  /** One constraint's text per image: tokens [B, maxTextTokens], label [B] (1 = holds). */
  verdict: { tokens: Int32Array; label: Int32Array; texts: string[] };
  /** One description per image: tokens [B, maxTextTokens], label [B] = count 0..4. */
  count: { tokens: Int32Array; label: Int32Array; texts: string[] };
}

interface Drawn {
  prompt: Prompt;
  scene: Scene;
}

/** Batch k's prompts (category round-robin over the run) and scenes that satisfy them. */
function drawScenes(k: number, options: BatchOptions, rng: Rng): Drawn[] {
  const split = options.split ?? 'train';
  const categories = options.categories ?? (split === 'train' ? COMPBENCH_CATEGORIES : CATEGORIES);
  return Array.from({ length: options.batchSize }, (_, i) => {
    const category = categories[(k * options.batchSize + i) % categories.length];
    return drawOne(category, split, rng, options.layoutGrid ?? 1, options.heldOutScenes === true);
  });
}

/** A prompt and a scene; a prompt whose layout fails (layout.ts gives up on a few tight "inside" pairs) is redrawn. */
function drawOne(category: Category, split: Split, rng: Rng, grid: number, heldOutScenes: boolean): Drawn {
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const [prompt] = samplePrompts({ split, n: 1, seed: rng.int(0, 2 ** 31 - 1), categories: [category] });
    try {
      // as the shipped weights were trained
      return { prompt, scene: sceneFor(prompt, rng, { allowHeldOut: heldOutScenes || split !== 'train', grid, centredRetry: false }) };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * The caption of a prompt whose attribute sets (colour, texture, size) are dealt to its nouns by a random permutation
 * (which may be the identity): "a red circle left of a blue square" may read "a blue circle left of a red square".
 * Nouns, counts and relations stay. A caption writer that lists attributes without binding them, as bag-of-words text
 * encoders read captions: the image's objects and the prompt's scene stay as they were. A deal that would name a
 * held-out colour-shape pair is dealt again (no train text names one; the identity never does for a train prompt).
 */
export function unbindCaption(prompt: Prompt, rng: Rng): string {
  const descs = (c: Constraint): ObjectDesc[] => (c.kind === 'relation' ? [c.subject, c.object] : [c.object]);
  const objects = prompt.constraints.flatMap(descs);
  if (objects.length < 2) return prompt.text;
  const genEval = isGenEval(prompt.category);
  for (let attempt = 0; attempt < UNBIND_TRIES; attempt++) {
    const order = objects.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    let next = 0;
    const dealt = (d: ObjectDesc): ObjectDesc => {
      const { color, texture, size } = objects[order[next++]];
      return { shape: d.shape, ...(color && { color }), ...(texture && { texture }), ...(size && { size }) };
    };
    const caption = makePrompt(
      prompt.constraints.map((c): Constraint =>
        c.kind === 'relation' ? { ...c, subject: dealt(c.subject), object: dealt(c.object) } : { ...c, object: dealt(c.object) },
      ),
      genEval,
    );
    if (!mentionsHeldOut(caption)) return caption.text;
  }
  return prompt.text;
}
/** Deals of unbindCaption before it keeps the bound caption. */
const UNBIND_TRIES = 10;

/**
 * The prompt as a caption writer that does not record structure would write it: a relation's two sides trade places
 * with probability 1/2 ("a red circle on the left of a blue square" may read "a blue square on the left of a red
 * circle") and every count is dealt afresh from the range the world draws counts from. Nouns keep their attributes, so
 * no held-out pair appears; the image's scene stays as it was. A planner trained on these captions cannot read a
 * relation's direction or a count from the text, while understanding keeps the scene's labels.
 */
export function unbindStructure(prompt: Prompt, rng: Rng): Prompt {
  const counts = prompt.constraints.filter((c) => c.kind === 'count').length;
  const first = counts === 2 ? rng.int(1, 3) : rng.int(2, 4); // as world/sample.ts draws one or two counted groups
  let group = 0;
  const constraints = prompt.constraints.map((c): Constraint => {
    if (c.kind === 'relation') return rng.next() < 0.5 ? { ...c, subject: c.object, object: c.subject } : c;
    if (c.kind === 'count') return { ...c, count: group++ === 0 ? first : rng.int(1, 4 - first) };
    return c;
  });
  return makePrompt(constraints, isGenEval(prompt.category));
}

/** Generation batch k: prompts, their clean rendered scenes as x0 tokens, and plan targets. */
export function generationBatch(k: number, options: BatchOptions): GenerationBatch {
  const rng = makeRng(options.seed).fork(`generation:${k}`);
  const drawn = drawScenes(k, options, rng);
  const unbound = options.unboundCaptions ?? 0;
  const unbindRng = makeRng(options.seed).fork(`unbind:${k}`); // its own stream: with share 0 every other draw stays the same
  const structure = options.unboundStructure ?? 0;
  const structureRng = makeRng(options.seed).fork(`unbind-structure:${k}`); // its own stream, as unbindRng's
  const captions = drawn.map(({ prompt }) => {
    const written = structure > 0 && structureRng.next() < structure ? unbindStructure(prompt, structureRng) : prompt;
    return unbound > 0 && unbindRng.next() < unbound ? unbindCaption(written, unbindRng) : written.text;
  });
  const plan = planBatch(
    drawn.map(({ scene }) => scene),
    options.config.planGrid,
  );
  return {
    batchSize: options.batchSize,
    x0: patchify(
      drawn.map(({ scene }) => renderScene(scene)),
      options.config,
    ),
    textTokens: encodeBatch(captions, options.config.maxTextTokens),
    plan,
    prompts: drawn.map(({ prompt }) => prompt),
    scenes: drawn.map(({ scene }) => scene),
  };
}

/** With DISTORT_PROBABILITY, a copy of the scene with one random object distorted. */
function maybeDistort(scene: Scene, rng: Rng): Scene {
  if (rng.next() >= DISTORT_PROBABILITY) return scene;
  const victim = rng.int(0, scene.objects.length - 1);
  return { ...scene, objects: scene.objects.map((o, i) => (i === victim ? { ...o, distorted: true } : o)) };
}

/** Superellipse exponents a morphed circle or square is drawn with (log-uniform): from the circle to nearly the square. */
export const MORPH_EXPONENTS = [2, 12] as const;
/** Draws of an exponent before an object keeps its ideal shape. */
const MORPH_TRIES = 4;

/**
 * Each undistorted circle or square, with probability p, drawn as a superellipse (SceneObject.exponent) whose pixels
 * are nearer (by IoU) its own ideal shape's pixels than the other's: the generator's circles come out squarish and
 * its squares rounded, and a reader that saw only ideal shapes has no reason to split those where they are nearest.
 * Names, and so every label, stay; an object with no such exponent in MORPH_TRIES draws keeps its ideal shape.
 */
function morphShapes(scene: Scene, p: number, rng: Rng): Scene {
  if (p === 0) return scene;
  const { width, height } = scene;
  return {
    ...scene,
    objects: scene.objects.map((o) => {
      if (o.shape === 'triangle' || o.distorted === true || rng.next() >= p) return o;
      const other = o.shape === 'circle' ? 'square' : 'circle';
      const [own, rival] = [shapeMask(o, width, height), shapeMask({ ...o, shape: other }, width, height)];
      for (let t = 0; t < MORPH_TRIES; t++) {
        const exponent = MORPH_EXPONENTS[0] * (MORPH_EXPONENTS[1] / MORPH_EXPONENTS[0]) ** rng.next();
        const drawn = shapeMask({ ...o, exponent }, width, height);
        if (maskIou(drawn, own) > maskIou(drawn, rival)) return { ...o, exponent };
      }
      return o;
    }),
  };
}

function maybeCorrupt(image: RgbImage, rng: Rng): RgbImage {
  if (rng.next() >= CORRUPT_PROBABILITY) return image;
  return corrupt(image, { blur: rng.next() < 0.5 ? 1 : 0, noise: MAX_CORRUPT_NOISE * rng.next() }, rng);
}

/** Understanding batch k: one image per example and one region, verdict and count query about it. */
export function understandingBatch(k: number, options: BatchOptions): UnderstandingBatch {
  const rng = makeRng(options.seed).fork(`understanding:${k}`);
  const split = options.split ?? 'train';
  const morphRng = makeRng(options.seed).fork(`morph:${k}`); // its own stream: without morphs every other draw stays the same
  const drawn = drawScenes(k, options, rng).map(({ prompt, scene }) => ({
    prompt,
    scene: morphShapes(maybeDistort(scene, rng), options.shapeMorph ?? 0, morphRng),
  }));
  const B = options.batchSize;
  const Np = (options.config.imageSize / options.config.patchSize) ** 2;
  const region = {
    boxes: new Float32Array(B * 4),
    patchCoverage: new Float32Array(B * Np),
    shape: new Int32Array(B),
    color: new Int32Array(B),
    texture: new Int32Array(B),
    size: new Int32Array(B),
    distorted: new Int32Array(B),
  };
  const verdicts: string[] = [];
  const verdictLabels = new Int32Array(B);
  const counts: string[] = [];
  const countLabels = new Int32Array(B);
  const images = drawn.map(({ prompt, scene }, b) => {
    const q = regionQuery(scene, rng);
    region.boxes.set(q.box, b * 4);
    region.patchCoverage.set(patchCoverage(q.box, options.config), b * Np);
    [region.shape[b], region.color[b], region.texture[b], region.size[b], region.distorted[b]] = [
      q.shape,
      q.color,
      q.texture,
      q.size,
      q.distorted,
    ];
    const verdict = verdictQuery(prompt, scene, split, rng);
    verdicts.push(verdict.text);
    verdictLabels[b] = verdict.label;
    const count = countQuery(scene, split, rng);
    counts.push(count.text);
    countLabels[b] = count.label;
    return maybeCorrupt(renderScene(scene), rng);
  });
  return {
    batchSize: B,
    x0: patchify(images, options.config),
    prompts: drawn.map(({ prompt }) => prompt),
    scenes: drawn.map(({ scene }) => scene),
    region,
    verdict: { tokens: encodeBatch(verdicts, options.config.maxTextTokens), label: verdictLabels, texts: verdicts },
    count: { tokens: encodeBatch(counts, options.config.maxTextTokens), label: countLabels, texts: counts },
  };
}
