// One object or two? The opening in segment.ts cuts thin connections, which separates objects joined by a
// stray bridge but also cuts an object whose visible part is thin somewhere (the ring of an outer object
// around an inner one, broken at its narrow corners). This step undoes the wrong cuts: two nearby regions of
// the same colour become one when a single fitted shape explains their union better than two shapes
// explain them apart (fit costs compared; separate objects would make one shape cover background).
import { ShapeFit, fitShape } from './fit';
import { Region, Segmentation } from '../regions/segment';

/** Regions further apart than this (Chebyshev pixels) are never merged. */
export const MERGE_DISTANCE = 3;

function near(a: Region, b: Region, width: number): boolean {
  const bSet = new Set(b.pixels);
  for (const i of a.pixels) {
    const x = i % width;
    for (let dy = -MERGE_DISTANCE; dy <= MERGE_DISTANCE; dy++) {
      for (let dx = -MERGE_DISTANCE; dx <= MERGE_DISTANCE; dx++) {
        if (x + dx < 0 || x + dx >= width) continue;
        if (bSet.has(i + dy * width + dx)) return true;
      }
    }
  }
  return false;
}

/** The segmentation with the given regions folded into the first of them (ids renumbered to stay 0..n-1). */
function merged(seg: Segmentation, group: Region[]): Segmentation {
  const [keep, ...gone] = group;
  const regions = seg.regions
    .filter((r) => !gone.includes(r))
    .map((r) => ({ ...r, pixels: r === keep ? group.flatMap((g) => g.pixels) : r.pixels }));
  const newId = new Map<number, number>();
  seg.regions.forEach((r) =>
    newId.set(
      r.id,
      regions.findIndex((n) => n.id === (gone.includes(r) ? keep.id : r.id)),
    ),
  );
  regions.forEach((r, k) => (r.id = k));
  const regionOf = seg.regionOf.map((id) => (id >= 0 ? (newId.get(id) as number) : id));
  return { ...seg, regionOf, regions };
}

/** Candidate merges: every near pair of same-colour regions, and each whole cluster of near regions. */
function candidateGroups(seg: Segmentation): Region[][] {
  const { regions, width } = seg;
  const groups: Region[][] = [];
  const cluster = regions.map((_, i) => i);
  const root = (i: number): number => (cluster[i] === i ? i : (cluster[i] = root(cluster[i])));
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      if (regions[i].color !== regions[j].color || !near(regions[i], regions[j], width)) continue;
      groups.push([regions[i], regions[j]]);
      cluster[root(j)] = root(i);
    }
  }
  const byRoot = new Map<number, Region[]>();
  regions.forEach((r, i) => byRoot.set(root(i), [...(byRoot.get(root(i)) ?? []), r]));
  for (const members of byRoot.values()) if (members.length > 2) groups.push(members);
  return groups;
}

/** Repeatedly merge the group of same-colour regions whose union fits one shape better than its parts apart. */
export function mergeFragments(seg: Segmentation): { seg: Segmentation; fits: ShapeFit[] } {
  let current = seg;
  let fits = current.regions.map((r) => fitShape(current, r));
  for (;;) {
    let best: { next: Segmentation; gain: number } | undefined;
    for (const group of candidateGroups(current)) {
      const next = merged(current, group);
      const union = fitShape(next, next.regions[next.regionOf[group[0].pixels[0]]]);
      const gain = group.reduce((sum, r) => sum + fits[r.id].cost, 0) - union.cost;
      if (gain > 0 && (!best || gain > best.gain)) best = { next, gain };
    }
    if (!best) return { seg: current, fits };
    current = best.next;
    fits = current.regions.map((r) => fitShape(current, r));
  }
}
