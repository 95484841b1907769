// The one definition of each shape's extent, shared by the renderer, the layout sampler and the scene oracle.
import { SceneObject } from './types';

type Outline = Pick<SceneObject, 'shape' | 'cx' | 'cy' | 'diameter' | 'exponent'>;

/** Is the point (x, y) (pixel units; a pixel's centre is at i + 0.5) inside the object's shape? */
export function shapeContains(object: Outline, x: number, y: number): boolean {
  const half = object.diameter / 2;
  const dx = x - object.cx;
  const dy = y - object.cy;
  if (object.exponent !== undefined && object.shape !== 'triangle') {
    const n = object.exponent;
    return Math.abs(dx / half) ** n + Math.abs(dy / half) ** n <= 1;
  }
  switch (object.shape) {
    case 'circle':
      return dx * dx + dy * dy <= half * half;
    case 'square':
      return Math.abs(dx) <= half && Math.abs(dy) <= half;
    case 'triangle': {
      // Apex up at (cx, cy - half), base along y = cy + half: the half-width grows linearly downwards.
      const fromTop = dy + half;
      return fromTop >= 0 && fromTop <= object.diameter && Math.abs(dx) <= fromTop / 2;
    }
  }
}

/** Boolean mask [H, W] (row-major) of the pixels whose centres fall inside the object's shape. */
export function shapeMask(object: Outline, width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const half = object.diameter / 2;
  const x0 = Math.max(0, Math.floor(object.cx - half));
  const x1 = Math.min(width - 1, Math.ceil(object.cx + half));
  const y0 = Math.max(0, Math.floor(object.cy - half));
  const y1 = Math.min(height - 1, Math.ceil(object.cy + half));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (shapeContains(object, x + 0.5, y + 0.5)) mask[y * width + x] = 1;
    }
  }
  return mask;
}

/** Intersection over union of two masks of the same image (0 when both are empty). */
export function maskIou(a: Uint8Array, b: Uint8Array): number {
  let [both, either] = [0, 0];
  for (let i = 0; i < a.length; i++) {
    both += a[i] & b[i];
    either += a[i] | b[i];
  }
  return either === 0 ? 0 : both / either;
}
