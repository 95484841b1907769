// The evaluation protocol every comparison uses: enough prompts and noise draws to see a 2-point effect, and every
// arm on the same prompts and the same noise (paired), so an arm's difference to the base is a mean of per-image
// differences with its own standard error.
// - Prompts: every distinct CompBench-mini prompt text of a split, up to `perCategory` per category, half from
//   prompts naming a held-out colour-shape pair and half from the rest where the split has enough of each (the val
//   and test splits hold only ~6 shape and ~3 texture texts, and hundreds of the others). Fixed by the split alone.
// - Draws: image (prompt p, draw d) starts from noise keyed by `${p}#${d}` and the protocol seed (generate.ts
//   noiseKeys), so it is the same for every arm and however the images are batched or spread over workers.
// - Statistics: the repeats of a prompt text (its draws) are alike, so standard errors are clustered by prompt text
//   (clusteredMean, gap.ts). Overall = mean over all images (each prompt counts equally); per category and per domain beside it.
import { hashString, makeRng } from '../rng';
import { fits, mentionsHeldOut, splitsOf } from '../world/splits';
import { samplePrompt } from '../world/sample';
import { COMPBENCH_CATEGORIES, type Category, type Prompt } from '../world/types';
import type { EvalSplit } from './benchmarks';

export interface ProtocolConfig {
  /** Prompt split: val to choose anything, test once per final claim. */
  split: EvalSplit;
  /** Distinct prompt texts per category at most (fewer where the split holds fewer). 90 gives ~550 on val and test. */
  perCategory: number;
  /** Noise draws per prompt. */
  draws: number;
  /** Seed of the noise (the prompts do not depend on it). */
  seed: number;
}

export const DEFAULT_PROTOCOL: ProtocolConfig = { split: 'val', perCategory: 90, draws: 4, seed: 0 };

/** One image of the protocol: prompt text, draw, and the noise key generateImages draws its x_1 from. */
export interface ProtocolImage {
  prompt: string;
  category: Category;
  heldOut: boolean;
  draw: number;
  noiseKey: string;
}

/** Random prompt draws per category when enumerating a split's texts; enough to find every text of the small categories. */
const ENUMERATION_DRAWS = 8000;

const enumerated = new Map<string, Prompt[]>();

/** The distinct CompBench-mini texts of a split per category, in a fixed order (by a hash of the text). */
export function protocolPrompts(split: EvalSplit, perCategory: number): Prompt[] {
  if (!Number.isInteger(perCategory) || perCategory < 1) throw new Error(`perCategory must be a positive integer, got ${perCategory}`);
  const key = `${split}:${perCategory}`;
  const known = enumerated.get(key);
  if (known !== undefined) return known.slice();
  const out: Prompt[] = [];
  for (const category of COMPBENCH_CATEGORIES) {
    const rng = makeRng(hashString(`protocol:${category}`));
    const found = new Map<string, Prompt>();
    for (let k = 0; k < ENUMERATION_DRAWS; k++) {
      const prompt = samplePrompt(category, rng, { allowHeldOut: true });
      if (!found.has(prompt.text)) found.set(prompt.text, prompt);
    }
    // Cheap filters first; the layout check (fits) only for the prompts that would be taken, in order.
    const inSplit = [...found.values()].filter((p) => splitsOf(p).includes(split));
    const order = (p: Prompt): number => hashString(`order:${p.text}`);
    const [held, rest] = [inSplit.filter(mentionsHeldOut), inSplit.filter((p) => !mentionsHeldOut(p))].map((ps) =>
      ps.sort((a, b) => order(a) - order(b)),
    );
    const fitting = (ps: Prompt[], n: number): Prompt[] => {
      const taken: Prompt[] = [];
      for (const p of ps) if (taken.length < n && fits(p)) taken.push(p);
      return taken;
    };
    // Half from each domain, the other domain filling what one lacks.
    const heldTaken = fitting(held, perCategory);
    const restTaken = fitting(rest, perCategory);
    const takeHeld = Math.min(heldTaken.length, Math.max(Math.ceil(perCategory / 2), perCategory - restTaken.length));
    out.push(...heldTaken.slice(0, takeHeld), ...restTaken.slice(0, perCategory - takeHeld));
  }
  enumerated.set(key, out);
  return out.slice();
}

/** Every image of a protocol: its prompts, each `draws` times. */
export function protocolImages(config: ProtocolConfig): ProtocolImage[] {
  if (!Number.isInteger(config.draws) || config.draws < 1) throw new Error(`draws must be a positive integer, got ${config.draws}`);
  return protocolPrompts(config.split, config.perCategory).flatMap((p) =>
    Array.from({ length: config.draws }, (_, draw) => ({
      prompt: p.text,
      category: p.category,
      heldOut: mentionsHeldOut(p),
      draw,
      noiseKey: `${p.text}#${draw}`,
    })),
  );
}
