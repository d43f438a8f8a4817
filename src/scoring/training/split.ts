/**
 * Deterministic train / held-out splits and row gathering.
 *
 * `splitByKey` hashes a stable key per row (e.g. the invoice id), so a row
 * lands on the same side whatever order the rows arrive in and however many
 * other rows exist — re-running training on more data never moves an old
 * held-out invoice into training. `splitByTime` holds out the most recent
 * rows, the honest choice for a model that will score future invoices.
 */
import { hashUnit } from '../../source/populate/prng.ts';

/** Row indices of each side, ascending. */
export interface SplitIndices {
  readonly train: Uint32Array;
  readonly heldOut: Uint32Array;
}

const TWO_POW_32 = 4294967296;

function checkFraction(fraction: number): void {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`heldOutFraction must be in [0, 1], got ${fraction}`);
}

/** Splits a 64-bit key into its two 32-bit halves, so bigint and number keys hash alike. */
function keyParts(key: number | bigint): [number, number] {
  if (typeof key === 'bigint') {
    return [Number(key & 0xffffffffn), Number((key >> 32n) & 0xffffffffn)];
  }
  if (!Number.isSafeInteger(key)) throw new RangeError(`split key must be a safe integer or a bigint, got ${key}`);
  return [key >>> 0, Math.floor(key / TWO_POW_32) >>> 0];
}

function fromMask(heldOut: Uint8Array): SplitIndices {
  const train: number[] = [];
  const held: number[] = [];
  heldOut.forEach((h, i) => (h === 1 ? held : train).push(i));
  return { train: Uint32Array.from(train), heldOut: Uint32Array.from(held) };
}

/**
 * Holds out each row independently with probability `heldOutFraction`,
 * decided by a seeded hash of its key (the row index when no keys are given).
 */
export function splitByKey(
  rows: number,
  options: { readonly heldOutFraction: number; readonly seed: number; readonly keys?: ArrayLike<number | bigint> },
): SplitIndices {
  checkFraction(options.heldOutFraction);
  const { keys } = options;
  if (keys !== undefined && keys.length !== rows) throw new RangeError(`${keys.length} keys for ${rows} rows`);
  const mask = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const [lo, hi] = keyParts(keys === undefined ? i : keys[i]!);
    mask[i] = hashUnit(options.seed, lo, hi) < options.heldOutFraction ? 1 : 0;
  }
  return fromMask(mask);
}

/**
 * Holds out the latest ceil(heldOutFraction·N) rows by time (any monotonic
 * unit: µs since the epoch as bigint, ms as number). Equal times are ordered
 * by row index, so the result is deterministic.
 */
export function splitByTime(times: ArrayLike<number | bigint>, heldOutFraction: number): SplitIndices {
  checkFraction(heldOutFraction);
  const n = times.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const ta = times[a]!;
    const tb = times[b]!;
    return ta < tb ? -1 : ta > tb ? 1 : a - b;
  });
  const mask = new Uint8Array(n);
  const held = Math.ceil(heldOutFraction * n);
  for (let k = n - held; k < n; k++) mask[order[k]!] = 1;
  return fromMask(mask);
}

/** The given rows of a row-major `[N, featureCount]` matrix, as float32 (the model's input type). */
export function takeRows(x: ArrayLike<number>, featureCount: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * featureCount);
  for (let k = 0; k < indices.length; k++) {
    const o = indices[k]! * featureCount;
    if (o + featureCount > x.length) throw new RangeError(`row ${indices[k]} is out of range`);
    for (let f = 0; f < featureCount; f++) out[k * featureCount + f] = x[o + f]!;
  }
  return out;
}

/** The given entries of a label vector. */
export function takeLabels(y: ArrayLike<number>, indices: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) out[k] = y[indices[k]!]!;
  return out;
}
