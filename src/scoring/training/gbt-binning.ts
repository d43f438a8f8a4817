/**
 * Quantile binning for histogram-based split finding.
 *
 * Every feature value is mapped to a small bin index once, before training;
 * split finding then scans per-bin gradient sums instead of sorting rows.
 * Bin b of a feature holds the values x with edges[b-1] < x <= edges[b], so
 * "bin <= b" is exactly "x <= edges[b]": the split a tree learns on bins is
 * the split `BRANCH_LEQ` with threshold edges[b] makes at inference
 * (ai.onnx.ml TreeEnsembleRegressor, nodes_modes). Edges are float32 values
 * and the comparison is made on float32 inputs, as ONNX Runtime does.
 */

/** Row-major `[rows, featureCount]` bin indices plus the edges that produced them. */
export interface BinnedMatrix {
  readonly rows: number;
  readonly featureCount: number;
  /** bins[r * featureCount + f]: bin of row r, feature f. */
  readonly bins: Uint8Array;
  /** Per feature, strictly ascending float32 upper edges; bin count = length + 1. */
  readonly edges: readonly Float32Array[];
}

/** Largest number of bins a feature may use: bin indices are stored in a byte. */
export const MAX_BINS_LIMIT = 256;

/**
 * Upper bin edges of one feature from its (float32) values: every distinct
 * value when there are at most maxBins of them (binary and small integer
 * features keep every possible split), else roughly equal-count bins.
 * NaN is ignored here; it always lands in the last bin (see binOf).
 */
export function quantileEdges(values: Float32Array, maxBins: number): Float32Array {
  // A plain loop: TypedArray.prototype.filter with a callback is several times slower here.
  const kept = new Float32Array(values.length);
  let n = 0;
  for (const v of values) if (!Number.isNaN(v)) kept[n++] = v;
  const sorted = kept.subarray(0, n).sort();
  const distinct: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) {
      distinct.push(sorted[i]!);
      counts.push(0);
    }
    counts[counts.length - 1]!++;
  }
  // The largest value needs no edge of its own: it falls in the last bin.
  if (distinct.length <= maxBins) return Float32Array.from(distinct.slice(0, -1));
  // Close a bin once it holds its share of the rows not yet binned. Recomputing
  // the share after each bin keeps a point mass (say 90% zeros) from eating the
  // bins the remaining values need.
  const edges: number[] = [];
  let rest = n;
  let binsLeft = maxBins;
  let inBin = 0;
  for (let i = 0; i < distinct.length - 1 && binsLeft > 1; i++) {
    inBin += counts[i]!;
    if (inBin >= rest / binsLeft) {
      edges.push(distinct[i]!);
      rest -= inBin;
      binsLeft--;
      inBin = 0;
    }
  }
  return Float32Array.from(edges);
}

/**
 * Bin of a value: the first b with x <= edges[b], else the last bin. NaN
 * compares false with everything and so goes to the last bin, which is the
 * "false" branch of every split — the same way ONNX Runtime routes NaN when
 * nodes_missing_value_tracks_true is 0 (its default).
 */
export function binOf(edges: Float32Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return Number.isNaN(x) ? edges.length : lo;
}

/**
 * Bins a row-major `[rows, featureCount]` matrix. Edges come from at most
 * `sampleRows` evenly spaced rows (deterministic, no randomness needed);
 * values are rounded to float32 first because the exported model sees float32.
 */
export function binMatrix(
  x: ArrayLike<number>,
  rows: number,
  featureCount: number,
  maxBins: number,
  sampleRows = 100_000,
): BinnedMatrix {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_BINS_LIMIT) {
    throw new RangeError(`maxBins must be an integer in [2, ${MAX_BINS_LIMIT}], got ${maxBins}`);
  }
  const step = Math.max(1, Math.ceil(rows / sampleRows));
  const sampled = Math.ceil(rows / step);
  const edges: Float32Array[] = [];
  const column = new Float32Array(sampled);
  for (let f = 0; f < featureCount; f++) {
    for (let s = 0; s < sampled; s++) column[s] = x[s * step * featureCount + f]!;
    edges.push(quantileEdges(column, maxBins));
  }
  const bins = new Uint8Array(rows * featureCount);
  for (let r = 0; r < rows; r++) {
    const o = r * featureCount;
    for (let f = 0; f < featureCount; f++) bins[o + f] = binOf(edges[f]!, Math.fround(x[o + f]!));
  }
  return { rows, featureCount, bins, edges };
}
