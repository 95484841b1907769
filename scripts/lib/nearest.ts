// One way for the experiment scripts to set an object one reader found beside another reader's reading of it.

/** Centres at most this many pixels apart count as the same object. */
export const SAME_OBJECT_PX = 3;

/** The object whose centre is nearest (cx, cy) within SAME_OBJECT_PX, the first of equals; undefined when none is. */
export function nearestObject<T extends { cx: number; cy: number }>(objects: readonly T[], cx: number, cy: number): T | undefined {
  let best: T | undefined;
  let bestDistance = Infinity;
  for (const o of objects) {
    const distance = Math.hypot(o.cx - cx, o.cy - cy);
    if (distance <= SAME_OBJECT_PX && distance < bestDistance) [best, bestDistance] = [o, distance];
  }
  return best;
}
