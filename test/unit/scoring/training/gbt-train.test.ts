import { describe, expect, it } from 'vitest';
import { nodeCount, predictProba, predictRaw, sigmoid } from '../../../../src/scoring/training/gbt-model.ts';
import { trainGbt } from '../../../../src/scoring/training/gbt-train.ts';
import { logLoss, rocAuc } from '../../../../src/scoring/training/metrics.ts';
import { accuracy, makeProblem } from './synthetic.ts';

const xor = (row: Float32Array): boolean => row[0]! > 0 !== row[1]! > 0;

describe('trainGbt', () => {
  it('learns a single threshold exactly, with the split on a float32 boundary', () => {
    const train = makeProblem(2000, 3, 1, (row) => row[2]! > 0.25);
    const { model } = trainGbt(train, { rounds: 20, maxDepth: 1, learningRate: 0.5, subsample: 1 });
    // The first stump splits feature 2 within one quantile bin (2/64) of the true boundary.
    const first = model.trees[0]!;
    expect(first.feature[0]).toBe(2);
    expect(Math.abs(first.threshold[0]! - 0.25)).toBeLessThan(2 / 64);
    for (const tree of model.trees) expect(Math.fround(tree.threshold[0]!)).toBe(tree.threshold[0]);
    const test = makeProblem(2000, 3, 2, (row) => row[2]! > 0.25);
    expect(accuracy(predictProba(model, test.x), test.y)).toBeGreaterThan(0.97);
  });

  it('learns XOR, which no single split separates, with depth-2 trees', () => {
    const train = makeProblem(4000, 4, 3, xor, 0.05);
    const { model, trainLoss } = trainGbt(train, { rounds: 60, maxDepth: 2, learningRate: 0.3 });
    const test = makeProblem(4000, 4, 4, xor);
    expect(accuracy(predictProba(model, test.x), test.y)).toBeGreaterThan(0.95);
    expect(rocAuc(predictProba(model, test.x), test.y)).toBeGreaterThan(0.97);
    expect(trainLoss[trainLoss.length - 1]).toBeLessThan(trainLoss[0]!);
    // Training tracks exactly the raw scores predictRaw (and the ONNX export) produce.
    expect(logLoss(predictProba(model, train.x), train.y)).toBeCloseTo(trainLoss[trainLoss.length - 1]!, 12);
  });

  it('is deterministic for a seed and changes with the seed when subsampling', () => {
    const data = makeProblem(3000, 5, 5, xor, 0.1);
    const options = { rounds: 15, maxDepth: 3, subsample: 0.7, featureFraction: 0.6 };
    const a = trainGbt(data, { ...options, seed: 11 }).model;
    const b = trainGbt(data, { ...options, seed: 11 }).model;
    const c = trainGbt(data, { ...options, seed: 12 }).model;
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('starts from the prior log-odds and keeps leaves float32', () => {
    const data = makeProblem(1000, 2, 6, (row) => row[0]! > 0.6);
    const positives = data.y.reduce((n, v) => n + v, 0);
    const { model } = trainGbt(data, { rounds: 3 });
    const prior = positives / data.y.length;
    expect(model.baseScore).toBe(Math.fround(Math.log(prior / (1 - prior))));
    for (const tree of model.trees) for (const v of tree.value) expect(Math.fround(v)).toBe(v);
  });

  it('respects maxDepth and minSamplesLeaf', () => {
    const data = makeProblem(500, 3, 7, xor);
    const { model } = trainGbt(data, { rounds: 5, maxDepth: 3, minSamplesLeaf: 100, subsample: 1 });
    for (const tree of model.trees) expect(tree.feature.length).toBeLessThanOrEqual(2 ** 4 - 1);
    // 500 rows with at least 100 per leaf leave room for at most 5 leaves (9 nodes).
    for (const tree of model.trees) expect(tree.feature.length).toBeLessThanOrEqual(9);
    expect(nodeCount(model)).toBeGreaterThan(5);
  });

  it('stops early on a validation set and keeps the best round', () => {
    const train = makeProblem(600, 4, 8, xor, 0.3);
    const valid = makeProblem(600, 4, 9, xor, 0.3);
    const result = trainGbt(train, {
      rounds: 300,
      maxDepth: 6,
      minSamplesLeaf: 1,
      learningRate: 0.5,
      validation: valid,
      earlyStoppingRounds: 10,
    });
    expect(result.validLoss.length).toBeLessThan(300);
    expect(result.model.trees.length).toBe(result.bestRound + 1);
    expect(Math.min(...result.validLoss)).toBe(result.validLoss[result.bestRound]);
  });

  it('weights positives: a larger positiveWeight raises every score', () => {
    const data = makeProblem(2000, 3, 10, (row) => row[0]! > 0.5, 0.2);
    const plain = predictRaw(trainGbt(data, { rounds: 10 }).model, data.x);
    const weighted = predictRaw(trainGbt(data, { rounds: 10, positiveWeight: 5 }).model, data.x);
    expect(weighted.every((z, i) => z > plain[i]!)).toBe(true);
  });

  it('predictProba is the logistic function of predictRaw', () => {
    const data = makeProblem(200, 2, 11, (row) => row[1]! > 0);
    const { model } = trainGbt(data, { rounds: 5 });
    const raw = predictRaw(model, data.x);
    expect(Array.from(predictProba(model, data.x))).toEqual(Array.from(raw, sigmoid));
    expect(() => predictRaw(model, new Float32Array(3))).toThrow(RangeError);
  });

  it('rejects malformed input and options', () => {
    const data = makeProblem(50, 2, 12, (row) => row[0]! > 0);
    expect(() => trainGbt({ ...data, y: new Uint8Array(49) })).toThrow(/rows/);
    expect(() => trainGbt({ ...data, y: data.y.map(() => 2) })).toThrow(/expected 0 or 1/);
    expect(() => trainGbt(data, { maxBins: 300 })).toThrow(/maxBins/);
    expect(() => trainGbt(data, { subsample: 0 })).toThrow(/subsample/);
    expect(() => trainGbt({ x: new Float32Array(0), y: new Uint8Array(0), featureCount: 2 })).toThrow(/no rows/);
  });
});
