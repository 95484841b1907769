// The evaluation protocol every comparison uses: enough prompts and noise draws to see a 2-point effect, and every
// arm on the same prompts and the same noise (paired), so an arm's difference to the base is a mean of per-image
// differences with its own standard error.
// - Prompts: every distinct CompBench-mini prompt text of a split, up to `perCategory` per category, half from
//   prompts naming a held-out colour-shape pair and half from the rest where the split has enough of each (the val
//   and test splits hold only ~6 shape and ~3 texture texts, and hundreds of the others). Fixed by the split alone.
// - Draws: image (prompt p, draw d) starts from noise keyed by `${p}#${d}` and the protocol seed (generate.ts
//   noiseKeys), so it is the same for every arm and however the images are batched or spread over workers.
// - Statistics: the repeats of a prompt text (its draws) are alike, so standard errors are clustered by prompt text
//   (clusteredMean). Overall = mean over all images (each prompt counts equally); per category and per domain beside it.
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

/** Mean of values that come in clusters, and its cluster-robust standard error. */
export interface ClusteredMean {
  mean: number;
  se: number;
  /** Values and distinct clusters behind them. */
  n: number;
  clusters: number;
}

/**
 * Mean of `values` and its standard error when values with the same cluster label are not independent (the draws of
 * one prompt text): the cluster-robust variance G / (G - 1) * sum over clusters of (sum of (y - mean))^2 / n^2, with G
 * clusters and n values. With one value per cluster it is the plain sample standard error sqrt(s^2 / n) up to the
 * factor (n - 1) / n on s^2. NaN se with fewer than two clusters.
 */
export function clusteredMean(values: readonly number[], clusters: readonly string[]): ClusteredMean {
  if (clusters.length !== values.length) throw new Error(`clusteredMean: ${values.length} values but ${clusters.length} cluster labels`);
  const n = values.length;
  if (n === 0) return { mean: NaN, se: NaN, n: 0, clusters: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sums = new Map<string, number>();
  values.forEach((v, k) => sums.set(clusters[k], (sums.get(clusters[k]) ?? 0) + v - mean));
  const g = sums.size;
  let squares = 0;
  for (const sum of sums.values()) squares += sum * sum;
  return { mean, se: g < 2 ? NaN : Math.sqrt((g / (g - 1)) * squares) / n, n, clusters: g };
}
