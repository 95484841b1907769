// Images <-> the tokens the flow generates, in one place: pixel patches in [-1, 1] (patches.ts) for a pixel model,
// normalised autoencoder latents (autoencoder.ts) for a latent model (ModelConfig.latentChannels > 0).
// Understanding always reads pixel patches (patchify); only generation goes through here.
import { imagesFromLatentTokens, latentTokens } from './autoencoder';
import { modelAutoencoder, type UnifiedModel } from './params';
import { patchify, unpatchify } from './patches';
import type { RgbImage } from '../world/types';

/** Images in [0, 1] -> generation tokens [B, Np, generationDim] (modelDims). */
export function generationTokens(model: UnifiedModel, images: readonly RgbImage[]): Float32Array {
  return model.config.latentChannels > 0 ? latentTokens(modelAutoencoder(model), images) : patchify(images, model.config);
}

/** Generation tokens [B, Np, generationDim] -> images in [0, 1] (decoded through the autoencoder for a latent model). */
export function imagesFromGenerationTokens(model: UnifiedModel, tokens: Float32Array): RgbImage[] {
  return model.config.latentChannels > 0 ? imagesFromLatentTokens(modelAutoencoder(model), tokens) : unpatchify(tokens, model.config);
}

/** Pixel patch tokens (as the world's batches hold them) -> generation tokens; the identity for a pixel model. */
export function generationTokensOfPatches(model: UnifiedModel, pixelTokens: Float32Array): Float32Array {
  return model.config.latentChannels > 0 ? generationTokens(model, unpatchify(pixelTokens, model.config)) : pixelTokens;
}
