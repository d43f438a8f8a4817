import { describe, expect, it } from 'vitest';
import { hourWeight, localHour } from '../../../src/source/populate/invoice-calendar.ts';
import { customerCountry } from '../../../src/source/populate/synthetic-customers.ts';
import { generateInvoices } from '../../../src/source/populate/synthetic-invoices.ts';
import type { InvoiceGeneratorOptions, SyntheticInvoice } from '../../../src/source/populate/synthetic-invoices.ts';
import { invoiceWindow, MICROS_PER_DAY } from '../../../src/source/populate/time-text.ts';

const NOW = new Date('2026-03-15T12:34:56.789Z');
const OPTIONS: InvoiceGeneratorOptions = { seed: 20260315, count: 20_000, customerCount: 500, months: 6, now: NOW };
const invoices: SyntheticInvoice[] = [...generateInvoices(OPTIONS)];
const AMOUNT = /^(0|[1-9]\d{0,11})\.\d{2}$/;

function share<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  return items.filter(predicate).length / items.length;
}

describe('generateInvoices: shape and determinism', () => {
  it('yields exactly count invoices with consecutive ids from startInvoiceId', () => {
    expect(invoices).toHaveLength(OPTIONS.count);
    expect(invoices.filter((invoice, i) => invoice.invoiceId !== BigInt(i + 1))).toEqual([]);
    const shifted = [...generateInvoices({ ...OPTIONS, count: 3, startInvoiceId: 1_000_000_000_000n })];
    expect(shifted.map((i) => i.invoiceId)).toEqual([1_000_000_000_000n, 1_000_000_000_001n, 1_000_000_000_002n]);
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const again = [...generateInvoices({ ...OPTIONS, count: 2_000 })];
    const small = [...generateInvoices({ ...OPTIONS, count: 2_000 })];
    expect(again).toEqual(small);
    const other = [...generateInvoices({ ...OPTIONS, count: 2_000, seed: OPTIONS.seed + 1 })];
    expect(other.map((i) => i.amount)).not.toEqual(small.map((i) => i.amount));
  });

  it('is pinned: a golden row guards against accidental changes to the data set', () => {
    const [golden] = generateInvoices({ seed: 1, count: 1, customerCount: 100, months: 1, now: new Date('2026-01-01T00:00:00Z') });
    expect(golden).toEqual({
      invoiceId: 1n,
      issueMicros: 1766092825225371,
      issueDate: '2025-12-18 21:20:25.225371+00',
      issuerIndex: 85,
      receiverIndex: 62,
      amountCents: 2375,
      amount: '23.75',
    });
  });

  it('appended batches (another start id) differ, so running populate twice adds new data', () => {
    const first = [...generateInvoices({ ...OPTIONS, count: 500 })];
    const second = [...generateInvoices({ ...OPTIONS, count: 500, startInvoiceId: 501n })];
    expect(second.map((i) => i.issueDate)).not.toEqual(first.map((i) => i.issueDate));
  });

  it('is lazy: the first rows of a 10-million-row run come at once', () => {
    const started = performance.now();
    const iterator = generateInvoices({ ...OPTIONS, count: 10_000_000 });
    for (let i = 0; i < 10; i++) expect(iterator.next().done).toBe(false);
    iterator.return(undefined);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('yields nothing for count 0 and refuses fewer than 2 customers', () => {
    expect([...generateInvoices({ ...OPTIONS, count: 0, customerCount: 0 })]).toEqual([]);
    expect(() => [...generateInvoices({ ...OPTIONS, customerCount: 1 })]).toThrow(/at least 2 customers/);
  });
});

describe('generateInvoices: amounts', () => {
  it('are exact two-decimal strings within numeric(14,2) and above zero', () => {
    const bad = invoices.filter(
      (invoice) =>
        !AMOUNT.test(invoice.amount) ||
        !Number.isSafeInteger(invoice.amountCents) ||
        invoice.amountCents <= 0 ||
        invoice.amountCents > 99_999_999_999_999 ||
        // The text is exactly the integer cents: no float formatting anywhere.
        invoice.amount.replace('.', '').replace(/^0+(?=\d)/, '') !== String(invoice.amountCents),
    );
    expect(bad).toEqual([]);
  });

  it('mostly carry non-zero cents, with some round amounts', () => {
    const round = share(invoices, (i) => i.amount.endsWith('.00'));
    expect(round).toBeGreaterThan(0.05);
    expect(round).toBeLessThan(0.4);
  });

  it('are heavy-tailed: the top 1% of invoices hold a large share of the total', () => {
    const cents = invoices.map((i) => i.amountCents).sort((a, b) => b - a);
    const total = cents.reduce((a, b) => a + b, 0);
    const top = cents.slice(0, cents.length / 100).reduce((a, b) => a + b, 0);
    // A uniform distribution gives about 2%; log-normal amounts give about a third.
    expect(top / total).toBeGreaterThan(0.2);
  });
});

describe('generateInvoices: who invoices whom', () => {
  it('never has an issuer invoicing itself, and indexes stay in range', () => {
    const inRange = (index: number): boolean => Number.isInteger(index) && index >= 0 && index < OPTIONS.customerCount;
    const bad = invoices.filter(
      (i) => i.issuerIndex === i.receiverIndex || !inRange(i.issuerIndex) || !inRange(i.receiverIndex),
    );
    expect(bad).toEqual([]);
  });

  it('has a few very active issuers', () => {
    const perIssuer = new Map<number, number>();
    for (const i of invoices) perIssuer.set(i.issuerIndex, (perIssuer.get(i.issuerIndex) ?? 0) + 1);
    const counts = [...perIssuer.values()].sort((a, b) => b - a);
    const topOnePercent = counts.slice(0, OPTIONS.customerCount / 100).reduce((a, b) => a + b, 0);
    // Uniform issuers would give 1%.
    expect(topOnePercent / invoices.length).toBeGreaterThan(0.15);
  });

  it('repeats issuer→receiver pairs', () => {
    const pairs = new Map<string, number>();
    for (const i of invoices) {
      const key = `${i.issuerIndex}>${i.receiverIndex}`;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
    expect(pairs.size).toBeLessThan(invoices.length * 0.4);
    expect(Math.max(...pairs.values())).toBeGreaterThan(50);
  });
});

describe('generateInvoices: time', () => {
  const window = invoiceWindow(NOW, OPTIONS.months);

  it('stays inside the window, in issue_date order, with microsecond text', () => {
    const text = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\+00$/;
    const bad = invoices.filter(
      (invoice, i) =>
        invoice.issueMicros < window.startMicros ||
        invoice.issueMicros >= window.endMicros ||
        invoice.issueMicros < (invoices[i - 1]?.issueMicros ?? -Infinity) ||
        !text.test(invoice.issueDate),
    );
    expect(bad).toEqual([]);
    // Real microseconds, not milliseconds padded with zeros.
    expect(share(invoices, (i) => i.issueMicros % 1000 !== 0)).toBeGreaterThan(0.99);
  });

  it('covers the whole window, growing towards now', () => {
    const span = window.endMicros - window.startMicros;
    const firstHalf = share(invoices, (i) => i.issueMicros < window.startMicros + span / 2);
    expect(firstHalf).toBeGreaterThan(0.3);
    expect(firstHalf).toBeLessThan(0.5);
    expect(invoices[0]!.issueMicros - window.startMicros).toBeLessThan(3 * MICROS_PER_DAY);
  });

  it('happens mostly in the issuer’s business hours and on weekdays', () => {
    const business = share(invoices, (i) => {
      const hour = localHour(i.issueMicros, customerCountry(OPTIONS.seed, i.issuerIndex).utcOffsetMinutes);
      return hourWeight(hour) === 1;
    });
    expect(business).toBeGreaterThan(0.8);
    const weekend = share(invoices, (i) => {
      const day = new Date(Math.floor(i.issueMicros / 1000)).getUTCDay();
      return day === 0 || day === 6;
    });
    // Uniform timestamps would put 2/7 (29%) at weekends.
    expect(weekend).toBeLessThan(0.1);
  });
});
