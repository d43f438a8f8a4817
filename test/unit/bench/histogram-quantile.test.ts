import { describe, expect, it } from 'vitest';
import { histogramQuantile, parseHistogram } from '../../../bench/histogram-quantile.ts';

describe('histogramQuantile', () => {
  const buckets = [
    { le: 0.01, count: 10 },
    { le: 0.1, count: 90 },
    { le: 1, count: 100 },
    { le: Infinity, count: 100 },
  ];

  it('interpolates linearly inside the bucket holding the rank', () => {
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.01 + (0.09 * 40) / 80, 10);
    expect(histogramQuantile(0.05, buckets)).toBeCloseTo(0.005, 10);
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.1 + 0.9 * 0.9, 10);
  });

  it('returns the highest finite bound when the rank falls in +Inf, and null without observations', () => {
    expect(histogramQuantile(0.99, [{ le: 0.1, count: 1 }, { le: Infinity, count: 10 }])).toBe(0.1);
    expect(histogramQuantile(0.5, [{ le: Infinity, count: 0 }])).toBeNull();
  });

  it('parses the Prometheus text format', () => {
    const text = 'x_bucket{le="0.5"} 3\nx_bucket{le="+Inf"} 4\nx_sum 2\nx_count 4\ny_bucket{le="1"} 9\n';
    expect(parseHistogram(text, 'x')).toEqual([
      { le: 0.5, count: 3 },
      { le: Infinity, count: 4 },
    ]);
  });
});
