/**
 * Seeded randomness for the synthetic data generator.
 *
 * Two tools, both pure and reproducible across platforms (only 32-bit integer
 * math via Math.imul and shifts, no Math.random):
 *  - `createRng(seed)`: a sequential xoshiro128** stream for per-row draws;
 *  - `hashUnit(...)`: a stateless hash of integers to [0, 1), so properties of
 *    customer #i (country, name, regular receivers) can be recomputed anywhere
 *    without storing a table of N customers.
 */

/** A sequential pseudo-random stream. */
export interface Rng {
  /** Uniform unsigned 32-bit integer. */
  u32(): number;
  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number;
  /** Uniform in [0, 1) with 53 bits of resolution (needed for microsecond timestamps over months). */
  next53(): number;
  /** Uniform integer in [0, n) for 1 <= n <= 2^53. */
  int(n: number): number;
  /** Standard normal draw. */
  normal(): number;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** Wellons' lowbias32 integer finaliser: a good 32-bit avalanche in five operations. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Folds a safe integer (seeds may exceed 32 bits) into the hash state so that
 * seeds differing only in their high bits still give different streams.
 */
function foldPart(h: number, part: number): number {
  const lo = part >>> 0;
  const hi = Math.floor(part / TWO_POW_32) >>> 0;
  return mix32((mix32((h ^ lo) >>> 0) + Math.imul(hi, 0x9e3779b9)) >>> 0);
}

/** Stateless hash of a list of integers to an unsigned 32-bit integer. */
export function hash32(...parts: readonly number[]): number {
  let h = 0x2545f491;
  for (const part of parts) h = foldPart(h, part);
  return h;
}

/** Stateless hash of a list of integers to [0, 1). */
export function hashUnit(...parts: readonly number[]): number {
  return hash32(...parts) / TWO_POW_32;
}

/** Standard normal from two independent uniforms in [0, 1) (Box–Muller). */
export function normalFromUniforms(u1: number, u2: number): number {
  // 1 - u1 is in (0, 1], so the logarithm is finite.
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** Creates a reproducible xoshiro128** stream; equal seeds give equal streams. */
export function createRng(seed: number): Rng {
  // Seed the 128-bit state by hashing, which also guarantees it is never all zero.
  let s0 = hash32(seed, 1);
  let s1 = hash32(seed, 2);
  let s2 = hash32(seed, 3);
  let s3 = hash32(seed, 4) | 1;
  let spareNormal: number | undefined;

  const u32 = (): number => {
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  };
  const next = (): number => u32() / TWO_POW_32;
  const next53 = (): number => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / TWO_POW_53;
  return {
    u32,
    next,
    next53,
    int: (n) => Math.floor(next53() * n),
    normal: () => {
      // Box–Muller yields two normals; keep the second for the next call.
      if (spareNormal !== undefined) {
        const z = spareNormal;
        spareNormal = undefined;
        return z;
      }
      const r = Math.sqrt(-2 * Math.log(1 - next53()));
      const theta = 2 * Math.PI * next();
      spareNormal = r * Math.sin(theta);
      return r * Math.cos(theta);
    },
  };
}
