import { describe, expect, it } from 'vitest';
import { FeatureExtractor } from '../../../src/scoring/features/feature-extractor.ts';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../../src/scoring/features/feature-names.ts';
import { FRAUD_PATTERNS } from '../../../src/scoring/training/labelled-fraud-patterns.ts';
import { generateLabelledInvoices, NORMAL_PATTERN } from '../../../src/scoring/training/labelled-invoices.ts';
import type { LabelledInvoice, LabelledInvoiceOptions } from '../../../src/scoring/training/labelled-invoices.ts';
import { customerCountry } from '../../../src/source/populate/synthetic-customers.ts';
import { invoiceWindow } from '../../../src/source/populate/time-text.ts';

const OPTIONS: LabelledInvoiceOptions = { seed: 424242, count: 20_000, customers: 600, months: 4, now: new Date('2026-05-01T00:00:00Z') };
const rows: LabelledInvoice[] = [...generateLabelledInvoices(OPTIONS)];
const fraud = rows.filter((row) => row.label === 1);
const ofPattern = (pattern: string): LabelledInvoice[] => rows.filter((row) => row.pattern === pattern);
const text = (list: readonly LabelledInvoice[]): string =>
  list.map(({ invoice: i, label, pattern }) => `${i.invoiceId},${i.issueDate},${i.issuerId},${i.receiverId},${i.amountCents},${label},${pattern}`).join('\n');

describe('generateLabelledInvoices: shape', () => {
  it('yields exactly count rows with ids 1..count in issue_date order', () => {
    expect(rows).toHaveLength(OPTIONS.count);
    expect(rows.findIndex((row, k) => row.invoice.invoiceId !== BigInt(k + 1))).toBe(-1);
    expect(rows.findIndex((row, k) => k > 0 && row.invoice.issueDate < rows[k - 1]!.invoice.issueDate)).toBe(-1);
  });

  it('keeps every row inside the window', () => {
    const { startMicros, endMicros } = invoiceWindow(OPTIONS.now, OPTIONS.months);
    expect(rows.filter((row) => row.invoice.issueDate < BigInt(startMicros) || row.invoice.issueDate >= BigInt(endMicros))).toEqual([]);
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const small = { ...OPTIONS, count: 3_000 };
    const a = text([...generateLabelledInvoices(small)]);
    expect(text([...generateLabelledInvoices(small)])).toBe(a);
    expect(text([...generateLabelledInvoices({ ...small, seed: OPTIONS.seed + 1 })])).not.toBe(a);
  });
});

describe('generateLabelledInvoices: labels', () => {
  it('has a fraud rate of 1–3 % (2 % by default, exactly rounded)', () => {
    expect(fraud.length).toBe(Math.round(OPTIONS.count * 0.02));
    expect(fraud.length / rows.length).toBeGreaterThanOrEqual(0.01);
    expect(fraud.length / rows.length).toBeLessThanOrEqual(0.03);
    expect([...generateLabelledInvoices({ ...OPTIONS, count: 2_000, fraudRate: 0 })].some((row) => row.label === 1)).toBe(false);
    expect(() => [...generateLabelledInvoices({ ...OPTIONS, fraudRate: 0.9 })]).toThrow(RangeError);
  });

  it('labels exactly the fraud patterns, and every pattern is present', () => {
    for (const row of rows) expect(row.label === 1).toBe(row.pattern !== NORMAL_PATTERN);
    for (const pattern of FRAUD_PATTERNS) expect(ofPattern(pattern).length, pattern).toBeGreaterThan(0);
    expect(new Set(rows.map((row) => row.pattern))).toEqual(new Set([NORMAL_PATTERN, ...FRAUD_PATTERNS]));
  });

  it('gives bursts to brand-new customers: many invoices within 3 hours, never in normal traffic', () => {
    const normalIssuers = new Set(ofPattern(NORMAL_PATTERN).map((row) => row.invoice.issuerId));
    const byShell = new Map<bigint, LabelledInvoice[]>();
    for (const row of ofPattern('new_customer_burst')) byShell.set(row.invoice.issuerId, [...(byShell.get(row.invoice.issuerId) ?? []), row]);
    expect(byShell.size).toBeGreaterThan(1);
    for (const [shell, burst] of byShell) {
      expect(shell).toBeGreaterThan(BigInt(OPTIONS.customers));
      expect(normalIssuers.has(shell)).toBe(false);
      const span = burst.at(-1)!.invoice.issueDate - burst[0]!.invoice.issueDate;
      expect(span).toBeLessThan(3n * 3_600_000_000n);
    }
    // Only the last incident may be cut short to hit the exact fraud count.
    expect([...byShell.values()].filter((burst) => burst.length < 8).length).toBeLessThanOrEqual(1);
  });

  it('closes every circular-invoicing ring: each issuer is also a receiver', () => {
    const circular = ofPattern('circular_invoicing');
    const receivers = new Set(circular.map((row) => row.invoice.receiverId));
    const open = circular.filter((row) => !receivers.has(row.invoice.issuerId));
    expect(open.length).toBeLessThanOrEqual(1); // the cut-short last incident at most
  });

  it('puts threshold amounts within 0.1 % under 5,000 / 10,000 / 50,000 USD', () => {
    for (const { invoice } of ofPattern('just_under_threshold')) {
      const cents = Number(invoice.amountCents);
      const threshold = [500_000, 1_000_000, 5_000_000].find((t) => cents < t && cents >= t - t / 1000);
      expect(threshold, `${cents}`).toBeDefined();
    }
  });

  it('issues whole-thousand amounts of 10,000 USD or more at night, issuer local time', () => {
    for (const { invoice } of ofPattern('night_round_amount')) {
      expect(invoice.amountCents % 100_000n).toBe(0n);
      expect(invoice.amountCents).toBeGreaterThanOrEqual(1_000_000n);
      const offset = customerCountry(OPTIONS.seed, Number(invoice.issuerId) - 1).utcOffsetMinutes;
      const localMinute = (((Number(invoice.issueDate / 60_000_000n) + offset) % 1440) + 1440) % 1440;
      expect(localMinute).toBeLessThan(5 * 60);
    }
  });

  it('produces features that separate fraud from normal traffic', () => {
    const features = new FeatureExtractor().extractBatch(rows.map((row) => row.invoice));
    const column = (name: (typeof FEATURE_NAMES)[number]): number => FEATURE_NAMES.indexOf(name);
    const mean = (pattern: string, name: (typeof FEATURE_NAMES)[number]): number => {
      const picked = rows.flatMap((row, k) => (row.pattern === pattern ? [features[k * FEATURE_COUNT + column(name)] ?? 0] : []));
      return picked.reduce((a, b) => a + b, 0) / picked.length;
    };
    expect(mean('new_customer_burst', 'issuer_count_24h')).toBeGreaterThan(3 * mean(NORMAL_PATTERN, 'issuer_count_24h'));
    expect(mean('unusual_pair', 'pair_seen_before')).toBeLessThan(mean(NORMAL_PATTERN, 'pair_seen_before'));
    expect(mean('night_round_amount', 'is_round_amount')).toBe(1);
  });
});
