import { describe, expect, it } from 'vitest';
import {
  clampCents,
  formatCents,
  logNormalCents,
  MAX_AMOUNT_CENTS,
  roundLikeAHuman,
  sampleAmountCents,
} from '../../../src/source/populate/amounts.ts';
import { createRng } from '../../../src/source/populate/prng.ts';

describe('formatCents', () => {
  it('writes exact two-decimal text from integer cents', () => {
    expect(formatCents(123_405)).toBe('1234.05');
    expect(formatCents(1)).toBe('0.01');
    expect(formatCents(10)).toBe('0.10');
    expect(formatCents(100)).toBe('1.00');
    expect(formatCents(0)).toBe('0.00');
    expect(formatCents(-5)).toBe('-0.05');
    expect(formatCents(MAX_AMOUNT_CENTS)).toBe('999999999999.99');
  });

  it('never goes through a float of dollars', () => {
    // 0.29 * 100 is 28.999999999999996 in binary floating point; integer cents avoid that class of bug.
    expect(formatCents(29)).toBe('0.29');
    expect(formatCents(99_999_999_999_901)).toBe('999999999999.01');
  });

  it('rejects non-integer cents', () => {
    expect(() => formatCents(1.5)).toThrow(RangeError);
    expect(() => formatCents(Number.NaN)).toThrow(RangeError);
  });
});

describe('amount sampling', () => {
  it('clamps into [0.01, 999999999999.99]', () => {
    expect(clampCents(0)).toBe(1);
    expect(clampCents(-100)).toBe(1);
    expect(clampCents(1e20)).toBe(MAX_AMOUNT_CENTS);
    expect(clampCents(Number.NaN)).toBe(1);
    expect(logNormalCents(40, 1)).toBe(MAX_AMOUNT_CENTS);
    expect(logNormalCents(-40, 1)).toBe(1);
  });

  it('rounds some amounts to whole dollars or hundreds', () => {
    expect(roundLikeAHuman(123_456, 0.1)).toBe(123_500);
    expect(roundLikeAHuman(123_456, 0.01)).toBe(120_000);
    expect(roundLikeAHuman(123_456, 0.5)).toBe(123_456);
  });

  it('draws positive safe-integer cents with a realistic median', () => {
    const rng = createRng(1);
    const sample = Array.from({ length: 20_000 }, () => sampleAmountCents(rng, 1)).sort((a, b) => a - b);
    expect(sample.every((c) => Number.isSafeInteger(c) && c >= 1 && c <= MAX_AMOUNT_CENTS)).toBe(true);
    const median = sample[sample.length / 2]!;
    expect(median).toBeGreaterThan(30_000);
    expect(median).toBeLessThan(60_000);
  });
});
