// Seeded train / val / test prompt sets. A prompt's split is a function of its text (a hash), so the same
// prompt is always in the same split, whatever seed drew it. Prompts naming a held-out colour-shape pair
// never fall in train. Val and test must be exchangeable: the FNV-1a hash's low bit is the parity of the
// number of odd character codes in the text ("circle" has 4, "square" 5), so splits v1 (before 2026-12-06),
// which sent even hashes to val and odd ones to test, put "a red circle and a blue square" and "a red square
// and a blue square" on opposite sides. Splits v2 keep train exactly as it was (the shipped weights never saw a
// val or test prompt) and split the rest between val and test by a bit of the mixed hash. GenEval-style prompts
// ("a photo of ...") are an evaluation benchmark: never in train; since 2026-12-06 their texts are split between val
// and test by the same bit (before, val and test drew from one small space with different seeds, so a text chosen on
// val was tested again). Their spaces are small: single_object has 3 texts, 2 on val and 1 on test.
import { hashString, makeRng } from '../rng';
import { isHeldOut } from './heldout';
import { sceneIfFits } from './layout';
import { isGenEval, samplePrompt } from './sample';
import { CATEGORIES, COMPBENCH_CATEGORIES, Category, ObjectDesc, Prompt, Split } from './types';

function descs(prompt: Prompt): ObjectDesc[] {
  return prompt.constraints.flatMap((c) => (c.kind === 'relation' ? [c.subject, c.object] : [c.object]));
}

/** Does the prompt name a colour-shape pair held out of training? */
export function mentionsHeldOut(prompt: Prompt): boolean {
  return descs(prompt).some((d) => d.color !== undefined && isHeldOut(d.color, d.shape));
}

/** murmur3's finaliser: every output bit depends on every input bit (FNV-1a's low bits do not mix). */
function mixed(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The splits a prompt may be drawn for. */
export function splitsOf(prompt: Prompt): Split[] {
  const h = hashString(prompt.text);
  const held: Split = (mixed(h) & 1) === 0 ? 'val' : 'test';
  if (isGenEval(prompt.category)) return [held];
  if (mentionsHeldOut(prompt)) return [held];
  return [h % 10 < 2 ? held : 'train']; // train: h % 10 >= 2, as in v1
}

export interface PromptSetOptions {
  split: Split;
  n: number;
  seed: number;
  /** Categories to draw from, round-robin so each gets n / k prompts (default: all 14; train: the 8 CompBench ones). */
  categories?: readonly Category[];
  /** 'only': just prompts naming a held-out pair (out-of-domain); 'none': none of them; 'any' (default). */
  heldOut?: 'any' | 'only' | 'none';
}

/** n prompts of one split, balanced over categories, deterministic in the seed. */
export function samplePrompts(options: PromptSetOptions): Prompt[] {
  const categories = options.categories ?? (options.split === 'train' ? COMPBENCH_CATEGORIES : CATEGORIES);
  const evalOnly = categories.filter(isGenEval);
  if (options.split === 'train' && evalOnly.length > 0)
    throw new Error(`GenEval categories (${evalOnly.join(', ')}) are evaluation-only: they have no train split`);
  const heldOut = options.heldOut ?? 'any';
  const rng = makeRng(options.seed).fork(`prompts:${options.split}`);
  const prompts: Prompt[] = [];
  for (let i = 0; i < options.n; i++) {
    const category = categories[i % categories.length];
    prompts.push(drawOne(category, options.split, heldOut, rng));
  }
  return prompts;
}

/**
 * Can a scene satisfy the prompt? The grammar allows a few that none can (two large objects one above the other
 * need 33 px of a 32 px image): about 1 in 1,400 val or test prompts. Evaluation leaves them out; training data
 * redraws on a failed layout anyway (lib/train/data.ts). Decided by one layout from a seed of the text, so it is the
 * same whoever asks.
 */
export function fits(prompt: Prompt): boolean {
  return sceneIfFits(prompt, makeRng(hashString(`fits:${prompt.text}`)), { allowHeldOut: true }) !== undefined;
}

function drawOne(category: Category, split: Split, heldOut: 'any' | 'only' | 'none', rng: ReturnType<typeof makeRng>): Prompt {
  for (let attempt = 0; attempt < 20000; attempt++) {
    const prompt = samplePrompt(category, rng, { allowHeldOut: split !== 'train' && heldOut !== 'none' });
    if (!splitsOf(prompt).includes(split)) continue;
    const named = mentionsHeldOut(prompt);
    if ((heldOut === 'only' && !named) || (heldOut === 'none' && named)) continue;
    if (split !== 'train' && !fits(prompt)) continue;
    return prompt;
  }
  throw new Error(`no ${category} prompt found for split ${split} (heldOut: ${heldOut})`);
}
