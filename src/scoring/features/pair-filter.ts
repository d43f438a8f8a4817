/**
 * "Has this issuer invoiced this receiver before?" in fixed memory: a Bloom
 * filter over hashed (issuer, receiver) pairs.
 *
 * An exact set of pairs grows without bound (every new pair adds an entry);
 * the filter is a fixed bitmap of 2^bitsLog2 bits and `probes` bit positions
 * per pair, all derived by pure 32-bit integer hashing of the ids. The answer
 * therefore depends only on which pairs were observed, never on insertion
 * order, process history or platform, and a checkpoint is just the bitmap.
 *
 * It never forgets a pair (no false negatives). A pair never seen reads as
 * seen with probability about (1 - e^(-k·n/m))^k for n distinct pairs, m bits
 * and k probes. With the defaults (m = 2^26 bits = 8 MiB, k = 3):
 * n = 200,000 → 0.00007 %; 1,000,000 → 0.008 %; 2,000,000 → 0.06 %;
 * 5,000,000 → 0.8 %; 10,000,000 → 4.7 % (then raise `pairBitsLog2`).
 */
import { mix32 } from '../../source/populate/prng.ts';

/** Default filter size: 2^26 bits (8 MiB). */
export const DEFAULT_PAIR_BITS_LOG2 = 26;
/** Default bit positions per pair. */
export const DEFAULT_PAIR_PROBES = 3;


/** Hash of four 32-bit words (the two halves of two 64-bit ids) with a domain seed. */
export function hashWords(seed: number, a: number, b: number, c: number, d: number): number {
  let h = mix32(seed ^ 0x2545f491);
  h = mix32((h ^ a) >>> 0);
  h = mix32((h + Math.imul(b, 0x9e3779b9)) >>> 0);
  h = mix32((h ^ c) >>> 0);
  h = mix32((h + Math.imul(d, 0x85ebca6b)) >>> 0);
  return h;
}

/** A fixed-size Bloom filter of (issuer, receiver) pairs. */
export class PairFilter {
  readonly bitsLog2: number;
  readonly probes: number;
  /** The bitmap, 32 bits per word; exposed for checkpoints. */
  readonly words: Uint32Array;
  private readonly shift: number;

  /** A filter of 2^bitsLog2 bits (16..32) with `probes` positions per pair (1..8); `words` restores a bitmap. */
  constructor(bitsLog2: number = DEFAULT_PAIR_BITS_LOG2, probes: number = DEFAULT_PAIR_PROBES, words?: Uint32Array) {
    if (!Number.isInteger(bitsLog2) || bitsLog2 < 16 || bitsLog2 > 32) {
      throw new RangeError(`pair filter size must be 2^16..2^32 bits, got 2^${bitsLog2}`);
    }
    if (!Number.isInteger(probes) || probes < 1 || probes > 8) throw new RangeError(`pair filter probes must be 1..8, got ${probes}`);
    const wordCount = 2 ** (bitsLog2 - 5);
    if (words !== undefined && words.length !== wordCount) {
      throw new RangeError(`pair filter bitmap has ${words.length} words, expected ${wordCount}`);
    }
    this.bitsLog2 = bitsLog2;
    this.probes = probes;
    this.words = words ?? new Uint32Array(wordCount);
    this.shift = 32 - bitsLog2;
  }

  /** True when the pair was (probably) added before; never false for an added pair. */
  has(issuerLo: number, issuerHi: number, receiverLo: number, receiverHi: number): boolean {
    const h1 = hashWords(0x51ed270b, issuerLo, issuerHi, receiverLo, receiverHi);
    // An odd second hash walks distinct positions (Kirsch–Mitzenmacher double hashing).
    const h2 = hashWords(0x2f6b4e1d, issuerLo, issuerHi, receiverLo, receiverHi) | 1;
    for (let i = 0; i < this.probes; i++) {
      const bit = this.position(h1, h2, i);
      if (((this.words[bit >>> 5] ?? 0) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  /** Records the pair. */
  add(issuerLo: number, issuerHi: number, receiverLo: number, receiverHi: number): void {
    const h1 = hashWords(0x51ed270b, issuerLo, issuerHi, receiverLo, receiverHi);
    const h2 = hashWords(0x2f6b4e1d, issuerLo, issuerHi, receiverLo, receiverHi) | 1;
    for (let i = 0; i < this.probes; i++) {
      const bit = this.position(h1, h2, i);
      const word = bit >>> 5;
      this.words[word] = (this.words[word] ?? 0) | (1 << (bit & 31));
    }
  }

  /** Bit index of probe `i`: a remixed double hash, top bits kept (the best-mixed ones). */
  private position(h1: number, h2: number, i: number): number {
    return mix32((h1 + Math.imul(i, h2)) >>> 0) >>> this.shift;
  }
}
