// One transformer backbone over [text tokens ; extra tokens ; image patch tokens] in one sequence (Transfusion/
// Bagel-like): pre-LayerNorm blocks of multi-head attention and a GELU MLP; the image tokens carry the flow time.
// Extra tokens are already embedded (think-mode plan tokens, understanding query tokens; heads.ts, plan.ts).
// Layout choices are for speed on wasm (attention.ts): heads are folded into the batch of 3-D matmuls,
// the fused QKV output is split with one 4-D transpose, and no 5-D transpose or gather gradient is needed.
import * as tf from '../backend/tf';
import { matMul } from '../backend/ops';
import { modelDims, type ModelConfig } from './config';
import { attention } from './attention';
import { canvasTerms, refineVelocity, stemTokens, type CanvasTerms } from './conv';
import { dense, gelu, layerNorm, silu } from './layers';
import { mlpObserver, type MlpWeights } from './mlp-observer';
import type { BlockParams, MlpParams, UnifiedModel } from './param-types';

/** Additive attention bias for masked keys (finite, so a fully masked row stays a uniform softmax, not NaN). */
const MASKED = -1e9;

export interface VelocityInputs {
  /** Noisy image tokens x_t, [B, Np, patchDim] (patches.ts layout). */
  xt: tf.Tensor3D;
  /** Flow time per sample, [B], t = 1 is pure noise. */
  t: tf.Tensor1D;
  /** Text token ids, [B * textLength] row-major, 0 = PAD (an all-PAD row is the unconditional prompt). */
  textTokens: Int32Array;
  /** Ids per row of textTokens (default maxTextTokens): BackboneInputs.textLength. */
  textLength?: number;
  /** ModelConfig.planMap: the plan spread over the image tokens [B, Np, D] (plan.ts planMap), added to their embeddings. */
  planMap?: tf.Tensor3D;
  /** ModelConfig.planCanvas: the plan's boxes per pixel [B, Np, p*p*CANVAS_CHANNELS] (plan.ts planCanvas); absent = zeros. */
  planCanvas?: tf.Tensor3D;
  /** velocityCanvasTerms of planCanvas, for a caller that reuses one canvas across calls (the sampler); replaces planCanvas. */
  canvasTerms?: CanvasTerms;
}

/** One-hot rows for the token ids: the embedding lookup becomes a matmul whose gradient is a matmul too. */
function oneHotTokens(tokens: Int32Array, vocabSize: number): tf.Tensor2D {
  const values = new Float32Array(tokens.length * vocabSize);
  tokens.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`token id ${id} outside the vocabulary [0, ${vocabSize})`);
    values[i * vocabSize + id] = 1;
  });
  return tf.tensor2d(values, [tokens.length, vocabSize]);
}

/**
 * Additive attention bias over a sequence of seqLen tokens that starts with the text: PAD text keys are
 * masked for every query; with textCausal, text queries see only earlier text tokens (so never the extra
 * or image tokens after them). Shape [1, B, 1, T] (broadcast over heads and queries) or [1, B, T, T]; undefined
 * when nothing is masked (no PAD and no causal text).
 */
function attentionBias(tokens: Int32Array, textLen: number, batch: number, config: ModelConfig, seqLen: number): tf.Tensor4D | undefined {
  const isPad = (b: number, j: number): boolean => j < textLen && tokens[b * textLen + j] === 0;
  if (!tokens.includes(0) && (!config.textCausal || textLen === 0)) return undefined; // nothing masked: adding zeros is skipped
  if (!config.textCausal) {
    const bias = new Float32Array(batch * seqLen);
    for (let b = 0; b < batch; b++) for (let j = 0; j < textLen; j++) if (isPad(b, j)) bias[b * seqLen + j] = MASKED;
    return tf.tensor4d(bias, [1, batch, 1, seqLen]);
  }
  const bias = new Float32Array(batch * seqLen * seqLen);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < seqLen; i++) {
      for (let j = 0; j < seqLen; j++) {
        const textQueryLooksAhead = i < textLen && j > i;
        if (isPad(b, j) || textQueryLooksAhead) bias[(b * seqLen + i) * seqLen + j] = MASKED;
      }
    }
  }
  return tf.tensor4d(bias, [1, batch, seqLen, seqLen]);
}

/** DiT timestep features: [cos(t * 1000 * f_i), sin(t * 1000 * f_i)], f_i = 10000^(-i / half). */
function timestepFeatures(t: tf.Tensor1D, size: number): tf.Tensor2D {
  const half = size / 2;
  const freqs = new Float32Array(half).map((_, i) => 1000 * Math.exp((-Math.log(10000) * i) / half));
  const args = tf.mul(t.reshape([-1, 1]), tf.tensor2d(freqs, [1, half])); // [B, half]
  return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D; // [B, size]
}

/** Hands an MLP's hidden units [B, T', mlpDim] to the observer (mlp-observer.ts), with the sequence position of their first token. */
type HiddenSink = (weights: MlpWeights, hidden: tf.Tensor3D, firstToken: number) => void;

function mlp(x: tf.Tensor, params: MlpParams, onHidden?: (hidden: tf.Tensor3D) => void): tf.Tensor {
  const hidden = gelu(dense(x, params.up));
  onHidden?.(hidden as tf.Tensor3D);
  return dense(hidden, params.down);
}

/**
 * MLP of a block; with Mixture-of-Transformers, the text-side tokens (text and extras, the first
 * `textSideLen`) and the image tokens use separate weights.
 */
function blockMlp(h: tf.Tensor3D, block: BlockParams, textSideLen: number, sink?: HiddenSink): tf.Tensor3D {
  const observe = (weights: MlpWeights, firstToken: number) =>
    sink === undefined ? undefined : (hidden: tf.Tensor3D) => sink(weights, hidden, firstToken);
  if (block.textMlp === undefined) return mlp(h, block.mlp, observe('mlp', 0)) as tf.Tensor3D;
  if (textSideLen === h.shape[1]) return mlp(h, block.textMlp, observe('textMlp', 0)) as tf.Tensor3D; // no image tokens
  const text = tf.slice(h, [0, 0, 0], [-1, textSideLen, -1]); // [B, Tt + K, D]
  const image = tf.slice(h, [0, textSideLen, 0], [-1, -1, -1]); // [B, Np, D]
  const textOut = mlp(text, block.textMlp, observe('textMlp', 0));
  return tf.concat([textOut, mlp(image, block.mlp, observe('mlp', textSideLen))], 1) as tf.Tensor3D; // [B, T, D]
}

/** What the backbone reads: [text tokens ; extra tokens ; image tokens], the last two optional. */
export interface BackboneInputs {
  /** Text token ids, [B * textLength] row-major, 0 = PAD. */
  textTokens: Int32Array;
  /**
   * Text tokens per row, the first textLength positions (default maxTextTokens). Fewer are exact where only the image
   * tokens are read (the velocity): PAD keys are masked for every query, so dropping trailing PAD columns, or all
   * text of an unconditional row, changes no output but float rounding (the sampler does; test/sampler-fast.test.ts).
   */
  textLength?: number;
  /** Already-embedded extra tokens (plan tokens, query tokens), [B, K, D] with K <= MAX_EXTRA_TOKENS; learned positions are added here. */
  extra?: tf.Tensor3D;
  /**
   * Image tokens x_t [B, Np, patchDim] at flow time t [B] (t = 0: a clean image, as understanding reads it);
   * `mark` [B, Np, D] is added to the image tokens' embeddings (region queries mark their box this way);
   * `canvas` is what the plan's boxes per pixel add to the conv stem (ModelConfig.planCanvas; conv.ts canvasTerms).
   */
  image?: { xt: tf.Tensor3D; t: tf.Tensor1D; mark?: tf.Tensor3D; canvas?: CanvasTerms };
}

/** What the patch embedding reads per image token: x_t, with the conv stem's features when there is one. */
function patchInputs(model: UnifiedModel, xt: tf.Tensor3D, canvas: CanvasTerms | undefined): tf.Tensor3D {
  const { config, params } = model;
  if (params.conv === undefined) return xt;
  return stemTokens(xt, params.conv, config, canvas); // [B, Np, patchDim + p*p*convChannels]
}

/**
 * What a planCanvas model's canvas adds to its convolutions (conv.ts canvasTerms); undefined without a canvas (no plan:
 * understanding, normal mode, CFG's unconditional rows), which adds nothing, or without planCanvas.
 */
export function velocityCanvasTerms(model: UnifiedModel, canvas: tf.Tensor3D | undefined): CanvasTerms | undefined {
  const { config, params } = model;
  if (!config.planCanvas || params.conv === undefined || canvas === undefined) return undefined;
  return canvasTerms(canvas, params.conv, config);
}

/** The time embedding of the image tokens, [B, D]: sinusoidal features through a SiLU MLP. */
function timeEmbedding(model: UnifiedModel, t: tf.Tensor1D): tf.Tensor2D {
  const { config, params } = model;
  return dense(silu(dense(timestepFeatures(t, config.timestepFeatures), params.timeIn)), params.timeOut) as tf.Tensor2D;
}

/** Embeds [text ; extra ; image] tokens into the residual stream x [B, T, D]; `time` is timeEmbedding of the image's t. */
function embed(model: UnifiedModel, inputs: BackboneInputs, time: tf.Tensor2D | undefined): tf.Tensor3D {
  const { config, params } = model;
  const [textLen, batch] = textShape(config, inputs);
  const parts: tf.Tensor[] = [];
  if (textLen > 0) {
    // [B, Tt, D]
    const textEmbedded = matMul(oneHotTokens(inputs.textTokens, config.vocabSize), params.textEmbed).reshape([
      batch,
      textLen,
      config.dModel,
    ]);
    parts.push(tf.add(textEmbedded, textLen === config.maxTextTokens ? params.textPos : tf.slice(params.textPos, [0, 0], [textLen, -1])));
  }
  if (inputs.extra !== undefined) {
    const [extraBatch, extraCount, width] = inputs.extra.shape;
    const maxExtra = params.extraPos.shape[0];
    if (extraBatch !== batch || width !== config.dModel || extraCount > maxExtra)
      throw new Error(`extra: expected [${batch}, <= ${maxExtra}, ${config.dModel}], got [${inputs.extra.shape}]`);
    parts.push(tf.add(inputs.extra, tf.slice(params.extraPos, [0, 0], [extraCount, -1]))); // [B, K, D]
  }
  if (inputs.image !== undefined && time !== undefined) {
    const { xt } = inputs.image;
    if (xt.shape[0] !== batch) throw new Error(`image: ${xt.shape[0]} images for ${batch} text rows`);
    const patches = dense(patchInputs(model, xt, inputs.image.canvas), params.patchEmbed); // [B, Np, D]
    const image = tf.add(tf.add(patches, params.imagePos), time.reshape([batch, 1, config.dModel])); // [B, Np, D]
    parts.push(inputs.image.mark === undefined ? image : tf.add(image, inputs.image.mark));
  }
  return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor3D; // [B, T, D]
}

/** [text tokens per row, rows B] of the inputs; B comes from the text, or without text tokens from the extra or image tokens. */
function textShape(config: ModelConfig, inputs: BackboneInputs): [number, number] {
  const textLen = inputs.textLength ?? config.maxTextTokens;
  if (!Number.isInteger(textLen) || textLen < 0 || textLen > config.maxTextTokens)
    throw new Error(`textLength: ${textLen} is not a whole number in [0, ${config.maxTextTokens}]`);
  const batch = textLen > 0 ? inputs.textTokens.length / textLen : (inputs.extra?.shape[0] ?? inputs.image?.xt.shape[0] ?? 0);
  if (!Number.isInteger(batch) || batch === 0)
    throw new Error(`textTokens: ${inputs.textTokens.length} ids is not a whole number of ${textLen}-token rows`);
  if (textLen === 0 && inputs.textTokens.length > 0) throw new Error(`textTokens: ${inputs.textTokens.length} ids for textLength 0`);
  return [textLen, batch];
}

/** The transformer over [text ; extra ; image]: the residual stream after the last block, [B, T, D] (no final norm). */
export function runBackbone(model: UnifiedModel, inputs: BackboneInputs): tf.Tensor3D {
  return tf.tidy(() => {
    const { config, params } = model;
    const time = inputs.image === undefined ? undefined : timeEmbedding(model, inputs.image.t); // [B, D]
    let x = embed(model, inputs, time);
    const [textLen, batch] = textShape(config, inputs);
    const bias = attentionBias(inputs.textTokens, textLen, batch, config, x.shape[1]);
    const textSideLen = textLen + (inputs.extra?.shape[1] ?? 0);
    const observer = mlpObserver(); // undefined unless activations are being recorded (lib/eval/activations.ts)
    params.blocks.forEach((block, layer) => {
      x = tf.add(x, attention(layerNorm(x, block.attnNorm, config.layerNormEps) as tf.Tensor3D, block, bias, config));
      const sink: HiddenSink | undefined =
        observer === undefined
          ? undefined
          : (weights, hidden, firstToken) => observer({ layer, weights, hidden, firstToken, textTokens: inputs.textTokens });
      x = tf.add(x, blockMlp(layerNorm(x, block.mlpNorm, config.layerNormEps) as tf.Tensor3D, block, textSideLen, sink));
    });
    return x;
  });
}

/**
 * The velocity field v_theta(x_t, t, text[, plan]) on image tokens: [B, Np, patchDim]. Without `extra`
 * the sequence is [text ; image]; think mode passes the 4 plan tokens (or the null plan) as `extra`.
 */
export function predictVelocity(model: UnifiedModel, inputs: VelocityInputs & { extra?: tf.Tensor3D }): tf.Tensor3D {
  return tf.tidy(() => {
    const { config, params } = model;
    const { patchDim } = modelDims(config);
    if (inputs.xt.shape[2] !== patchDim) throw new Error(`xt: expected ${patchDim} values per token, got ${inputs.xt.shape[2]}`);
    const canvas = inputs.canvasTerms ?? velocityCanvasTerms(model, inputs.planCanvas);
    const image = { xt: inputs.xt, t: inputs.t, mark: inputs.planMap, canvas };
    const { textTokens, textLength, extra } = inputs;
    const x = runBackbone(model, { textTokens, textLength, extra, image });
    const imageStart = (textLength ?? config.maxTextTokens) + (extra?.shape[1] ?? 0);
    const imageTokens = tf.slice(x, [0, imageStart, 0], [-1, -1, -1]); // [B, Np, D]
    const head = dense(layerNorm(imageTokens, params.finalNorm, config.layerNormEps), params.head) as tf.Tensor3D; // [B, Np, patchDim]
    const out = params.conv === undefined ? head : refineVelocity(head, inputs.xt, params.conv, config, canvas);
    if (!config.cleanPrediction) return out;
    // x-prediction: out is x0_hat; x_t = (1 - t) x0 + t eps gives v = eps - x0 = (x_t - x0) / t.
    const t = tf.maximum(inputs.t, config.cleanPredictionMinT).reshape([-1, 1, 1]);
    return tf.div(tf.sub(inputs.xt, out), t) as tf.Tensor3D;
  });
}

/** The clean image a velocity implies: x0_hat = x_t - t * v (from x_t = (1 - t) x0 + t eps and v = eps - x0). */
export function cleanEstimate(xt: tf.Tensor3D, t: tf.Tensor1D | number, v: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => tf.sub(xt, tf.mul(typeof t === 'number' ? t : t.reshape([-1, 1, 1]), v)) as tf.Tensor3D);
}
