// The region head's pixel reader (ModelConfig.regionCropChannels = C > 0). A region query reads its box through the
// backbone's 4-px patch tokens, and an 8-px object spans 2 x 2 of them: a one-pixel move changes what every patch
// holds, and the judge changed its verdict on 8-12% of generated images moved by one pixel while the pixel-exact
// evaluator kept all of them (docs/model-notes.md, "Where the judge is weak"). So the region head also reads the pixels themselves,
// as Bagel reads images for understanding through its own vision encoder beside the generation latents:
//   window:  the CROP_SIDE x CROP_SIDE pixels around the box centre, at image scale (no resampling, so an object's
//            size stays its size in pixels), with two mask channels: inside the box, inside the image;
//   reader:  conv3x3 (C) -> conv3x3 stride 2 (2C) -> conv3x3 stride 2 (2C), GELU after each, flattened ->
//            dense (D) -> GELU -> dense to the region logits (zero at start: an untrained reader adds nothing),
// added to the query token's region logits (heads.ts).
import * as tf from '../backend/tf';
import { conv3x3, tokensToGrid } from './conv';
import type { ModelConfig } from './config';
import { dense, gelu } from './layers';
import type { RegionCropParams } from './param-types';

/** Pixels per side of the window a region is read in: the largest object (14 px) with room for its box's jitter. */
export const CROP_SIDE = 20;
/** Channels of a window: the image's, then inside-the-box and inside-the-image masks. */
export const cropChannels = (config: ModelConfig): number => config.channels + 2;

/** Integer origin (column, row) of the window centred on a box ([x1, y1, x2, y2] in [0, 1]) of an image of `side` px. */
function windowOrigin(box: ArrayLike<number>, side: number): [number, number] {
  const centre = (a: number, b: number): number => ((a + b) / 2) * side;
  return [Math.round(centre(box[0], box[2]) - CROP_SIDE / 2), Math.round(centre(box[1], box[3]) - CROP_SIDE / 2)];
}

/** [B, S, S, channels + 2]: each row's window of its image (x0 tokens [B, Np, patchDim]) around its box, plus the masks. */
export function regionWindows(x0: tf.Tensor3D, boxes: Float32Array, config: ModelConfig): tf.Tensor4D {
  const batch = x0.shape[0];
  const side = config.imageSize;
  const s = CROP_SIDE;
  const cropBoxes = new Float32Array(batch * 4); // [y1, x1, y2, x2] sampling exactly pixel rows r0..r0+S-1 (cropAndResize's convention)
  const masks = new Float32Array(batch * s * s * 2);
  for (let b = 0; b < batch; b++) {
    const box = boxes.subarray(4 * b, 4 * b + 4);
    const [c0, r0] = windowOrigin(box, side);
    cropBoxes.set([r0 / (side - 1), c0 / (side - 1), (r0 + s - 1) / (side - 1), (c0 + s - 1) / (side - 1)], 4 * b);
    for (let i = 0; i < s; i++) {
      for (let j = 0; j < s; j++) {
        const [x, y] = [c0 + j + 0.5, r0 + i + 0.5]; // pixel centre in image pixels
        const at = ((b * s + i) * s + j) * 2;
        masks[at] = x >= box[0] * side && x <= box[2] * side && y >= box[1] * side && y <= box[3] * side ? 1 : 0;
        masks[at + 1] = x > 0 && x < side && y > 0 && y < side ? 1 : 0;
      }
    }
  }
  return tf.tidy(() => {
    const grid = tokensToGrid(x0, config); // [B, H, W, C] in [-1, 1]
    const boxIndex = tf.tensor1d(
      Int32Array.from({ length: batch }, (_, b) => b),
      'int32',
    );
    // outside the image: 0
    const pixels = tf.image.cropAndResize(grid, tf.tensor2d(cropBoxes, [batch, 4]), boxIndex, [s, s], 'bilinear', 0);
    return tf.concat([pixels, tf.tensor4d(masks, [batch, s, s, 2])], 3) as tf.Tensor4D;
  });
}

/** Region logits [B, sum of region classes] read from the pixels of each row's window (file comment). */
export function regionCropLogits(crop: RegionCropParams, windows: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const h1 = gelu(conv3x3(windows, crop.conv1.w, crop.conv1.b)) as tf.Tensor4D; // [B, S, S, C]
    const h2 = gelu(conv3x3(h1, crop.conv2.w, crop.conv2.b, 2)) as tf.Tensor4D; // [B, S/2, S/2, 2C]
    const h3 = gelu(conv3x3(h2, crop.conv3.w, crop.conv3.b, 2)) as tf.Tensor4D; // [B, S/4, S/4, 2C]
    const flat = h3.reshape([windows.shape[0], -1]);
    return dense(gelu(dense(flat, crop.hidden)), crop.out) as tf.Tensor2D;
  });
}
