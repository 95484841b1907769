// Texture from the pattern of brightness inside an object, by matched filtering. The world's textures darken
// bands of the object's own colour (render.ts): horizontal stripes of TEXTURE_BAND rows, or checker cells of
// CHECKER_CELL px. The evaluator correlates the object's brightness with each pattern laid from the fitted
// shape's corner (give or take a pixel) and keeps the best: a striped object answers the stripe pattern, a checkered one
// the checker pattern (the two are nearly orthogonal), a plain one neither (only noise, which averages out
// over the object's pixels far better than a per-row variance would).
// Brightness is the HSV value (max channel): a texture's darkening scales it, and background blending hardly
// moves it (the grey background is about as bright as the object colours).
import { CHECKER_CELL, TEXTURE_BAND } from '../world/render';
import { RgbImage, Texture } from '../world/types';

/** Correlation with a pattern, relative to the object's mean brightness, above which it counts as textured.
 *  Sharp textures score ~0.2, after a radius-1 blur ~0.1; plain objects under noise sigma 0.05 stay below ~0.03. */
export const TEXTURE_SCORE = 0.045;
/** The checker pattern's own threshold (its score on a striped object is noise only, up to ~0.04). */
export const CHECKER_SCORE = 0.05;

export interface TextureFeatures {
  /** Best correlation with horizontal stripes (relative brightness contrast). */
  stripes: number;
  /** Best correlation with checker cells. */
  checks: number;
  /** Pixels measured. */
  pixels: number;
}

/** Interior pixels (all 4 neighbours in the set) of a pixel set, or the whole set if too few are interior. */
function interior(pixels: number[], width: number): number[] {
  const set = new Set(pixels);
  const inner = pixels.filter((i) => set.has(i - 1) && set.has(i + 1) && set.has(i - width) && set.has(i + width));
  return inner.length >= 8 ? inner : pixels;
}

/** +1 on a base band, -1 on a dark band, for bands of `band` px starting at `phase`. */
const bandSign = (coordinate: number, phase: number, band: number): number => (Math.floor((coordinate + phase) / band) % 2 === 0 ? 1 : -1);

/** Each value minus the mean of its group (its column, or its row). */
function minusGroupMeans(values: number[], groups: number[]): number[] {
  const sums = new Map<number, [number, number]>();
  values.forEach((v, k) => {
    const [sum, n] = sums.get(groups[k]) ?? [0, 0];
    sums.set(groups[k], [sum + v, n + 1]);
  });
  return values.map((v, k) => {
    const [sum, n] = sums.get(groups[k]) as [number, number];
    return v - sum / n;
  });
}

/** Where the pattern starts: the fitted bounding-box corner, in pixels. */
export interface PatternOrigin {
  left: number;
  top: number;
}

/** Phases tried around the fitted corner (a fit may be a pixel off). */
const PHASE_SLACK = 1;

export function textureFeatures(image: RgbImage, pixels: number[], origin: PatternOrigin, worldScale = 1): TextureFeatures {
  const { width, data } = image;
  const band = Math.max(1, Math.round(TEXTURE_BAND * worldScale));
  const cell = Math.max(1, Math.round(CHECKER_CELL * worldScale));
  const inner = interior(pixels, width);
  const values = inner.map((i) => Math.max(data[3 * i], data[3 * i + 1], data[3 * i + 2]));
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const xs = inner.map((i) => i % width);
  const ys = inner.map((i) => Math.floor(i / width));
  // Stripes are matched against what varies down the columns, checkers against what varies along the rows:
  // a striped object has (up to noise) nothing left along its rows, so it cannot pass for a checker.
  const acrossRows = minusGroupMeans(values, xs);
  const alongRows = minusGroupMeans(values, ys);
  let stripes = 0;
  let checks = 0;
  // A pixel centre's offset from the corner is (x + 0.5 - left); bandSign takes coordinate + phase.
  for (let dy = -PHASE_SLACK; dy <= PHASE_SLACK; dy++) {
    const py = 0.5 - origin.top + dy;
    let s = 0;
    for (let k = 0; k < values.length; k++) s += acrossRows[k] * bandSign(ys[k], py, band);
    stripes = Math.max(stripes, s / values.length / mean);
  }
  for (let dy = -PHASE_SLACK; dy <= PHASE_SLACK; dy++) {
    for (let dx = -PHASE_SLACK; dx <= PHASE_SLACK; dx++) {
      const [px, py] = [0.5 - origin.left + dx, 0.5 - origin.top + dy];
      let c = 0;
      for (let k = 0; k < values.length; k++) c += alongRows[k] * bandSign(ys[k], py, cell) * bandSign(xs[k], px, cell);
      checks = Math.max(checks, c / values.length / mean);
    }
  }
  return { stripes, checks, pixels: inner.length };
}

/** A checker pattern is decided first: variation along rows is what stripes never have, whereas a checkered
 *  object whose narrow rows fall inside one cell column does also vary from row to row (a stripe score). */
export function classifyTexture(features: TextureFeatures): Texture {
  if (features.checks >= CHECKER_SCORE) return 'checkered';
  return features.stripes >= TEXTURE_SCORE ? 'striped' : 'plain';
}
