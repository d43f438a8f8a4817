/**
 * Grows one regression tree on binned features from per-row gradients and
 * hessians (second-order boosting, as in XGBoost/LightGBM):
 *  - split finding scans per-bin sums of (gradient, hessian, count);
 *  - the gain of a split is ½·[G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)];
 *  - a leaf's value is the Newton step −G/(H+λ), times the learning rate;
 *  - only the smaller child's histogram is built from rows, the larger one is
 *    parent − smaller (the "histogram subtraction" trick), which halves the work.
 * Growth is depth-first up to maxDepth, which yields the same tree as
 * level-wise growth because each node's split depends only on its own rows.
 */
import type { BinnedMatrix } from './gbt-binning.ts';
import type { GbtTree } from './gbt-model.ts';

/** Tree-shape and regularisation parameters. */
export interface TreeParams {
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  /** Minimum sum of hessians in a leaf (XGBoost's min_child_weight). */
  readonly minHessianLeaf: number;
  /** L2 regularisation λ on leaf values. */
  readonly l2: number;
  /** Minimum gain to split (XGBoost's gamma). */
  readonly minSplitGain: number;
  readonly learningRate: number;
}

/** A tree plus, per split node, the bin index its threshold came from (to route binned rows). */
export interface GrownTree {
  readonly tree: GbtTree;
  readonly splitBin: Int32Array;
}

/** Grows trees over one binned matrix, reusing histogram and scratch buffers. */
export type TreeGrower = (grad: Float64Array, hess: Float64Array, rows: Uint32Array, featureMask: Uint8Array) => GrownTree;

interface Split {
  feature: number;
  bin: number;
  gain: number;
  gl: number;
  hl: number;
  cl: number;
}

/** Creates a grower for `data` (histograms use a stride of the largest bin count). */
export function createTreeGrower(data: BinnedMatrix, params: TreeParams): TreeGrower {
  const F = data.featureCount;
  const { bins, edges } = data;
  const binCounts = edges.map((e) => e.length + 1);
  const stride = Math.max(1, ...binCounts);
  const histSize = F * stride * 3;
  const pool: Float64Array[] = [];
  const takeHist = (): Float64Array => pool.pop()?.fill(0) ?? new Float64Array(histSize);
  let scratch = new Uint32Array(0);
  const { l2, minSamplesLeaf, minHessianLeaf } = params;

  function fillHist(hist: Float64Array, idx: Uint32Array, start: number, end: number, g: Float64Array, h: Float64Array): void {
    for (let k = start; k < end; k++) {
      const r = idx[k]!;
      const gr = g[r]!;
      const hr = h[r]!;
      const o = r * F;
      for (let f = 0; f < F; f++) {
        const j = (f * stride + bins[o + f]!) * 3;
        hist[j]! += gr;
        hist[j + 1]! += hr;
        hist[j + 2]! += 1;
      }
    }
  }

  function bestSplit(hist: Float64Array, G: number, H: number, C: number, mask: Uint8Array): Split | undefined {
    const parent = (G * G) / (H + l2);
    let best: Split | undefined;
    let bestGain = Math.max(params.minSplitGain, 1e-12);
    for (let f = 0; f < F; f++) {
      if (mask[f] === 0) continue;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      const last = binCounts[f]! - 1;
      for (let b = 0; b < last; b++) {
        const j = (f * stride + b) * 3;
        gl += hist[j]!;
        hl += hist[j + 1]!;
        cl += hist[j + 2]!;
        if (cl < minSamplesLeaf || hl < minHessianLeaf) continue;
        const hr = H - hl;
        // Right-hand sums only shrink as b grows: no later bin can qualify.
        if (C - cl < minSamplesLeaf || hr < minHessianLeaf) break;
        const gr = G - gl;
        const gain = 0.5 * ((gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent);
        if (gain > bestGain) {
          bestGain = gain;
          best = { feature: f, bin: b, gain, gl, hl, cl };
        }
      }
    }
    return best;
  }

  /** Stable partition of idx[start, end) into rows with bin <= split bin, then the rest. */
  function partition(idx: Uint32Array, start: number, end: number, feature: number, bin: number): number {
    let w = start;
    let s = 0;
    for (let k = start; k < end; k++) {
      const r = idx[k]!;
      if (bins[r * F + feature]! <= bin) idx[w++] = r;
      else scratch[s++] = r;
    }
    idx.set(scratch.subarray(0, s), w);
    return w;
  }

  return (g, h, idx, mask) => {
    if (scratch.length < idx.length) scratch = new Uint32Array(idx.length);
    const feature: number[] = [];
    const threshold: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const value: number[] = [];
    const splitBin: number[] = [];
    const addNode = (): number => {
      feature.push(-1);
      threshold.push(0);
      left.push(-1);
      right.push(-1);
      value.push(0);
      splitBin.push(-1);
      return feature.length - 1;
    };

    const grow = (hist: Float64Array, start: number, end: number, G: number, H: number, depth: number): number => {
      const node = addNode();
      const C = end - start;
      const split = depth < params.maxDepth && C >= 2 * minSamplesLeaf ? bestSplit(hist, G, H, C, mask) : undefined;
      if (split === undefined) {
        value[node] = Math.fround((-G / (H + l2)) * params.learningRate);
        pool.push(hist);
        return node;
      }
      const mid = partition(idx, start, end, split.feature, split.bin);
      const leftIsSmaller = mid - start <= end - mid;
      const small = takeHist();
      if (leftIsSmaller) fillHist(small, idx, start, mid, g, h);
      else fillHist(small, idx, mid, end, g, h);
      // The parent's buffer becomes the larger child's histogram.
      for (let j = 0; j < histSize; j++) hist[j]! -= small[j]!;
      const leftHist = leftIsSmaller ? small : hist;
      const rightHist = leftIsSmaller ? hist : small;
      feature[node] = split.feature;
      threshold[node] = edges[split.feature]![split.bin]!;
      splitBin[node] = split.bin;
      left[node] = grow(leftHist, start, mid, split.gl, split.hl, depth + 1);
      right[node] = grow(rightHist, mid, end, G - split.gl, H - split.hl, depth + 1);
      return node;
    };

    const root = takeHist();
    fillHist(root, idx, 0, idx.length, g, h);
    let G = 0;
    let H = 0;
    for (const r of idx) {
      G += g[r]!;
      H += h[r]!;
    }
    grow(root, 0, idx.length, G, H, 0);
    return {
      tree: {
        feature: Int32Array.from(feature),
        threshold: Float32Array.from(threshold),
        left: Int32Array.from(left),
        right: Int32Array.from(right),
        value: Float32Array.from(value),
      },
      splitBin: Int32Array.from(splitBin),
    };
  };
}

/** Leaf reached by row r of a binned matrix (identical to leafIndex on the raw float32 row). */
export function binnedLeaf(grown: GrownTree, data: BinnedMatrix, r: number): number {
  const { feature, left, right } = grown.tree;
  const o = r * data.featureCount;
  let node = 0;
  for (let f = feature[0]!; f >= 0; f = feature[node]!) {
    node = data.bins[o + f]! <= grown.splitBin[node]! ? left[node]! : right[node]!;
  }
  return node;
}
