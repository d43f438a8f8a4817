import { describe, expect, it } from 'vitest';
import { LakeError } from '../../../../src/errors/lake-error.ts';
import { CHECKPOINT_VERSION, serializeFeatureState } from '../../../../src/scoring/features/feature-checkpoint.ts';
import { FeatureExtractor } from '../../../../src/scoring/features/feature-extractor.ts';
import { FEATURE_COUNT } from '../../../../src/scoring/features/feature-names.ts';
import type { ScoringInvoice } from '../../../../src/scoring/features/feature-names.ts';
import { generateLabelledInvoices } from '../../../../src/scoring/training/labelled-invoices.ts';
import { invoice, MICROS_PER_HOUR } from './invoices.ts';

const NOW = new Date('2026-04-01T00:00:00Z');
const invoices: ScoringInvoice[] = [...generateLabelledInvoices({ seed: 11, count: 6_000, customers: 300, months: 3, now: NOW })].map(
  (row) => row.invoice,
);

/** Bit patterns of a float array, so -0 / NaN differences could not hide behind toEqual. */
const bits = (rows: Float32Array): Uint32Array => new Uint32Array(rows.buffer, rows.byteOffset, rows.length);

/** Index of the first differing element, -1 when equal (deep toEqual on large typed arrays is slow). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('determinism', () => {
  it('gives bit-identical features for the same invoice sequence', () => {
    const a = new FeatureExtractor().extractBatch(invoices);
    const b = new FeatureExtractor().extractBatch(invoices);
    expect(firstDifference(bits(b), bits(a))).toBe(-1);
    const oneByOne = new FeatureExtractor();
    const rows = new Float32Array(a.length);
    invoices.forEach((inv, k) => rows.set(oneByOne.next(inv), k * FEATURE_COUNT));
    expect(firstDifference(bits(rows), bits(a))).toBe(-1);
  });

  it('does not depend on unrelated history such as earlier evictions or table growth', () => {
    // Same invoices for customers 1..3, once alone and once after 5,000 other customers came and went.
    const tail = [invoice(1, 2, '2026-03-01T10:00:00Z', 500), invoice(1, 3, '2026-03-01T11:00:00Z', 700), invoice(2, 1, '2026-03-02T09:00:00Z', 900)];
    const quiet = new FeatureExtractor({ maxCustomers: 64 }).extractBatch(tail);
    const busy = new FeatureExtractor({ maxCustomers: 64 });
    for (let c = 0; c < 5_000; c++) busy.observe(invoice(1_000 + c, 10_000 + c, '2025-11-01T00:00:00Z'));
    expect(busy.state.evictedCustomers).toBeGreaterThan(0);
    const after = busy.extractBatch(tail);
    // Only the pair bitmap remembers old traffic (by design), and none of these pairs were in it.
    expect(firstDifference(bits(after), bits(quiet))).toBe(-1);
  });
});

describe('checkpoint and restore', () => {
  it('continues exactly like an uninterrupted extractor', () => {
    for (const cut of [0, 1, 1_234, 4_000]) {
      const uninterrupted = new FeatureExtractor();
      const expected = uninterrupted.extractBatch(invoices);
      const first = new FeatureExtractor();
      first.extractBatch(invoices.slice(0, cut));
      const restored = FeatureExtractor.restore(serializeFeatureState(first));
      const rest = restored.extractBatch(invoices.slice(cut));
      expect(firstDifference(bits(rest), bits(expected.subarray(cut * FEATURE_COUNT)))).toBe(-1);
      expect(firstDifference(serializeFeatureState(restored), serializeFeatureState(uninterrupted))).toBe(-1);
    }
  });

  it('round-trips byte for byte and keeps the options', () => {
    const fx = new FeatureExtractor({ maxCustomers: 500, pairBitsLog2: 18, pairProbes: 2 });
    fx.extractBatch(invoices.slice(0, 3_000));
    const bytes = serializeFeatureState(fx);
    const restored = FeatureExtractor.restore(bytes);
    expect(firstDifference(serializeFeatureState(restored), bytes)).toBe(-1);
    expect(restored.state.maxCustomers).toBe(500);
    expect(restored.state.pairs.bitsLog2).toBe(18);
    expect(restored.state.pairs.probes).toBe(2);
    expect(restored.customerCount).toBe(fx.customerCount);
  });

  it('survives eviction, out-of-order rows, self-invoices, negative amounts and 64-bit ids', () => {
    const odd = [
      invoice(2n ** 62n, -(2n ** 62n), '2026-01-01T00:00:00Z', -5_000),
      invoice(-7, -7, '2026-01-01T01:00:00Z', 10_000),
      invoice(2n ** 62n, 3, '2025-12-31T20:00:00Z', 99_999_999_999_999n),
    ];
    const stream = [...invoices.slice(0, 2_000), ...odd, ...invoices.slice(2_000, 4_000)];
    const expected = new FeatureExtractor({ maxCustomers: 120 }).extractBatch(stream);
    const first = new FeatureExtractor({ maxCustomers: 120 });
    first.extractBatch(stream.slice(0, 2_002));
    expect(first.state.evictedCustomers).toBeGreaterThan(0);
    const rest = FeatureExtractor.restore(serializeFeatureState(first)).extractBatch(stream.slice(2_002));
    expect(firstDifference(bits(rest), bits(expected.subarray(2_002 * FEATURE_COUNT)))).toBe(-1);
  });

  it('restores the eviction clock, so a restored extractor evicts the same customers', () => {
    const prefix = [invoice(1, 2, '2026-01-01T00:00:00Z'), invoice(3, 4, '2026-03-01T00:00:00Z')];
    // A late invoice: idleness is measured against the newest date seen (March), not this one.
    const suffix = [invoice(5, 3, '2026-01-02T00:00:00Z'), invoice(7, 2, '2026-01-03T00:00:00Z'), invoice(8, 1, '2026-01-03T00:00:00Z')];
    const uninterrupted = new FeatureExtractor({ maxCustomers: 4 });
    uninterrupted.extractBatch(prefix);
    const restored = FeatureExtractor.restore(serializeFeatureState(uninterrupted));
    const expected = uninterrupted.extractBatch(suffix);
    expect(firstDifference(bits(restored.extractBatch(suffix)), bits(expected))).toBe(-1);
    expect(restored.state.evictedCustomers).toBe(uninterrupted.state.evictedCustomers);
    expect(restored.state.newestMicros).toBe(uninterrupted.state.newestMicros);
  });

  it('is compact for a sparse state and versioned', () => {
    const fx = new FeatureExtractor();
    fx.observe(invoice(1, 2, '2026-01-01T00:00:00Z'));
    const bytes = serializeFeatureState(fx);
    expect(bytes.length).toBeLessThan(300); // the 8 MiB bitmap is written as its 3 set words
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('IXFS');
    expect(bytes[4]! | (bytes[5]! << 8)).toBe(CHECKPOINT_VERSION);
  });

  it('refuses corrupted, truncated, foreign or newer checkpoints', () => {
    const fx = new FeatureExtractor();
    fx.extractBatch(invoices.slice(0, 200));
    const bytes = serializeFeatureState(fx);
    const flipped = bytes.slice();
    flipped[100] = (flipped[100] ?? 0) ^ 1;
    const newer = bytes.slice();
    newer[4] = CHECKPOINT_VERSION + 1;
    const foreign = bytes.slice();
    foreign[0] = 0x50;
    for (const [bad, message] of [
      [flipped, /checksum/],
      [bytes.subarray(0, bytes.length - 9), /checksum|truncated/],
      [newer, /unsupported version/],
      [foreign, /not a feature checkpoint/],
      [new Uint8Array(3), /too short/],
    ] as const) {
      expect(() => FeatureExtractor.restore(bad)).toThrow(LakeError);
      expect(() => FeatureExtractor.restore(bad)).toThrow(message);
    }
  });

  it('restores the ring position so an hour later the oldest bucket leaves the window', () => {
    const fx = new FeatureExtractor();
    const t0 = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z
    for (let h = 0n; h < 30n; h++) fx.observe(invoice(1, 2, t0 + h * MICROS_PER_HOUR));
    const restored = FeatureExtractor.restore(serializeFeatureState(fx));
    for (const h of [30n, 31n, 40n, 60n]) {
      const probe = invoice(1, 2, t0 + h * MICROS_PER_HOUR);
      expect(firstDifference(bits(restored.extract(probe)), bits(fx.extract(probe)))).toBe(-1);
    }
  });
});
