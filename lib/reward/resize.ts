// Bilinear resize of a reward map to the grid where the loss is computed, with PyTorch's
// F.interpolate(mode='bilinear', align_corners=False) sampling (the released loss resizes R this way):
// source = (dst + 0.5) * (in / out) - 0.5, clamped below at 0; neighbours i0 = floor(source) and
// i1 = min(i0 + 1, in - 1); weights 1 - frac and frac. Separable: rows and columns use the same rule.
// No anti-aliasing when shrinking (PyTorch's default antialias=False).

export interface ResizeOptions {
  fromW: number;
  fromH: number;
  toW: number;
  toH: number;
}

interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  frac: Float64Array;
}

function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const t: Taps = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), frac: new Float64Array(outSize) };
  for (let d = 0; d < outSize; d++) {
    const source = Math.max(0, (d + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(source), inSize - 1);
    t.i0[d] = i0;
    t.i1[d] = Math.min(i0 + 1, inSize - 1);
    t.frac[d] = source - i0;
  }
  return t;
}

/** [fromH * fromW] -> [toH * toW], both row-major. */
export function resizeBilinear(map: Float32Array, options: ResizeOptions): Float32Array {
  const { fromW, fromH, toW, toH } = options;
  if (map.length !== fromW * fromH) throw new Error(`resizeBilinear: map has ${map.length} values, expected ${fromW} x ${fromH}`);
  if (![fromW, fromH, toW, toH].every((n) => Number.isInteger(n) && n > 0))
    throw new Error('resizeBilinear: sizes must be positive integers');
  const xs = taps(fromW, toW);
  const ys = taps(fromH, toH);
  const out = new Float32Array(toW * toH);
  for (let y = 0; y < toH; y++) {
    const row0 = ys.i0[y] * fromW;
    const row1 = ys.i1[y] * fromW;
    const fy = ys.frac[y];
    for (let x = 0; x < toW; x++) {
      const fx = xs.frac[x];
      const top = map[row0 + xs.i0[x]] * (1 - fx) + map[row0 + xs.i1[x]] * fx;
      const bottom = map[row1 + xs.i0[x]] * (1 - fx) + map[row1 + xs.i1[x]] * fx;
      out[y * toW + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
