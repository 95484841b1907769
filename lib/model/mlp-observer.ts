// An optional window onto the MLP hidden units of the backbone (paper Appendix B: "the activation value of neuron i",
// the output of its activation function). The forward pass hands each block's GELU output to the observer installed
// by `observingMlp`, inside its own tf.tidy, so the observer reads what it needs (e.g. dataSync of a reduction) and
// every tensor it makes is released with the forward's. With no observer the forward pays one undefined check per block.
import type * as tf from '../backend/tf';

/** Which MLP of a block: the shared one (of image tokens only under mixtureOfTransformers), or the text-side one. */
export type MlpWeights = 'mlp' | 'textMlp';

/** One block's MLP hidden activations in one forward pass. */
export interface MlpActivation {
  /** Block index, 0 = nearest the input. */
  layer: number;
  weights: MlpWeights;
  /** GELU(x W_up + b_up), [B, T', mlpDim]: the tokens this MLP read, T' = T unless mixtureOfTransformers splits them. */
  hidden: tf.Tensor3D;
  /** Sequence position of hidden's first token (0, or the first image token under mixtureOfTransformers). */
  firstToken: number;
  /** The forward's text token ids, [B * text length] row-major (0 = PAD), which open the sequence: an observer can skip PAD positions. */
  textTokens: Int32Array;
}

export type MlpObserver = (activation: MlpActivation) => void;

let current: MlpObserver | undefined;

/** The installed observer, if any (read by the backbone's forward). */
export function mlpObserver(): MlpObserver | undefined {
  return current;
}

/** Runs `body` with `observer` receiving every MLP activation of every forward inside it; the previous observer is restored after. */
export function observingMlp<T>(observer: MlpObserver, body: () => T): T {
  const previous = current;
  current = observer;
  try {
    return body();
  } finally {
    current = previous;
  }
}
