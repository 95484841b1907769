// Images <-> the tokens the flow generates: pixel patches in [-1, 1] (patches.ts layout). The sampler and the SRUM
// data go through here; understanding reads the same patches (patchify).
import type { UnifiedModel } from './param-types';
import { patchify, unpatchify } from './patches';
import type { RgbImage } from '../world/types';

/** Images in [0, 1] -> generation tokens [B, Np, patchDim]. */
export function generationTokens(model: UnifiedModel, images: readonly RgbImage[]): Float32Array {
  return patchify(images, model.config);
}

/** Generation tokens [B, Np, patchDim] -> images in [0, 1]. */
export function imagesFromGenerationTokens(model: UnifiedModel, tokens: Float32Array): RgbImage[] {
  return unpatchify(tokens, model.config);
}
