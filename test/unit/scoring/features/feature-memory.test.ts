import { describe, expect, it } from 'vitest';
import { FeatureExtractor } from '../../../../src/scoring/features/feature-extractor.ts';
import { dayIndex, floorDiv, hourIndex, MICROS_PER_DAY, MICROS_PER_HOUR, ringSlot } from '../../../../src/scoring/features/feature-time.ts';
import { PairFilter } from '../../../../src/scoring/features/pair-filter.ts';
import { generateLabelledInvoices } from '../../../../src/scoring/training/labelled-invoices.ts';
import { feature, invoice } from './invoices.ts';

/** Prior-count and days-since-first of `issuer` as the next invoice would see them. */
function history(fx: FeatureExtractor, issuer: number, at: string): [number, number] {
  const row = fx.extract(invoice(issuer, 999_999, at));
  return [feature(row, 'issuer_prior_count'), feature(row, 'days_since_issuer_first')];
}

describe('bounded customer state', () => {
  it('never holds more than maxCustomers customers, nor allocates more records', () => {
    const fx = new FeatureExtractor({ maxCustomers: 50 });
    const rows = generateLabelledInvoices({ seed: 3, count: 3_000, customers: 400, months: 2, now: new Date('2026-02-01T00:00:00Z') });
    let peak = 0;
    for (const row of rows) {
      fx.next(row.invoice);
      peak = Math.max(peak, fx.customerCount);
    }
    expect(peak).toBe(50);
    expect(fx.state.customers.capacity).toBeLessThanOrEqual(50);
    expect(fx.state.evictedCustomers).toBeGreaterThan(300);
  });

  it('evicts customers idle for the whole 30-day window first; they come back as newcomers', () => {
    const fx = new FeatureExtractor({ maxCustomers: 4 });
    fx.observe(invoice(1, 2, '2026-01-01T10:00:00Z'));
    fx.observe(invoice(3, 4, '2026-03-01T10:00:00Z'));
    fx.observe(invoice(5, 3, '2026-03-02T10:00:00Z')); // full: 1 and 2 are idle since January, both go
    expect(fx.state.evictedCustomers).toBe(2);
    expect(fx.customerCount).toBe(3);
    expect(history(fx, 1, '2026-03-03T00:00:00Z')).toEqual([0, 0]);
    expect(history(fx, 3, '2026-03-03T00:00:00Z')).toEqual([1, Math.fround(2 - 10 / 24)]);
  });

  it('otherwise evicts the least recently active, ties broken by id rather than by arrival', () => {
    const fx = new FeatureExtractor({ maxCustomers: 4 });
    fx.observe(invoice(40, 30, '2026-03-01T08:00:00Z')); // arrives first
    fx.observe(invoice(10, 20, '2026-03-01T09:00:00Z')); // same day, smaller ids
    fx.observe(invoice(50, 60, '2026-03-02T09:00:00Z')); // needs 2 records, nobody is idle
    expect(fx.state.evictedCustomers).toBe(2);
    expect(history(fx, 10, '2026-03-03T00:00:00Z')[0]).toBe(0);
    expect(history(fx, 40, '2026-03-03T00:00:00Z')[0]).toBe(1);
    expect(history(fx, 50, '2026-03-03T00:00:00Z')[0]).toBe(1);
  });

  it('counts receiving as activity', () => {
    const fx = new FeatureExtractor({ maxCustomers: 4 });
    fx.observe(invoice(1, 2, '2026-01-01T00:00:00Z'));
    fx.observe(invoice(3, 4, '2026-01-01T00:00:00Z'));
    fx.observe(invoice(3, 2, '2026-03-01T00:00:00Z')); // 2 and 3 active again; 1 and 4 stay idle
    fx.observe(invoice(5, 6, '2026-03-02T00:00:00Z'));
    expect(fx.state.evictedCustomers).toBe(2);
    expect(feature(fx.extract(invoice(9, 2, '2026-03-03T00:00:00Z')), 'receiver_count_30d')).toBe(1);
  });

  it('evicts in batches of 1/64 of the bound, so eviction passes stay rare', () => {
    const fx = new FeatureExtractor({ maxCustomers: 256 });
    for (let c = 0; c < 128; c++) fx.observe(invoice(2 * c + 1, 2 * c + 2, '2026-03-01T00:00:00Z'));
    expect(fx.state.evictedCustomers).toBe(0);
    fx.observe(invoice(1_000, 1, '2026-03-01T00:00:00Z'));
    expect(fx.state.evictedCustomers).toBe(4);
    expect(fx.customerCount).toBe(253);
  });

  it('never evicts the customers of the invoice being observed', () => {
    const fx = new FeatureExtractor({ maxCustomers: 2 });
    fx.observe(invoice(1, 2, '2026-01-01T00:00:00Z'));
    fx.observe(invoice(1, 3, '2026-03-01T00:00:00Z')); // 2 goes, 1 stays although idle
    expect(history(fx, 1, '2026-03-02T00:00:00Z')[0]).toBe(2);
    expect(() => new FeatureExtractor({ maxCustomers: 1 })).toThrow(RangeError);
  });
});

describe('PairFilter', () => {
  const pairs = (n: number, offset: number): [number, number][] => Array.from({ length: n }, (_, i) => [offset + i * 7, offset + i * 13 + 1]);

  it('never forgets a pair and is independent of insertion order', () => {
    const a = new PairFilter(20, 3);
    const b = new PairFilter(20, 3);
    const list = pairs(10_000, 1);
    for (const [x, y] of list) a.add(x, 0, y, 0);
    for (const [x, y] of [...list].reverse()) b.add(x, 0, y, 0);
    expect(list.every(([x, y]) => a.has(x, 0, y, 0))).toBe(true);
    expect(b.words).toEqual(a.words);
    expect(a.has(1, 1, 2, 0)).toBe(false); // high id bits matter
  });

  it('has about the documented false-positive rate', () => {
    const filter = new PairFilter(16, 3); // 65,536 bits
    for (const [x, y] of pairs(5_000, 1)) filter.add(x, 0, y, 0);
    const unseen = pairs(40_000, 10_000_000);
    const rate = unseen.filter(([x, y]) => filter.has(x, 0, y, 0)).length / unseen.length;
    const expected = (1 - Math.exp((-3 * 5_000) / 65_536)) ** 3; // ≈ 0.86 %
    expect(rate).toBeGreaterThan(expected / 2);
    expect(rate).toBeLessThan(expected * 2);
  });

  it('validates its size and probes', () => {
    expect(() => new PairFilter(15, 3)).toThrow(RangeError);
    expect(() => new PairFilter(20, 0)).toThrow(RangeError);
    expect(() => new PairFilter(20, 3, new Uint32Array(5))).toThrow(RangeError);
  });
});

describe('bucket arithmetic', () => {
  it('floors exactly at bucket edges, far from the epoch and before it', () => {
    const k = 2_500_000; // ≈ year 2255: k hours in µs is just below 2^53, the last exact integer
    expect(hourIndex(k * MICROS_PER_HOUR - 1)).toBe(k - 1);
    expect(hourIndex(k * MICROS_PER_HOUR)).toBe(k);
    expect(dayIndex(-1)).toBe(-1);
    expect(dayIndex(-MICROS_PER_DAY)).toBe(-1);
    expect(dayIndex(-MICROS_PER_DAY - 1)).toBe(-2);
    for (let q = 1; q < 2_000; q += 37) expect(floorDiv(q * MICROS_PER_DAY - 1, MICROS_PER_DAY)).toBe(q - 1);
    expect(ringSlot(-1, 24)).toBe(23);
    expect(ringSlot(48, 24)).toBe(0);
  });
});
