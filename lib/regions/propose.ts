// The class-agnostic region proposer, standing in for SAM's automatic masks in the released pipeline:
// classical segmentation of the image into regions, each reported as SAM reports a mask to the judge,
// `{ bbox: [x, y, x + w, y + h], area }` (area = mask pixel count), sorted by area, largest first, at most 5.
// Regions: the connected components of non-background colour (the evaluator's colour segmentation,
// lib/regions/segment.ts, shared with the evaluator, not copied), plus the whole background as one region (SAM's masks include
// background and floor regions, and the paper scores background too). Pixels the segmentation leaves
// UNKNOWN (colour blends, stray noise) belong to no region. It never sees the prompt: boxes carry no class.
import { BACKGROUND, segment } from './segment';
import { RgbImage } from '../world/types';

/**
 * A pixel box [x1, y1, x2, y2]: x1, y1 inclusive, x2, y2 exclusive (SAM's [x, y, x + w, y + h]); the judge's records
 * carry it as `bbox` (lib/judge/records.ts re-exports it).
 */
export type Box = [number, number, number, number];

/** At most this many regions per image (the released --max_regions default). */
export const MAX_REGIONS = 5;

export interface RegionProposal {
  /** [x1, y1, x2, y2]: x1, y1 inclusive, x2, y2 exclusive, in image pixels. */
  bbox: Box;
  /** Pixels in the region's mask. */
  area: number;
}

/** The bounding box of a set of pixel indices (y * width + x). */
export function boxOf(pixels: readonly number[], width: number): Box {
  let [x1, y1, x2, y2] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const i of pixels) {
    const x = i % width;
    const y = (i - x) / width;
    x1 = Math.min(x1, x);
    y1 = Math.min(y1, y);
    x2 = Math.max(x2, x + 1);
    y2 = Math.max(y2, y + 1);
  }
  return [x1, y1, x2, y2];
}

export function proposeRegions(image: RgbImage, options: { maxRegions?: number } = {}): RegionProposal[] {
  const seg = segment(image);
  const masks: number[][] = seg.regions.map((r) => r.pixels);
  const background: number[] = [];
  seg.regionOf.forEach((owner, i) => {
    if (owner === BACKGROUND) background.push(i);
  });
  if (background.length > 0) masks.push(background);
  const proposals = masks.map((pixels) => ({ bbox: boxOf(pixels, image.width), area: pixels.length }));
  // Stable sort: equal areas keep segmentation order (deterministic).
  proposals.sort((a, b) => b.area - a.area);
  return proposals.slice(0, options.maxRegions ?? MAX_REGIONS);
}
