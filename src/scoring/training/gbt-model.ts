/**
 * A trained gradient-boosted tree ensemble and its TypeScript predictor.
 *
 * The predictor mirrors the exported ONNX graph (onnx-export.ts): inputs are
 * rounded to float32 (the ONNX input is a float32 tensor), thresholds and leaf
 * values are float32 (TreeEnsembleRegressor's nodes_values and target_weights
 * are FLOATS attributes), a node sends x to its "true" (left) child when
 * x <= threshold (BRANCH_LEQ), and the raw score is base + Σ leaves
 * (aggregate_function SUM, base_values) before the logistic function.
 */

/** One regression tree in flat arrays; node 0 is the root. */
export interface GbtTree {
  /** Split feature per node, or -1 for a leaf. */
  readonly feature: Int32Array;
  /** Split threshold (float32); 0 on leaves. */
  readonly threshold: Float32Array;
  /** Child taken when x <= threshold; -1 on leaves. */
  readonly left: Int32Array;
  /** Child taken otherwise (including NaN); -1 on leaves. */
  readonly right: Int32Array;
  /** Leaf value (learning rate already applied, float32); 0 on splits. */
  readonly value: Float32Array;
}

/** A binary classifier: P(y = 1 | x) = sigmoid(baseScore + Σ tree(x)). */
export interface GbtModel {
  readonly featureCount: number;
  /** Initial raw score (log-odds), a float32 value. */
  readonly baseScore: number;
  readonly trees: readonly GbtTree[];
}

/** The logistic function, as ONNX Sigmoid defines it: 1 / (1 + exp(-x)). */
export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Index of the leaf that the row starting at x[offset] reaches. */
export function leafIndex(tree: GbtTree, x: ArrayLike<number>, offset: number): number {
  const { feature, threshold, left, right } = tree;
  let node = 0;
  for (let f = feature[0]!; f >= 0; f = feature[node]!) {
    // Math.fround: the ONNX model compares float32 inputs, so must we.
    node = Math.fround(x[offset + f]!) <= threshold[node]! ? left[node]! : right[node]!;
  }
  return node;
}

function rowCount(model: GbtModel, x: ArrayLike<number>): number {
  if (x.length % model.featureCount !== 0) {
    throw new RangeError(`input length ${x.length} is not a multiple of ${model.featureCount} features`);
  }
  return x.length / model.featureCount;
}

/**
 * Adds one tree's leaf values to per-row float32 sums. A Float32Array store
 * rounds each double sum of two float32 values, which is exactly a float32
 * addition.
 */
export function addTree(sums: Float32Array, tree: GbtTree, x: ArrayLike<number>, featureCount: number): void {
  for (let r = 0; r < sums.length; r++) sums[r]! += tree.value[leafIndex(tree, x, r * featureCount)]!;
}

/**
 * Raw scores (log-odds) of row-major `[N, featureCount]` input, computed the
 * way onnxruntime evaluates TreeEnsembleRegressor on float input: leaf values
 * summed in float32, tree by tree from 0, then base_values added in float32.
 * The ONNX spec leaves the accumulation precision open; mirroring the runtime
 * keeps TypeScript and ONNX scores within ~1e-7.
 */
export function predictRaw(model: GbtModel, x: ArrayLike<number>): Float64Array {
  const sums = new Float32Array(rowCount(model, x));
  for (const tree of model.trees) addTree(sums, tree, x, model.featureCount);
  return Float64Array.from(sums, (s) => Math.fround(s + model.baseScore));
}

/** Probabilities of the positive class of row-major `[N, featureCount]` input. */
export function predictProba(model: GbtModel, x: ArrayLike<number>): Float64Array {
  return predictRaw(model, x).map(sigmoid);
}

/** Number of nodes (splits and leaves) over all trees. */
export function nodeCount(model: GbtModel): number {
  return model.trees.reduce((n, t) => n + t.feature.length, 0);
}
