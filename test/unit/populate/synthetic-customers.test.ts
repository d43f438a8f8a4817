import { describe, expect, it } from 'vitest';
import { COUNTRIES, INDUSTRIES } from '../../../src/source/populate/catalog.ts';
import { generateCustomers } from '../../../src/source/populate/synthetic-customers.ts';
import { invoiceWindow } from '../../../src/source/populate/time-text.ts';

const NOW = new Date('2026-03-15T12:34:56.789Z');
const OPTIONS = { seed: 99, count: 3_000, now: NOW, months: 6 };
const customers = [...generateCustomers(OPTIONS)];

describe('generateCustomers', () => {
  it('yields count customers with consecutive ids and is deterministic', () => {
    expect(customers).toHaveLength(3_000);
    expect(customers.filter((c, i) => c.customerId !== BigInt(i + 1) || c.index !== i)).toEqual([]);
    expect([...generateCustomers({ ...OPTIONS, count: 50 })].map((c) => c.name)).toEqual(customers.slice(0, 50).map((c) => c.name));
    expect([...generateCustomers({ ...OPTIONS, seed: 100, count: 50 })].map((c) => c.name)).not.toEqual(
      customers.slice(0, 50).map((c) => c.name),
    );
  });

  it('topping up from an index describes the same customers under new ids', () => {
    const topUp = [...generateCustomers({ ...OPTIONS, fromIndex: 2_990, firstCustomerId: 5_001n })];
    expect(topUp).toHaveLength(10);
    expect(topUp[0]!.customerId).toBe(5_001n);
    expect(topUp.map((c) => [c.name, c.country, c.industry, c.createdAt])).toEqual(
      customers.slice(2_990).map((c) => [c.name, c.country, c.industry, c.createdAt]),
    );
  });

  it('uses ISO-2 countries and known industries, with a realistic mix', () => {
    const codes = new Set(COUNTRIES.map((c) => c.code));
    const industries = new Set(INDUSTRIES.map((i) => i.name));
    expect(customers.filter((c) => !/^[A-Z]{2}$/.test(c.country) || !codes.has(c.country) || !industries.has(c.industry))).toEqual([]);
    expect(new Set(customers.map((c) => c.country)).size).toBeGreaterThan(15);
    const us = customers.filter((c) => c.country === 'US').length / customers.length;
    expect(us).toBeGreaterThan(0.2);
    expect(us).toBeLessThan(0.4);
  });

  it('names are non-empty, varied, and keep non-ASCII letters', () => {
    expect(customers.filter((c) => c.name.trim() === '' || c.name !== c.name.trim())).toEqual([]);
    expect(new Set(customers.map((c) => c.name)).size).toBeGreaterThan(1_500);
    expect(customers.some((c) => /[^\x20-\x7e]/.test(c.name))).toBe(true);
  });

  it('were created before the invoices window, older ids first', () => {
    const { startMicros } = invoiceWindow(NOW, OPTIONS.months);
    expect(customers.filter((c) => c.createdMicros >= startMicros)).toEqual([]);
    expect(customers.filter((c, i) => i > 0 && c.createdMicros < customers[i - 1]!.createdMicros)).toEqual([]);
    expect(customers[0]!.createdAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}\+00$/);
    // Spread over years, not bunched just before the window.
    expect(startMicros - customers[0]!.createdMicros).toBeGreaterThan(5 * 365 * 86_400_000_000);
  });
});
