import { describe, expect, it } from 'vitest';
import { FeatureExtractor } from '../../../../src/scoring/features/feature-extractor.ts';
import { feature, invoice, micros, MICROS_PER_DAY, MICROS_PER_HOUR } from './invoices.ts';

/** 24 h and 30 d issuer features of `issuer` for an invoice at `at`. */
function windows(fx: FeatureExtractor, issuer: number, at: string | bigint): { c24: number; a24: number; c30: number; a30: number } {
  const row = fx.extract(invoice(issuer, 999, at, 1));
  return {
    c24: feature(row, 'issuer_count_24h'),
    a24: feature(row, 'issuer_amount_24h'),
    c30: feature(row, 'issuer_count_30d'),
    a30: feature(row, 'issuer_amount_30d'),
  };
}

describe('24 h window: hourly buckets H−23 … H', () => {
  it('counts an invoice 23 h earlier but not 24 h or 25 h earlier, across midnight and a month end', () => {
    const fx = new FeatureExtractor();
    // The query is at 2026-02-01 02:30 UTC (hour bucket H = 02:00); amounts are distinct powers of two (USD).
    fx.observe(invoice(1, 2, '2026-01-31T01:30:00Z', 100)); //   25 h earlier: bucket H−25, out
    fx.observe(invoice(1, 2, '2026-01-31T02:30:00Z', 200)); //   24 h earlier: bucket H−24, out
    fx.observe(invoice(1, 2, '2026-01-31T02:59:59Z', 400)); //   23 h 30 min 1 s earlier, still bucket H−24: out
    fx.observe(invoice(1, 2, '2026-01-31T03:00:00Z', 800)); //   23.5 h earlier, bucket H−23: in
    fx.observe(invoice(1, 2, '2026-01-31T03:30:00Z', 1_600)); // 23 h earlier: in
    fx.observe(invoice(1, 2, '2026-02-01T02:10:00Z', 3_200)); // same hour: in
    const w = windows(fx, 1, '2026-02-01T02:30:00Z');
    expect(w.c24).toBe(3);
    expect(w.a24).toBe(8 + 16 + 32);
    expect(w.c30).toBe(6);
    expect(w.a30).toBe(63);
  });

  it('crosses a year end the same way', () => {
    const fx = new FeatureExtractor();
    fx.observe(invoice(1, 2, '2025-12-31T00:59:00Z'));
    fx.observe(invoice(1, 2, '2025-12-31T01:00:00Z'));
    fx.observe(invoice(1, 2, '2025-12-31T23:59:59.999Z'));
    expect(windows(fx, 1, '2026-01-01T00:00:00Z').c24).toBe(2);
    expect(windows(fx, 1, '2026-01-01T00:59:59Z').c24).toBe(2);
  });

  it('slides hour by hour over a busy issuer whose ring wraps several times', () => {
    const fx = new FeatureExtractor();
    const start = micros('2026-04-29T00:00:00Z');
    for (let h = 0n; h < 72n; h++) fx.observe(invoice(1, 2, start + h * MICROS_PER_HOUR, Number(h + 1n) * 100));
    // At hour 72: buckets 49..72 hold the invoices of hours 49..71 (23 of them, 50..72 USD).
    const w = windows(fx, 1, start + 72n * MICROS_PER_HOUR);
    expect(w.c24).toBe(23);
    expect(w.a24).toBe(((50 + 72) * 23) / 2);
    expect(w.c30).toBe(72);
    // A long silence empties the window without any clean-up work.
    expect(windows(fx, 1, start + 200n * MICROS_PER_HOUR).c24).toBe(0);
  });
});

describe('30 d window: daily buckets D−29 … D', () => {
  it('counts 29 days back but not 30, across February', () => {
    const fx = new FeatureExtractor();
    // The query is on 2026-03-01 (day D); D−29 is 2026-01-31 because February 2026 has 28 days.
    fx.observe(invoice(1, 2, '2026-01-30T10:00:00Z', 100)); //    30 days earlier: out
    fx.observe(invoice(1, 2, '2026-01-30T23:59:59Z', 200)); //    day D−30: out
    fx.observe(invoice(1, 2, '2026-01-31T00:00:00Z', 400)); //    day D−29: in
    fx.observe(invoice(1, 2, '2026-01-31T10:00:00Z', 800)); //    29 days earlier: in
    fx.observe(invoice(1, 2, '2026-02-28T23:00:00Z', 1_600)); //  in (and 11 h earlier)
    const w = windows(fx, 1, '2026-03-01T10:00:00Z');
    expect(w.c30).toBe(3);
    expect(w.a30).toBe(4 + 8 + 16);
    expect(w.c24).toBe(1);
    expect(w.a24).toBe(16);
  });

  it('slides day by day and keeps exactly 29 prior days plus today', () => {
    const fx = new FeatureExtractor();
    const start = micros('2026-01-15T09:00:00Z');
    for (let d = 0n; d < 45n; d++) fx.observe(invoice(1, 2, start + d * MICROS_PER_DAY, 100));
    const w = windows(fx, 1, start + 45n * MICROS_PER_DAY);
    expect(w.c30).toBe(29); // days 16..44
    expect(w.a30).toBe(29);
    expect(feature(fx.extract(invoice(1, 2, start + 45n * MICROS_PER_DAY)), 'issuer_prior_count')).toBe(45);
  });

  it('counts what the receiver received, not what it issued', () => {
    const fx = new FeatureExtractor();
    fx.observe(invoice(1, 5, '2026-03-01T00:00:00Z'));
    fx.observe(invoice(2, 5, '2026-03-10T00:00:00Z'));
    fx.observe(invoice(5, 1, '2026-03-10T00:00:00Z'));
    fx.observe(invoice(3, 5, '2026-01-01T00:00:00Z'));
    const receiver = (to: number, at: string): number => feature(fx.extract(invoice(9, to, at)), 'receiver_count_30d');
    expect(receiver(5, '2026-03-15T00:00:00Z')).toBe(2);
    expect(receiver(5, '2026-03-31T00:00:00Z')).toBe(1);
    expect(receiver(1, '2026-03-15T00:00:00Z')).toBe(1);
    expect(receiver(42, '2026-03-15T00:00:00Z')).toBe(0);
  });
});

describe('out-of-order issue dates', () => {
  const T = micros('2026-05-10T12:00:00Z');

  it('puts a late invoice still inside the ring into its own bucket', () => {
    const fx = new FeatureExtractor();
    fx.observe(invoice(1, 2, T, 100));
    fx.observe(invoice(1, 2, T - 23n * MICROS_PER_HOUR, 200)); // late, bucket H−23
    expect(windows(fx, 1, T + MICROS_PER_HOUR / 2n).c24).toBe(2);
    // One hour later bucket H−23 has left the window: the late invoice was not filed under H.
    const w = windows(fx, 1, T + MICROS_PER_HOUR);
    expect(w.c24).toBe(1);
    expect(w.a24).toBe(1);
    expect(w.c30).toBe(2);
  });

  it('does not count invoices dated in a later bucket than the one being scored', () => {
    const fx = new FeatureExtractor();
    fx.observe(invoice(1, 2, T, 100));
    fx.observe(invoice(1, 2, T - 5n * MICROS_PER_HOUR, 200));
    fx.observe(invoice(1, 2, T - 3n * MICROS_PER_DAY, 400));
    const late = windows(fx, 1, T - 4n * MICROS_PER_HOUR);
    expect(late.c24).toBe(1); // T−5 h only: T is in a later hour
    expect(late.a24).toBe(2);
    expect(late.c30).toBe(3); // T is in the same UTC day, so it counts
  });

  it('keeps an invoice older than the ring only in the all-time stats', () => {
    const fx = new FeatureExtractor();
    fx.observe(invoice(1, 2, T, 100));
    fx.observe(invoice(1, 2, T - 40n * MICROS_PER_DAY, 200));
    const row = fx.extract(invoice(1, 2, T + MICROS_PER_HOUR));
    expect(feature(row, 'issuer_count_30d')).toBe(1);
    expect(feature(row, 'issuer_prior_count')).toBe(2);
    expect(feature(row, 'days_since_issuer_first')).toBeCloseTo(40 + 1 / 24, 4);
  });
});
