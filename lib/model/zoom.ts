// The region head's zoomed view. An object 8 px across spans 2 x 2 of the model's 4-px patches, so whether a
// soft generated blob is a circle or a square is decided inside two patch embeddings, and a 1-px shift of the
// image changes the judge's verdict on about one image in ten (README, "Where the judge is weak"). Like a VLM
// that crops a region and looks again at full resolution, the judge can instead ask about a square crop
// around the box, resampled to the model's canvas: the object then spans the whole token grid. Size cannot be
// read from a crop (everything looks large), so it always comes from the plain view.
import type { RgbImage } from '../world/types';

/** Box [x1, y1, x2, y2] in [0, 1] of the image side. */
export type UnitBox = readonly [number, number, number, number];

/** Share of the box's longer side added as background on every side of the crop. */
export const ZOOM_MARGIN = 0.25;
/** The crop is never narrower than this many pixels (a 3-px fragment is not blown up to the whole canvas). */
export const MIN_ZOOM_SIDE = 8;

export interface ZoomedView {
  image: RgbImage;
  /** The box inside the zoomed image, [0, 1]. */
  box: [number, number, number, number];
}

/** Bilinear sample (align_corners false, edges clamped) of channel c at continuous pixel coordinates (u, v). */
function sample(image: RgbImage, u: number, v: number, c: number): number {
  const { width, height, data } = image;
  const x = Math.min(width - 1, Math.max(0, u - 0.5));
  const y = Math.min(height - 1, Math.max(0, v - 0.5));
  const [x0, y0] = [Math.floor(x), Math.floor(y)];
  const [x1, y1] = [Math.min(width - 1, x0 + 1), Math.min(height - 1, y0 + 1)];
  const [fx, fy] = [x - x0, y - y0];
  const at = (xx: number, yy: number): number => data[(yy * width + xx) * 3 + c];
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x1, y0)) + fy * ((1 - fx) * at(x0, y1) + fx * at(x1, y1));
}

/** A square crop centred on the box, ZOOM_MARGIN wider than its longer side, resampled to the image's size. */
export function zoomView(image: RgbImage, box: UnitBox): ZoomedView {
  const { width, height } = image;
  const [x1, y1, x2, y2] = [box[0] * width, box[1] * height, box[2] * width, box[3] * height];
  const side = Math.max(MIN_ZOOM_SIDE, Math.max(x2 - x1, y2 - y1) * (1 + 2 * ZOOM_MARGIN));
  const [left, top] = [(x1 + x2) / 2 - side / 2, (y1 + y2) / 2 - side / 2];
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [u, v] = [left + ((x + 0.5) / width) * side, top + ((y + 0.5) / height) * side];
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = sample(image, u, v, c);
    }
  }
  const clip = (t: number): number => Math.min(1, Math.max(0, t));
  return { image: { width, height, data }, box: [clip((x1 - left) / side), clip((y1 - top) / side), clip((x2 - left) / side), clip((y2 - top) / side)] };
}
