// The renderer: a Scene -> an RgbImage ([H, W, 3], values in [0, 1]), drawn straight into a Float32Array.
// Objects are painted in depth order (larger depth later = nearer), each pixel whose centre lies inside the
// object's shape (geometry.ts, the one definition) takes the object's colour: hard edges, no anti-aliasing,
// so the rendered pixels are exactly the oracle's shape masks.
//
// Textures darken part of the object to TEXTURE_SHADE times its own colour. Scaling an RGB colour keeps its
// hue and its HSV saturation, so texture never changes what colour an object reads as. The pattern is laid
// out from the object's own bounding-box corner (sizes in pixels at the world's 32 px size):
//   striped   = horizontal stripes, 3 rows base colour then 3 rows dark (period 6);
//   checkered = 4x4 cells alternating base / dark (period 8).
// Why these sizes: a radius-1 box blur averages 3 pixels per axis, so the centre row of a 3-px stripe keeps
// its full contrast (a 2-px band would drop to 1/3, a 1-px band to zero). A checker cell loses contrast along
// both axes at once: with 3-px cells the evaluator's matched-filter score after blur + noise (0.04-0.10)
// overlapped plain objects' noise (up to 0.04), with 4-px cells it stays well clear. The contrast, base value
// minus 0.6 x base (about 0.36 in the brightest channel), is 7 sigma of noise at sigma = 0.05; a darker
// shade would leave dark pixels so little chroma that noise scrambles their hue. Even an 8-px
// object still shows one full period.
import { WORLD } from './config';
import { Rng } from '../rng';
import { shapeContains } from './geometry';
import { distortedMask } from './distort';
import { RgbImage, Scene, SceneObject } from './types';

/** Brightness factor of the dark part of a texture (hue and saturation are unchanged). */
export const TEXTURE_SHADE = 0.6;
/** Width of one stripe, in pixels at WORLD.imageSize. */
export const TEXTURE_BAND = 3;
/** Side of one checker cell, in pixels at WORLD.imageSize. */
export const CHECKER_CELL = 4;

export function blankImage(width: number, height: number): RgbImage {
  const data = new Float32Array(width * height * 3);
  const [r, g, b] = WORLD.background;
  for (let i = 0; i < width * height; i++) {
    data[3 * i] = r;
    data[3 * i + 1] = g;
    data[3 * i + 2] = b;
  }
  return { width, height, data };
}

/** Is the texture dark at a point given in the object's bounding-box coordinates (pixels from its corner)? */
function isDark(texture: SceneObject['texture'], u: number, v: number, scale: number): boolean {
  if (texture === 'striped') return Math.floor(v / (TEXTURE_BAND * scale)) % 2 === 1;
  if (texture === 'checkered') return (Math.floor(v / (CHECKER_CELL * scale)) + Math.floor(u / (CHECKER_CELL * scale))) % 2 === 1;
  return false;
}

function paint(image: RgbImage, object: SceneObject, scale: number): void {
  const { width, height, data } = image;
  const half = object.diameter / 2;
  const left = object.cx - half;
  const top = object.cy - half;
  const base = WORLD.colors[object.color];
  // A distorted object (distort.ts) paints its deformed mask, which may reach beyond its box.
  const distorted = object.distorted === true ? distortedMask(object, width, height) : undefined;
  const reach = distorted === undefined ? half : object.diameter;
  const x0 = Math.max(0, Math.floor(object.cx - reach));
  const x1 = Math.min(width - 1, Math.ceil(object.cx + reach));
  const y0 = Math.max(0, Math.floor(object.cy - reach));
  const y1 = Math.min(height - 1, Math.ceil(object.cy + reach));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (distorted === undefined ? !shapeContains(object, x + 0.5, y + 0.5) : !distorted[y * width + x]) continue;
      // Bounding-box coordinates of the pixel centre; a small epsilon keeps integer-aligned bands exact.
      const shade = isDark(object.texture, x + 0.5 - left + 1e-6, y + 0.5 - top + 1e-6, scale) ? TEXTURE_SHADE : 1;
      const i = 3 * (y * width + x);
      data[i] = base[0] * shade;
      data[i + 1] = base[1] * shade;
      data[i + 2] = base[2] * shade;
    }
  }
}

/** Draw a scene: background, then objects from the farthest (smallest depth) to the nearest. */
export function renderScene(scene: Scene): RgbImage {
  const image = blankImage(scene.width, scene.height);
  const scale = scene.width / WORLD.imageSize;
  const order = scene.objects.map((o, i) => ({ o, i })).sort((a, b) => a.o.depth - b.o.depth || a.i - b.i);
  for (const { o } of order) paint(image, o, scale);
  return image;
}

export interface Corruption {
  /** Standard deviation of additive Gaussian noise per channel value (0 = none). */
  noise: number;
  /** Radius of a box blur ((2r+1) x (2r+1) mean; 0 = none). */
  blur: number;
}

/** Box blur, separable; the border pixels are repeated outwards (a window cut to the image would give a
 *  border pixel next to an object a larger share of it than anywhere else). */
export function boxBlur(image: RgbImage, radius: number): RgbImage {
  if (radius <= 0) return { ...image, data: image.data.slice() };
  const { width, height } = image;
  const pass = (src: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(src.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let k = -radius; k <= radius; k++) {
            const xx = horizontal ? Math.min(width - 1, Math.max(0, x + k)) : x;
            const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + k));
            sum += src[3 * (yy * width + xx) + c];
          }
          out[3 * (y * width + x) + c] = sum / (2 * radius + 1);
        }
      }
    }
    return out;
  };
  return { width, height, data: pass(pass(image.data, true), false) };
}

/**
 * Imitate a generated image's imperfections: first a box blur (soft edges), then additive Gaussian noise
 * (grain that the blur does not smooth away, the harder order for an evaluator), clamped to [0, 1].
 */
export function corrupt(image: RgbImage, corruption: Corruption, rng: Rng): RgbImage {
  const blurred = boxBlur(image, corruption.blur);
  if (corruption.noise > 0) {
    const data = blurred.data;
    for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, data[i] + corruption.noise * rng.normal()));
  }
  return blurred;
}
