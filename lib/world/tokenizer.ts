// A word tokenizer with a fixed vocabulary: id 0 is padding (also the "null" prompt for classifier-free guidance).
import { PROMPT_WORDS } from './words';

export const PAD_ID = 0;
export const SPECIAL_TOKENS = ['[PAD]'] as const;
export const VOCAB: readonly string[] = [...SPECIAL_TOKENS, ...PROMPT_WORDS];
export const VOCAB_SIZE = VOCAB.length;
/** Longest prompt of the grammar is 14 words ("a small striped red circle on the left of a large checkered blue square"). */
export const MAX_PROMPT_TOKENS = 16;

const idOf = new Map(VOCAB.map((word, id) => [word, id]));

export class UnknownWordError extends Error {
  constructor(
    readonly word: string,
    readonly text: string,
  ) {
    super(`unknown word "${word}" in prompt "${text}" (the world's vocabulary: ${PROMPT_WORDS.join(', ')})`);
    this.name = 'UnknownWordError';
  }
}

/** Lower-case words of a prompt, with surrounding punctuation removed. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/^[.,;:!?"']+|[.,;:!?"']+$/g, ''))
    .filter((w) => w.length > 0);
}

/** Token ids padded with PAD_ID to `length`; throws on an unknown word or a prompt that is too long. */
export function encode(text: string, length = MAX_PROMPT_TOKENS): Int32Array {
  const ws = words(text);
  if (ws.length > length) throw new Error(`prompt "${text}" has ${ws.length} words; at most ${length} fit`);
  const ids = new Int32Array(length);
  ws.forEach((w, i) => {
    const id = idOf.get(w);
    if (id === undefined) throw new UnknownWordError(w, text);
    ids[i] = id;
  });
  return ids;
}

/** Several prompts' ids, one padded row of `length` after another: Int32Array [texts, length]. */
export function encodeBatch(texts: readonly string[], length = MAX_PROMPT_TOKENS): Int32Array {
  const out = new Int32Array(texts.length * length);
  texts.forEach((text, b) => out.set(encode(text, length), b * length));
  return out;
}

export function decode(ids: ArrayLike<number>): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === PAD_ID) continue;
    const word = VOCAB[ids[i]];
    if (word === undefined) throw new Error(`token id ${ids[i]} is outside the vocabulary (size ${VOCAB_SIZE})`);
    out.push(word);
  }
  return out.join(' ');
}
