/**
 * The exported ONNX models, run by onnxruntime-node, must score exactly like
 * the TypeScript predictors (within 1e-6) and meet the model contract as
 * onnxruntime itself reports the graph signature.
 */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { FEATURE_COUNT } from '../../src/scoring/features/feature-names.ts';
import { checkContract, checkScores, pickScoreOutput } from '../../src/scoring/model/model-contract.ts';
import { createRng } from '../../src/source/populate/prng.ts';
import { predictProba } from '../../src/scoring/training/gbt-model.ts';
import { trainGbt } from '../../src/scoring/training/gbt-train.ts';
import { exportGbtModel, exportLinearModel, predictLinearProba } from '../../src/scoring/training/onnx-export.ts';
import { describeOnnxModel } from '../../src/scoring/model/onnx-inspect.ts';

const TOLERANCE = 1e-6;
const ROWS = 1000;
const sessions: InferenceSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.release()));
});

/** Mixed features: heavy-tailed, binary, small integers and plain normals, like the real ones. */
function randomFeatures(rows: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(rows * FEATURE_COUNT);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < FEATURE_COUNT; f++) {
      const kind = f % 4;
      x[r * FEATURE_COUNT + f] =
        kind === 0 ? Math.exp(rng.normal() * 2) : kind === 1 ? rng.int(2) : kind === 2 ? rng.int(24) : rng.normal() * 0.1 + 0.1;
    }
  }
  return x;
}

async function runScores(bytes: Uint8Array, x: Float32Array): Promise<{ session: InferenceSession; scores: Float32Array; dims: readonly number[] }> {
  const session = await InferenceSession.create(bytes);
  sessions.push(session);
  const rows = x.length / FEATURE_COUNT;
  const input = session.inputNames[0]!;
  const output = pickScoreOutput(session.outputMetadata)!.name;
  const result = await session.run({ [input]: new Tensor('float32', x, [rows, FEATURE_COUNT]) });
  const tensor = result[output]!;
  return { session, scores: tensor.data as Float32Array, dims: tensor.dims };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('ONNX parity', () => {
  it('GBT: onnxruntime scores equal predictProba and the model meets the contract', async () => {
    const train = randomFeatures(5000, 1);
    const y = new Uint8Array(5000);
    const rng = createRng(2);
    for (let r = 0; r < y.length; r++) {
      const row = train.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT);
      const z = Math.log(row[0]!) + 2 * row[1]! - row[2]! / 8 + (row[5]! > 0 !== row[4]! > 4 ? 1.5 : -1.5);
      y[r] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    const { model } = trainGbt({ x: train, y, featureCount: FEATURE_COUNT }, { rounds: 150, maxDepth: 5, minSamplesLeaf: 5, seed: 3 });
    const bytes = exportGbtModel(model, { modelName: 'parity-gbt', modelVersion: '1' });

    const test = randomFeatures(ROWS, 4);
    // Values exactly on thresholds must take the same branch in both (x <= t is BRANCH_LEQ).
    for (let r = 0; r < 50; r++) {
      const tree = model.trees[r]!;
      test[r * FEATURE_COUNT + tree.feature[0]!] = tree.threshold[0]!;
    }
    // A missing value takes the "false" branch in both (nodes_missing_value_tracks_true unset).
    for (let r = 50; r < 60; r++) test[r * FEATURE_COUNT + (r % FEATURE_COUNT)] = Number.NaN;
    const { session, scores, dims } = await runScores(bytes, test);
    const expected = predictProba(model, test);
    const diff = maxAbsDiff(scores, expected);
    console.info(`GBT parity: ${model.trees.length} trees, max |onnx − ts| = ${diff.toExponential(2)}`);
    expect(dims).toEqual([ROWS, 1]);
    expect(diff).toBeLessThanOrEqual(TOLERANCE);
    expect(checkScores(scores, ROWS)).toEqual([]);

    const described = describeOnnxModel(bytes);
    expect(checkContract(described)).toEqual([]);
    // The same check on the signature as onnxruntime reports it.
    expect(checkContract({ inputs: session.inputMetadata, outputs: session.outputMetadata, metadata: described.metadata })).toEqual([]);
    expect(session.inputNames).toEqual(['features']);
    expect(session.outputNames).toEqual(['score']);
  });

  it('linear: onnxruntime scores equal predictLinearProba and the model meets the contract', async () => {
    const rng = createRng(5);
    const weights = Array.from({ length: FEATURE_COUNT }, () => rng.normal() * 0.5);
    const bytes = exportLinearModel(weights, -1.25, { modelName: 'parity-linear', modelVersion: '1.0.0' });
    // Standardised inputs, as a linear model expects: with raw heavy-tailed
    // features the float32 dot product (whose summation order is up to the
    // MatMul kernel) could cancel large terms and exceed 1e-6 on its own.
    const normal = createRng(6);
    const test = Float32Array.from({ length: ROWS * FEATURE_COUNT }, () => normal.normal());
    const { session, scores, dims } = await runScores(bytes, test);
    const diff = maxAbsDiff(scores, predictLinearProba(weights, -1.25, test));
    console.info(`linear parity: max |onnx − ts| = ${diff.toExponential(2)}`);
    expect(dims).toEqual([ROWS, 1]);
    expect(diff).toBeLessThanOrEqual(TOLERANCE);
    const described = describeOnnxModel(bytes);
    expect(checkContract(described)).toEqual([]);
    expect(checkContract({ inputs: session.inputMetadata, outputs: session.outputMetadata, metadata: described.metadata })).toEqual([]);
  });

  it('scores a single row and an empty batch (dynamic N)', async () => {
    const { model } = trainGbt(
      { x: randomFeatures(500, 7), y: Uint8Array.from({ length: 500 }, (_, i) => i % 3 === 0 ? 1 : 0), featureCount: FEATURE_COUNT },
      { rounds: 5 },
    );
    const bytes = exportGbtModel(model, { modelName: 'tiny', modelVersion: '1' });
    const one = randomFeatures(1, 8);
    const { scores } = await runScores(bytes, one);
    expect(maxAbsDiff(scores, predictProba(model, one))).toBeLessThanOrEqual(TOLERANCE);
    const { dims } = await runScores(bytes, new Float32Array(0));
    expect(dims).toEqual([0, 1]);
  });
});
