// One transformer backbone over [text tokens ; image patch tokens] in one sequence (Transfusion/Bagel-like):
// pre-LayerNorm blocks of multi-head attention and a GELU MLP; the image tokens carry the flow time.
// Layout choices are for speed on wasm (attention.ts): heads are folded into the batch of 3-D matmuls,
// the fused QKV output is split with one 4-D transpose, and no 5-D transpose or gather gradient is needed.
import * as tf from '../backend/tf';
import { matMul } from '../backend/ops';
import { modelDims, type ModelConfig } from './config';
import { attention } from './attention';
import { dense, gelu, layerNorm, silu } from './layers';
import type { BlockParams, MlpParams, UnifiedModel } from './params';

/** Additive attention bias for masked keys (finite, so a fully masked row stays a uniform softmax, not NaN). */
const MASKED = -1e9;

export interface VelocityInputs {
  /** Noisy image tokens x_t, [B, Np, patchDim] in the patches.ts layout. */
  xt: tf.Tensor3D;
  /** Flow time per sample, [B], t = 1 is pure noise. */
  t: tf.Tensor1D;
  /** Text token ids, [B * maxTextTokens] row-major, 0 = PAD (an all-PAD row is the unconditional prompt). */
  textTokens: Int32Array;
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
 * Additive attention bias: PAD text keys are masked for every query; with textCausal, text queries
 * see only earlier text tokens. Shape [1, B, 1, T] (broadcast over heads and queries) or [1, B, T, T].
 */
function attentionBias(tokens: Int32Array, config: ModelConfig, batch: number): tf.Tensor4D {
  const textLen = config.maxTextTokens;
  const seqLen = modelDims(config).seqLen;
  const isPad = (b: number, j: number): boolean => j < textLen && tokens[b * textLen + j] === 0;
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

function mlp(x: tf.Tensor, params: MlpParams): tf.Tensor {
  return dense(gelu(dense(x, params.up)), params.down);
}

/** MLP of a block; with Mixture-of-Transformers, text and image tokens use separate weights. */
function blockMlp(h: tf.Tensor3D, block: BlockParams, textLen: number): tf.Tensor3D {
  if (block.textMlp === undefined) return mlp(h, block.mlp) as tf.Tensor3D;
  const text = tf.slice(h, [0, 0, 0], [-1, textLen, -1]); // [B, Tt, D]
  const image = tf.slice(h, [0, textLen, 0], [-1, -1, -1]); // [B, Np, D]
  return tf.concat([mlp(text, block.textMlp), mlp(image, block.mlp)], 1) as tf.Tensor3D; // [B, T, D]
}

/** Embeds [text ; image] tokens into the residual stream x [B, T, D]. */
function embed(model: UnifiedModel, inputs: VelocityInputs): tf.Tensor3D {
  const { config, params } = model;
  const batch = inputs.xt.shape[0];
  const textLen = config.maxTextTokens;
  if (inputs.textTokens.length !== batch * textLen) throw new Error(`textTokens: expected ${batch} x ${textLen} ids, got ${inputs.textTokens.length}`);
  const textEmbedded = matMul(oneHotTokens(inputs.textTokens, config.vocabSize), params.textEmbed).reshape([batch, textLen, config.dModel]); // [B, Tt, D]
  const text = tf.add(textEmbedded, params.textPos);
  const time = dense(silu(dense(timestepFeatures(inputs.t, config.timestepFeatures), params.timeIn)), params.timeOut); // [B, D]
  const patches = dense(inputs.xt, params.patchEmbed); // [B, Np, D]
  const image = tf.add(tf.add(patches, params.imagePos), time.reshape([batch, 1, config.dModel]));
  return tf.concat([text, image], 1) as tf.Tensor3D; // [B, T, D]
}

/** The velocity field v_theta(x_t, t, text) on image tokens: [B, Np, patchDim]. */
export function predictVelocity(model: UnifiedModel, inputs: VelocityInputs): tf.Tensor3D {
  const { config, params } = model;
  const { patchDim } = modelDims(config);
  if (inputs.xt.shape[2] !== patchDim) throw new Error(`xt: expected ${patchDim} values per token, got ${inputs.xt.shape[2]}`);
  return tf.tidy(() => {
    const bias = attentionBias(inputs.textTokens, config, inputs.xt.shape[0]);
    let x = embed(model, inputs);
    for (const block of params.blocks) {
      x = tf.add(x, attention(layerNorm(x, block.attnNorm, config.layerNormEps) as tf.Tensor3D, block, bias, config));
      x = tf.add(x, blockMlp(layerNorm(x, block.mlpNorm, config.layerNormEps) as tf.Tensor3D, block, config.maxTextTokens));
    }
    const imageTokens = tf.slice(x, [0, config.maxTextTokens, 0], [-1, -1, -1]); // [B, Np, D]
    return dense(layerNorm(imageTokens, params.finalNorm, config.layerNormEps), params.head) as tf.Tensor3D; // [B, Np, patchDim]
  });
}
