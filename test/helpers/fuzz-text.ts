// Seeded random text for fuzzing the judge parsers: key fragments mixed with arbitrary characters (lone
// surrogates, emoji, printable ASCII), a long digit run now and then, and a huge reply every `hugeEvery` strings.
import type { Rng } from '../../lib/rng';

export interface FuzzTextOptions {
  /** Fragments the parsers look for (keys, separators, numbers). */
  pieces: readonly string[];
  /** At most this many parts per string. */
  maxParts: number;
  /** Probability that a part is a fragment rather than a random character. */
  pieceShare: number;
  /** Probability of a trailing run of up to 500 equal digits. */
  digitRunShare: number;
  /** The n-th string (n % hugeEvery === 0) is repeated up to hugeChars characters. */
  hugeEvery: number;
  hugeChars: number;
}

function randomChar(rng: Rng): string {
  const kind = rng.int(0, 3);
  if (kind === 0) return String.fromCharCode(rng.int(0, 0xffff)); // includes lone surrogates
  if (kind === 1) return String.fromCodePoint(rng.int(0x1f300, 0x1faff));
  return String.fromCharCode(rng.int(32, 126));
}

/** The n-th fuzz string (call with n = 0, 1, 2, ... on one rng). */
export function fuzzText(rng: Rng, n: number, options: FuzzTextOptions): string {
  const parts: string[] = [];
  const length = rng.int(0, options.maxParts);
  for (let k = 0; k < length; k++) parts.push(rng.next() < options.pieceShare ? rng.pick(options.pieces) : randomChar(rng));
  if (rng.next() < options.digitRunShare) parts.push(String(rng.int(0, 9)).repeat(rng.int(1, 500)));
  const text = parts.join('');
  if (n % options.hugeEvery !== 0) return text;
  return text.repeat(Math.ceil(options.hugeChars / Math.max(1, text.length))).slice(0, options.hugeChars);
}
