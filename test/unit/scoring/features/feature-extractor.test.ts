import { describe, expect, it } from 'vitest';
import { FeatureExtractor, ZSCORE_CAP } from '../../../../src/scoring/features/feature-extractor.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../../../src/scoring/features/feature-names.ts';
import { feature, invoice, named } from './invoices.ts';

describe('FeatureExtractor: the first invoice ever', () => {
  it('has zero history, ratio 1 and days 0', () => {
    const row = new FeatureExtractor().next(invoice(1, 2, '2026-03-04T10:15:00Z', 250_050));
    expect(row).toHaveLength(FEATURE_COUNT);
    expect(named(row)).toEqual({
      issuer_count_24h: 0,
      issuer_amount_24h: 0,
      issuer_count_30d: 0,
      issuer_amount_30d: 0,
      receiver_count_30d: 0,
      pair_seen_before: 0,
      amount_zscore: 0,
      amount_to_issuer_mean: 1,
      hour_of_day: 10,
      day_of_week: 2, // Wednesday
      is_round_amount: 0,
      days_since_issuer_first: 0,
      is_self_invoice: 0,
      log_amount: Math.fround(Math.log10(1 + 2500.5)),
      issuer_prior_count: 0,
    });
  });
});

describe('FeatureExtractor: per-invoice features', () => {
  it('computes the z-score with the sample std of prior amounts and the ratio to their mean', () => {
    const fx = new FeatureExtractor();
    for (const usd of [100, 200, 300]) fx.next(invoice(7, 8, '2026-03-01T12:00:00Z', usd * 100));
    // Prior: mean 200, sample variance ((−100)² + 0 + 100²) / 2 = 100² → z = (500 − 200) / 100 = 3.
    const row = fx.next(invoice(7, 8, '2026-03-01T13:00:00Z', 50_000));
    expect(feature(row, 'amount_zscore')).toBeCloseTo(3, 6);
    expect(feature(row, 'amount_to_issuer_mean')).toBeCloseTo(2.5, 6);
    expect(feature(row, 'issuer_prior_count')).toBe(3);
    // Now 4 prior amounts: mean 275, sample std sqrt(((−175)² + (−75)² + 25² + 225²) / 3).
    const std = Math.sqrt((175 ** 2 + 75 ** 2 + 25 ** 2 + 225 ** 2) / 3);
    const next = fx.next(invoice(7, 8, '2026-03-01T14:00:00Z', 10_000));
    expect(feature(next, 'amount_zscore')).toBeCloseTo((100 - 275) / std, 5);
    expect(feature(next, 'amount_to_issuer_mean')).toBeCloseTo(100 / 275, 6);
  });

  it('gives z = 0 with fewer than 2 prior invoices and caps it when all prior amounts were equal', () => {
    const fx = new FeatureExtractor();
    fx.next(invoice(1, 2, '2026-03-01T00:00:00Z', 1_000));
    expect(feature(fx.next(invoice(1, 2, '2026-03-01T01:00:00Z', 99_999)), 'amount_zscore')).toBe(0);
    const same = new FeatureExtractor();
    for (let i = 0; i < 3; i++) same.next(invoice(3, 4, '2026-03-01T00:00:00Z', 4_200));
    expect(feature(same.extract(invoice(3, 4, '2026-03-01T02:00:00Z', 4_200)), 'amount_zscore')).toBe(0);
    expect(feature(same.extract(invoice(3, 4, '2026-03-01T02:00:00Z', 4_300)), 'amount_zscore')).toBe(ZSCORE_CAP);
    expect(feature(same.extract(invoice(3, 4, '2026-03-01T02:00:00Z', 100)), 'amount_zscore')).toBe(-ZSCORE_CAP);
  });

  it('flags whole multiples of 100 USD and self-invoices', () => {
    const fx = new FeatureExtractor();
    const flags = (cents: number, issuer: number | bigint = 1, receiver: number | bigint = 2): [number, number] => {
      const row = fx.extract(invoice(issuer, receiver, '2026-03-01T00:00:00Z', cents));
      return [feature(row, 'is_round_amount'), feature(row, 'is_self_invoice')];
    };
    expect(flags(10_000)).toEqual([1, 0]);
    expect(flags(2_500_000)).toEqual([1, 0]);
    expect(flags(10_001)).toEqual([0, 0]);
    expect(flags(9_999)).toEqual([0, 0]);
    expect(flags(5_000)).toEqual([0, 0]); // 50 USD is round, but not a multiple of 100
    expect(flags(10_000, 5, 5)).toEqual([1, 1]);
    expect(flags(10_000, 2n ** 40n, 2n ** 40n + 1n)).toEqual([1, 0]);
  });

  it('reads hour and weekday in UTC, Monday = 0', () => {
    const fx = new FeatureExtractor();
    const at = (iso: string): [number, number] => {
      const row = fx.extract(invoice(1, 2, iso));
      return [feature(row, 'hour_of_day'), feature(row, 'day_of_week')];
    };
    expect(at('2026-03-02T00:00:00Z')).toEqual([0, 0]); // Monday
    expect(at('2026-03-08T23:59:59.999Z')).toEqual([23, 6]); // Sunday
    expect(at('2026-03-08T23:30:00-02:00')).toEqual([1, 0]); // Monday 01:30 UTC, not Sunday local time
    expect(at('1969-12-31T23:00:00Z')).toEqual([23, 2]); // before the epoch: Wednesday
    expect(at('2024-02-29T12:00:00Z')).toEqual([12, 3]); // Thursday
  });

  it('counts days since the issuer\'s first invoice, fractional', () => {
    const fx = new FeatureExtractor();
    fx.next(invoice(1, 2, '2026-01-01T00:00:00Z'));
    expect(feature(fx.next(invoice(1, 3, '2026-01-11T12:00:00Z')), 'days_since_issuer_first')).toBe(10.5);
    // An invoice dated before the first one seen (out of order) reads 0, and becomes the new first.
    expect(feature(fx.next(invoice(1, 3, '2025-12-31T00:00:00Z')), 'days_since_issuer_first')).toBe(0);
    expect(feature(fx.next(invoice(1, 3, '2026-01-02T00:00:00Z')), 'days_since_issuer_first')).toBe(2);
  });

  it('uses a sign-preserving log amount', () => {
    const fx = new FeatureExtractor();
    expect(feature(fx.extract(invoice(1, 2, '2026-01-01T00:00:00Z', 99_900)), 'log_amount')).toBeCloseTo(3, 6);
    expect(feature(fx.extract(invoice(1, 2, '2026-01-01T00:00:00Z', -99_900)), 'log_amount')).toBeCloseTo(-3, 6);
    expect(feature(fx.extract(invoice(1, 2, '2026-01-01T00:00:00Z', 0)), 'log_amount')).toBe(0);
  });

  it('remembers pairs in one direction only', () => {
    const fx = new FeatureExtractor();
    fx.next(invoice(10, 20, '2026-01-01T00:00:00Z'));
    expect(feature(fx.extract(invoice(10, 20, '2026-06-01T00:00:00Z')), 'pair_seen_before')).toBe(1);
    expect(feature(fx.extract(invoice(20, 10, '2026-06-01T00:00:00Z')), 'pair_seen_before')).toBe(0);
    expect(feature(fx.extract(invoice(10, 21, '2026-06-01T00:00:00Z')), 'pair_seen_before')).toBe(0);
  });
});

describe('FeatureExtractor: extract, observe, next and batches', () => {
  const stream = [
    invoice(1, 2, '2026-01-01T08:00:00Z', 10_000),
    invoice(1, 3, '2026-01-01T09:00:00Z', 25_050),
    invoice(2, 1, '2026-01-01T09:30:00Z', 7_700),
    invoice(1, 2, '2026-01-02T10:00:00Z', 30_000),
    invoice(3, 3, '2026-01-03T11:00:00Z', 100),
  ];

  it('extract leaves the state unchanged; observe advances it', () => {
    const fx = new FeatureExtractor();
    const first = fx.extract(stream[0]!);
    expect(fx.extract(stream[0]!)).toEqual(first);
    expect(fx.customerCount).toBe(0);
    fx.observe(stream[0]!);
    expect(fx.customerCount).toBe(2);
    expect(feature(fx.extract(stream[3]!), 'issuer_prior_count')).toBe(1);
  });

  it('next equals extract then observe, and a batch equals next one by one', () => {
    const a = new FeatureExtractor();
    const b = new FeatureExtractor();
    const c = new FeatureExtractor();
    const rows = stream.map((inv) => a.next(inv));
    const split = stream.map((inv) => {
      const row = b.extract(inv);
      b.observe(inv);
      return row;
    });
    const batch = c.extractBatch(stream);
    expect(split).toEqual(rows);
    expect(batch).toHaveLength(stream.length * FEATURE_COUNT);
    rows.forEach((row, k) => expect(batch.subarray(k * FEATURE_COUNT, (k + 1) * FEATURE_COUNT)).toEqual(row));
    expect(feature(batch, 'issuer_prior_count', 3)).toBe(2);
  });

  it('writes into a caller buffer, rejects a short one, and returns a view of a longer one', () => {
    const out = new Float32Array((stream.length + 2) * FEATURE_COUNT).fill(-1);
    const rows = new FeatureExtractor().extractBatch(stream, out);
    expect(rows).toHaveLength(stream.length * FEATURE_COUNT);
    expect(rows.buffer).toBe(out.buffer);
    expect(out[stream.length * FEATURE_COUNT]).toBe(-1);
    expect(() => new FeatureExtractor().extractBatch(stream, new Float32Array(FEATURE_COUNT))).toThrow(RangeError);
    expect(new FeatureExtractor().extractBatch([])).toHaveLength(0);
  });

  it('has one column per contract name', () => {
    expect(FEATURE_COUNT).toBe(FEATURE_NAMES.length);
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_COUNT);
  });
});
