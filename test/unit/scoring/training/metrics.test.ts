import { describe, expect, it } from 'vitest';
import { logLoss, precisionAtTopFraction, rocAuc } from '../../../../src/scoring/training/metrics.ts';

describe('rocAuc', () => {
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([0.1, 0.3, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
  });

  it('is 0.5 when every score ties', () => {
    expect(rocAuc([0.5, 0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0, 0])).toBe(0.5);
  });

  it('counts a tied positive–negative pair as one half', () => {
    // Pairs (pos, neg): (0.9, 0.8) 1, (0.9, 0.3) 1, (0.8, 0.8) ½, (0.8, 0.3) 1 → 3.5 / 4.
    expect(rocAuc([0.9, 0.8, 0.8, 0.3], [1, 1, 0, 0])).toBe(0.875);
    // Row order must not matter.
    expect(rocAuc([0.8, 0.3, 0.9, 0.8], [0, 0, 1, 1])).toBe(0.875);
  });

  it('matches a brute-force pair count on a mixed case', () => {
    const scores = [3, 1, 2, 2, 5, 1, 4, 2, 3, 0];
    const labels = [1, 0, 1, 0, 1, 1, 0, 0, 0, 1];
    let wins = 0;
    let pairs = 0;
    scores.forEach((sp, i) =>
      scores.forEach((sn, j) => {
        if (labels[i] !== 1 || labels[j] !== 0) return;
        pairs++;
        wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
      }),
    );
    expect(rocAuc(scores, labels)).toBeCloseTo(wins / pairs, 12);
  });

  it('is NaN with a single class and rejects NaN scores and length mismatches', () => {
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(() => rocAuc([0.1, Number.NaN], [1, 0])).toThrow(/NaN/);
    expect(() => rocAuc([0.1], [1, 0])).toThrow(RangeError);
  });
});

describe('precisionAtTopFraction', () => {
  it('defaults to the top 1% (at least one row)', () => {
    const scores = Array.from({ length: 200 }, (_, i) => i);
    const labels = scores.map((s) => (s >= 199 ? 1 : 0));
    // k = 2: rows 199 (positive) and 198 (negative).
    expect(precisionAtTopFraction(scores, labels)).toBe(0.5);
    expect(precisionAtTopFraction([0.3, 0.9], [0, 1])).toBe(1);
  });

  it('shares a tied group straddling the cut by its positive rate', () => {
    // k = 2: the 5 (positive) and one of the three tied 4s, of which one in three is positive.
    expect(precisionAtTopFraction([5, 4, 4, 4, 1], [1, 1, 0, 0, 1], 0.4)).toBeCloseTo((1 + 1 / 3) / 2, 12);
  });

  it('is the base rate over all rows and NaN for no rows', () => {
    expect(precisionAtTopFraction([1, 2, 3, 4], [1, 0, 0, 1], 1)).toBe(0.5);
    expect(precisionAtTopFraction([], [])).toBeNaN();
    expect(() => precisionAtTopFraction([1], [1], 0)).toThrow(RangeError);
  });
});

describe('logLoss', () => {
  it('is ln 2 at p = 0.5 and finite for confident misses', () => {
    expect(logLoss([0.5, 0.5], [0, 1])).toBeCloseTo(Math.LN2, 12);
    const miss = logLoss([1, 0], [0, 1]);
    expect(Number.isFinite(miss)).toBe(true);
    expect(miss).toBeGreaterThan(30);
  });
});
