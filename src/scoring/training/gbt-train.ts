/**
 * Gradient-boosted decision trees for binary classification, in pure
 * TypeScript: logistic loss, Newton leaf values, histogram split finding on
 * quantile bins, row and column subsampling from a seeded PRNG, L2
 * regularisation, optional early stopping on a validation set.
 *
 * Deterministic: the same input, options and seed give bit-identical trees
 * (no Math.random, no parallelism, fixed iteration orders).
 */
import { createRng, type Rng } from '../../source/populate/prng.ts';
import { binMatrix } from './gbt-binning.ts';
import { addTree, type GbtModel, type GbtTree } from './gbt-model.ts';
import { binnedLeaf, createTreeGrower } from './gbt-tree.ts';

/** Training data: row-major `[rows, featureCount]` features and 0/1 labels. */
export interface GbtTrainInput {
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly featureCount: number;
}

/** Hyper-parameters; every field is optional (see DEFAULT_GBT_OPTIONS). */
export interface GbtTrainOptions {
  /** Number of boosting rounds (trees), the maximum when early stopping. */
  readonly rounds: number;
  readonly learningRate: number;
  readonly maxDepth: number;
  /** Quantile bins per feature, 2–256. */
  readonly maxBins: number;
  readonly minSamplesLeaf: number;
  /** Minimum hessian sum per leaf (XGBoost's min_child_weight). */
  readonly minHessianLeaf: number;
  /** L2 regularisation λ on leaf values. */
  readonly l2: number;
  /** Minimum loss reduction to split (XGBoost's gamma). */
  readonly minSplitGain: number;
  /** Fraction of rows drawn (Bernoulli) for each tree. */
  readonly subsample: number;
  /** Fraction of features a tree may split on. */
  readonly featureFraction: number;
  /** Weight of positive rows in the loss (XGBoost's scale_pos_weight), for rare positives. */
  readonly positiveWeight: number;
  readonly seed: number;
  /** Held-out data for early stopping; its log-loss is reported per round. */
  readonly validation?: GbtTrainInput;
  /** Stop when the validation loss has not improved for this many rounds; keeps the best round. */
  readonly earlyStoppingRounds?: number;
  /** Called after each round (progress reporting). */
  readonly onRound?: (round: number, trainLoss: number, validLoss: number | undefined) => void;
}

/** Defaults suited to ~10⁵–10⁶ rows of tabular risk features. */
export const DEFAULT_GBT_OPTIONS: GbtTrainOptions = {
  rounds: 200,
  learningRate: 0.1,
  maxDepth: 6,
  maxBins: 64,
  minSamplesLeaf: 20,
  minHessianLeaf: 1e-3,
  l2: 1,
  minSplitGain: 0,
  subsample: 0.8,
  featureFraction: 1,
  positiveWeight: 1,
  seed: 1,
};

/** The model plus what happened while training it. */
export interface GbtTrainResult {
  readonly model: GbtModel;
  /** Unweighted mean log-loss on the training rows after each round. */
  readonly trainLoss: readonly number[];
  /** Mean log-loss on the validation rows after each round (empty without validation). */
  readonly validLoss: readonly number[];
  /** Round (0-based) whose trees were kept: the last, or the best one when early stopping. */
  readonly bestRound: number;
}

/** log(1 + e^z) without overflow. */
const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/** Mean log-loss of raw scores: softplus(z) − y·z equals −[y log p + (1−y) log(1−p)]. */
function rawLogLoss(raw: Float64Array, y: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < raw.length; i++) sum += softplus(raw[i]!) - y[i]! * raw[i]!;
  return sum / raw.length;
}

function checkInput(what: string, input: GbtTrainInput): number {
  const { x, y, featureCount } = input;
  if (!Number.isInteger(featureCount) || featureCount < 1) throw new RangeError(`${what}: featureCount must be a positive integer`);
  if (x.length !== y.length * featureCount) {
    throw new RangeError(`${what}: x has ${x.length} values, expected ${y.length} rows × ${featureCount} features`);
  }
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) throw new RangeError(`${what}: label of row ${i} is ${y[i]}, expected 0 or 1`);
  }
  return y.length;
}

function checkOptions(o: GbtTrainOptions): void {
  const bad = (name: string, ok: boolean): void => {
    if (!ok) throw new RangeError(`invalid GBT option ${name}`);
  };
  bad('rounds', Number.isInteger(o.rounds) && o.rounds >= 1);
  bad('learningRate', o.learningRate > 0);
  bad('maxDepth', Number.isInteger(o.maxDepth) && o.maxDepth >= 1);
  bad('minSamplesLeaf', o.minSamplesLeaf >= 1);
  bad('minHessianLeaf', o.minHessianLeaf >= 0);
  bad('l2', o.l2 >= 0);
  bad('subsample', o.subsample > 0 && o.subsample <= 1);
  bad('featureFraction', o.featureFraction > 0 && o.featureFraction <= 1);
  bad('positiveWeight', o.positiveWeight > 0);
}

/** Rows of this round's tree: all, or a seeded Bernoulli sample (never empty). */
function sampleRows(rows: number, fraction: number, rng: Rng): Uint32Array {
  if (fraction >= 1) return Uint32Array.from({ length: rows }, (_, i) => i);
  const picked = new Uint32Array(rows);
  let n = 0;
  for (let i = 0; i < rows; i++) if (rng.next() < fraction) picked[n++] = i;
  return n > 0 ? picked.slice(0, n) : sampleRows(rows, 1, rng);
}

/** This round's usable features: all, or a seeded random subset of round(F·fraction) ≥ 1. */
function sampleFeatures(features: number, fraction: number, rng: Rng): Uint8Array {
  const mask = new Uint8Array(features);
  if (fraction >= 1) return mask.fill(1);
  const order = Array.from({ length: features }, (_, i) => i);
  const keep = Math.max(1, Math.round(features * fraction));
  for (let i = 0; i < keep; i++) {
    const j = i + rng.int(features - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
    mask[order[i]!] = 1;
  }
  return mask;
}

/** Trains a binary classifier. Throws RangeError on malformed input or options. */
export function trainGbt(input: GbtTrainInput, options: Partial<GbtTrainOptions> = {}): GbtTrainResult {
  const o: GbtTrainOptions = { ...DEFAULT_GBT_OPTIONS, ...options };
  checkOptions(o);
  const rows = checkInput('training data', input);
  if (rows === 0) throw new RangeError('training data has no rows');
  const F = input.featureCount;
  const { y } = input;
  const valid = o.validation;
  if (valid !== undefined) {
    checkInput('validation data', valid);
    if (valid.featureCount !== F) throw new RangeError(`validation data has ${valid.featureCount} features, training data ${F}`);
  }

  // Start from the (weighted) prior log-odds so the first trees fit structure, not the base rate.
  let wPos = 0;
  for (let i = 0; i < rows; i++) wPos += y[i]! * o.positiveWeight;
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, wPos / (wPos + rows - wPos / o.positiveWeight)));
  const baseScore = Math.fround(Math.log(prior / (1 - prior)));

  const data = binMatrix(input.x, rows, F, o.maxBins);
  const grow = createTreeGrower(data, o);
  const rng = createRng(o.seed);
  // Tree sums in float32, raw = sum + base in float32: exactly predictRaw, so
  // training fits the scores the exported model will produce.
  const treeSum = new Float32Array(rows);
  const raw = new Float64Array(rows).fill(baseScore);
  const validSum = new Float32Array(valid?.y.length ?? 0);
  const validRaw = new Float64Array(validSum.length).fill(baseScore);
  const grad = new Float64Array(rows);
  const hess = new Float64Array(rows);
  const trees: GbtTree[] = [];
  const trainLoss: number[] = [];
  const validLoss: number[] = [];
  let bestRound = 0;

  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < rows; i++) {
      const p = 1 / (1 + Math.exp(-raw[i]!));
      const w = y[i] === 1 ? o.positiveWeight : 1;
      grad[i] = (p - y[i]!) * w;
      // Floor the hessian: saturated rows would otherwise divide by ~0 in a pure leaf.
      hess[i] = Math.max(p * (1 - p), 1e-16) * w;
    }
    const grown = grow(grad, hess, sampleRows(rows, o.subsample, rng), sampleFeatures(F, o.featureFraction, rng));
    const leafValues = grown.tree.value;
    for (let r = 0; r < rows; r++) {
      treeSum[r]! += leafValues[binnedLeaf(grown, data, r)]!;
      raw[r] = Math.fround(treeSum[r]! + baseScore);
    }
    trees.push(grown.tree);
    trainLoss.push(rawLogLoss(raw, y));

    if (valid !== undefined) {
      addTree(validSum, grown.tree, valid.x, F);
      for (let r = 0; r < validRaw.length; r++) validRaw[r] = Math.fround(validSum[r]! + baseScore);
      validLoss.push(rawLogLoss(validRaw, valid.y));
      if (validLoss[round]! < validLoss[bestRound]!) bestRound = round;
    } else bestRound = round;
    o.onRound?.(round, trainLoss[round]!, validLoss[round]);
    if (o.earlyStoppingRounds !== undefined && valid !== undefined && round - bestRound >= o.earlyStoppingRounds) break;
  }
  if (valid === undefined || o.earlyStoppingRounds === undefined) bestRound = trees.length - 1;
  return {
    model: { featureCount: F, baseScore, trees: trees.slice(0, bestRound + 1) },
    trainLoss,
    validLoss,
    bestRound,
  };
}
