// The unified model's configuration: one typed record with a comment per field, and presets that
// override only what changes. Unknown options are errors, so a typo never silently trains a default.
import { WORLD } from '../world/config';
import { MAX_PROMPT_TOKENS, VOCAB_SIZE } from '../world/tokenizer';
import { withoutRetiredOptions } from './retired';

export interface ModelConfig {
  /** Image side in pixels (square RGB images). The world renders 32x32. */
  imageSize: number;
  /** Colour channels of an image. */
  channels: number;
  /** Side of a square image patch; each patch is one image token of patchSize^2 * channels values. */
  patchSize: number;
  /** Text tokens per prompt (padded with PAD = 0). Set by the tokenizer's longest prompt. */
  maxTextTokens: number;
  /** Size of the word vocabulary, PAD included. Token ids must be < vocabSize. */
  vocabSize: number;
  /** Width of the residual stream (embedding size of every token). */
  dModel: number;
  /** Number of transformer blocks. */
  nLayers: number;
  /** Attention heads per block; dModel must be divisible by nHeads. */
  nHeads: number;
  /** Hidden width of each MLP is mlpRatio * dModel. */
  mlpRatio: number;
  /** Mixture-of-Transformers: separate MLP weights for text tokens and image tokens (attention stays shared). */
  mixtureOfTransformers: boolean;
  /** Text tokens attend only to earlier text tokens (Transfusion-style); image tokens always see everything. */
  textCausal: boolean;
  /** Size of the sinusoidal timestep features fed to the timestep MLP. */
  timestepFeatures: number;
  /** Standard deviation of the normal initialisation of weight matrices and embeddings. */
  initStd: number;
  /** Channels of the convolutional stem and velocity refine around the patch tokens (conv.ts); 0 = none. */
  convChannels: number;
  /** Hidden 3x3 conv layers of the refine (convChannels wide each, GELU between): 1 sees 5x5 pixels, each more +2. */
  refineLayers: number;
  /**
   * The output head predicts the clean image x0 instead of the velocity; the velocity handed to the loss and the
   * sampler is v = (x_t - x0_hat) / max(t, cleanPredictionMinT) (x-prediction, Li & He 2025, "Back to Basics").
   * Why: a velocity head must reproduce the noise pixel by pixel, which a small model does badly near t = 0.
   */
  cleanPrediction: boolean;
  /** Lower clip of t in the x-prediction division (keeps v finite near t = 0). */
  cleanPredictionMinT: number;
  /**
   * Spatial plan conditioning (think mode): each present slot's token is also added, through a zero-initialised
   * D x D map, to the image tokens around where the plan puts it (a Gaussian over patch centres at the slot's cell
   * centre, sigma = half the size's diameter), as layout-to-image models condition on boxes (GLIGEN). Why: with the
   * plan only as 4 extra tokens, image tokens must learn through attention which slot is theirs, and even a
   * ground-truth plan left objects in pieces.
   */
  planMap: boolean;
  /**
   * Cells per side of the plan's position grid (think mode): a slot's `cell` is one of planGrid^2. 4 (8 px cells at
   * 32 px) is the shipped model's; 16 (2 px) says where an object is to within a pixel, which planCanvas needs.
   */
  planGrid: number;
  /**
   * Box geometry of the plan at pixel level (needs planMap and convChannels > 0): every pixel inside a present
   * slot's box (the front-most slot's, 15% margin) gets that slot's shape, colour, texture and size one-hots, its
   * offset (dx, dy) from the box centre in radii and an inside flag (plan.ts planCanvas, 18 channels); the canvas
   * joins the conv stem's and the refine's inputs, and the image tokens also get the coverage-weighted offsets through
   * a zero-initialised 4 x D map. As box-conditioned layout-to-image models ground objects (GLIGEN), with the box
   * frame given per pixel (CoordConv, Liu et al. 2018). Why: a pixel inside a planned box must learn whether it is
   * inside the named shape, a function of its offset that the transformer, which sees only its own position, did not
   * learn (docs/model-notes.md).
   */
  planCanvas: boolean;
  /**
   * Autoregressive plan cells (think mode): a small MLP over each plan slot's final hidden state and the boxes of the
   * slots before it (present, centre, radius) adds to that slot's cell logits (zero at start); slots are decoded in
   * order, each given the ones already placed, and trained on the ground-truth earlier slots (teacher forcing). Why:
   * a relation ("A left of B") or "two objects that do not overlap" constrains the pair, while each slot's own
   * position is almost uniform; independent per-slot cells learned no relation (cell loss 4.6 nats, the expected
   * position of every slot the image centre) and the model's own plans passed 0.00 of spatial prompts (docs/model-notes.md).
   */
  planCellDecoder: boolean;
  /**
   * Channels C of the region head's pixel reader (region-crop.ts); 0 = none. Region queries also read the 20 x 20
   * pixels around their box through three small convolutions, whose logits add to the query token's. Why: an 8-px
   * object spans 2 x 2 of the 4-px patch tokens, so the token-only reading of generated shapes changed with a
   * one-pixel move (docs/model-notes.md, "Where the judge is weak").
   */
  regionCropChannels: number;
  /** LayerNorm variance epsilon. */
  layerNormEps: number;
}

/** Defaults: the `base` model, the shipped checkpoint. */
export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  imageSize: WORLD.imageSize,
  channels: 3,
  patchSize: 4,
  maxTextTokens: MAX_PROMPT_TOKENS,
  vocabSize: VOCAB_SIZE,
  dModel: 128,
  nLayers: 6,
  nHeads: 4,
  mlpRatio: 4,
  mixtureOfTransformers: false,
  textCausal: false,
  timestepFeatures: 64,
  initStd: 0.02,
  convChannels: 0,
  refineLayers: 1,
  cleanPrediction: false,
  cleanPredictionMinT: 0.05,
  planMap: false,
  planGrid: 4,
  planCanvas: false,
  planCellDecoder: false,
  regionCropChannels: 0,
  layerNormEps: 1e-5,
};

export const MODEL_PRESETS = {
  /** Seconds per run: unit tests and CI notebooks. */
  tiny: { dModel: 32, nLayers: 2, nHeads: 2, timestepFeatures: 16 },
  /**
   * The shipped model: the conv stem and a 2-layer refine, x-prediction, and think mode's plan on a 16 x 16 grid
   * reaching every pixel of its boxes (plan map + canvas); about 1.39M parameters; pretrains in ~85 min on 2 CPU cores (wasm).
   * The shipped checkpoint also has the region pixel reader (regionCropChannels 16), added by a later head-only stage
   * (data/base manifest, data.reproduce), so it is not in the preset.
   */
  base: { convChannels: 16, refineLayers: 2, cleanPrediction: true, planMap: true, planGrid: 16, planCanvas: true, planCellDecoder: true },
  /** For GPU users: wider and deeper. */
  large: { dModel: 384, nLayers: 12, nHeads: 6 },
} satisfies Record<string, Partial<ModelConfig>>;

export type ModelPreset = keyof typeof MODEL_PRESETS;

/**
 * Preset plus overrides; throws on an unknown preset, an unknown option or an inconsistent config. A retired option
 * (retired.ts) at its old default is dropped, so old manifests still load; switched on, it is an error.
 */
export function resolveModelConfig(preset: ModelPreset = 'base', overrides: Record<string, unknown> = {}): ModelConfig {
  const presetOverrides: Partial<ModelConfig> | undefined = (MODEL_PRESETS as Record<string, Partial<ModelConfig>>)[preset];
  if (presetOverrides === undefined) throw new Error(`unknown model preset '${preset}' (known: ${Object.keys(MODEL_PRESETS).join(', ')})`);
  const current = withoutRetiredOptions(overrides);
  for (const [key, value] of Object.entries(current)) {
    if (!(key in DEFAULT_MODEL_CONFIG))
      throw new Error(`unknown model option '${key}' (known: ${Object.keys(DEFAULT_MODEL_CONFIG).join(', ')})`);
    const expected = typeof DEFAULT_MODEL_CONFIG[key as keyof ModelConfig];
    if (typeof value !== expected) throw new Error(`model option '${key}' must be a ${expected}, got ${JSON.stringify(value)}`);
  }
  const config: ModelConfig = { ...DEFAULT_MODEL_CONFIG, ...presetOverrides, ...(current as Partial<ModelConfig>) };
  validateModelConfig(config);
  return config;
}

function validateModelConfig(config: ModelConfig): void {
  for (const key of ['convChannels', 'regionCropChannels'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 0)
      throw new Error(`model option '${key}' must be a non-negative integer, got ${config[key]}`);
  }
  if (!Number.isInteger(config.refineLayers) || config.refineLayers < 1)
    throw new Error(`model option 'refineLayers' must be a positive integer, got ${config.refineLayers}`);
  if (config.convChannels === 0 && config.refineLayers !== 1) {
    throw new Error('the refine options (refineLayers) need convChannels > 0 (there is no refine without it)');
  }
  if (!Number.isInteger(config.planGrid) || config.planGrid < 1 || config.planGrid > config.imageSize)
    throw new Error(`model option 'planGrid' must be an integer in [1, imageSize = ${config.imageSize}], got ${config.planGrid}`);
  if (config.planCanvas && (!config.planMap || config.convChannels === 0))
    throw new Error(
      'model option planCanvas needs planMap and convChannels > 0 (the canvas joins the plan map and the conv stem and refine)',
    );
  if (!(config.cleanPredictionMinT > 0 && config.cleanPredictionMinT < 1))
    throw new Error(`model option 'cleanPredictionMinT' must lie in (0, 1), got ${config.cleanPredictionMinT}`);
  const positive: (keyof ModelConfig)[] = [
    'imageSize',
    'channels',
    'patchSize',
    'maxTextTokens',
    'vocabSize',
    'dModel',
    'nLayers',
    'nHeads',
    'mlpRatio',
    'timestepFeatures',
  ];
  for (const key of positive) {
    const value = config[key] as number;
    if (!Number.isInteger(value) || value <= 0) throw new Error(`model option '${key}' must be a positive integer, got ${value}`);
  }
  if (config.imageSize % config.patchSize !== 0)
    throw new Error(`imageSize ${config.imageSize} is not a multiple of patchSize ${config.patchSize}`);
  if (config.dModel % config.nHeads !== 0) throw new Error(`dModel ${config.dModel} is not divisible by nHeads ${config.nHeads}`);
  if (config.timestepFeatures % 2 !== 0) throw new Error(`timestepFeatures must be even, got ${config.timestepFeatures}`);
}

/** Sizes derived from a config, computed in one place. */
export interface ModelDims {
  /** Patches per image side (Hp = Wp). */
  gridSize: number;
  /** Image tokens per image: Np = Hp * Wp. */
  imageTokens: number;
  /** Values per image token: patchSize^2 * channels. */
  patchDim: number;
  /** Values per generation token (the flow generates pixel patches): patchDim. */
  generationDim: number;
  /** Total sequence length: text tokens then image tokens. */
  seqLen: number;
  /** Width of one attention head. */
  headDim: number;
  /** Hidden width of the MLP. */
  mlpDim: number;
}

export function modelDims(config: ModelConfig): ModelDims {
  const gridSize = config.imageSize / config.patchSize;
  const imageTokens = gridSize * gridSize;
  const patchDim = config.patchSize * config.patchSize * config.channels;
  return {
    gridSize,
    imageTokens,
    patchDim,
    generationDim: patchDim,
    seqLen: config.maxTextTokens + imageTokens,
    headDim: config.dModel / config.nHeads,
    mlpDim: config.mlpRatio * config.dModel,
  };
}
