import { describe, expect, it } from 'vitest';
import { createCounterparties, zipfRank } from '../../../src/source/populate/counterparties.ts';
import { hourWeight, localHour, planDays, sampleDayTimestamps } from '../../../src/source/populate/invoice-calendar.ts';
import { createRng } from '../../../src/source/populate/prng.ts';
import { invoiceWindow, MICROS_PER_DAY, weekdayOfDay } from '../../../src/source/populate/time-text.ts';

describe('counterparties', () => {
  it('zipfRank stays in range and favours low ranks', () => {
    const n = 1_000;
    const ranks = Array.from({ length: 20_000 }, (_, i) => zipfRank((i + 0.5) / 20_000, n));
    expect(ranks.filter((r) => !Number.isInteger(r) || r < 0 || r >= n)).toEqual([]);
    expect(ranks.filter((r) => r < 10).length / ranks.length).toBeGreaterThan(0.3);
    expect(zipfRank(0, 1)).toBe(0);
  });

  it('never picks the issuer as its own receiver, even with two customers', () => {
    for (const n of [2, 3, 97]) {
      const parties = createCounterparties(5, n);
      const rng = createRng(n);
      let self = 0;
      for (let i = 0; i < 5_000; i++) {
        const issuer = parties.pickActive(rng);
        const receiver = parties.pickReceiver(rng, issuer);
        if (receiver.index === issuer || receiver.index < 0 || receiver.index >= n) self++;
      }
      expect(self).toBe(0);
    }
  });

  it('regular receivers are a small stable set per issuer', () => {
    const parties = createCounterparties(5, 10_000);
    const rng = createRng(1);
    const regulars = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const choice = parties.pickReceiver(rng, 1234);
      if (choice.slot >= 0) regulars.add(choice.index);
    }
    expect(regulars.size).toBeGreaterThanOrEqual(1);
    expect(regulars.size).toBeLessThanOrEqual(8);
  });

  it('issuer scale and subscription amounts are pure functions', () => {
    const a = createCounterparties(5, 100);
    const b = createCounterparties(5, 100);
    expect(a.issuerScale(7)).toBe(b.issuerScale(7));
    expect(a.subscriptionNormal(7, 0)).toBe(b.subscriptionNormal(7, 0));
    expect(a.subscriptionNormal(7, -1)).toBeUndefined();
    expect(() => createCounterparties(5, 1)).toThrow(RangeError);
  });
});

describe('invoice calendar', () => {
  const window = invoiceWindow(new Date('2026-03-15T12:34:56.789Z'), 3);

  it('plans days whose counts add up exactly and cover the window', () => {
    for (const total of [0, 1, 7, 12_345]) {
      const plans = planDays(window, total, 1);
      expect(plans.reduce((sum, p) => sum + p.count, 0)).toBe(total);
      expect(plans.filter((p) => p.count < 0)).toEqual([]);
      expect(plans[0]!.startMicros).toBe(window.startMicros);
      expect(plans.at(-1)!.endMicros).toBe(window.endMicros);
    }
  });

  it('puts few invoices on weekends', () => {
    const plans = planDays(window, 100_000, 1);
    const weekend = plans
      .filter((p) => [0, 6].includes(weekdayOfDay(Math.floor(p.startMicros / MICROS_PER_DAY))))
      .reduce((sum, p) => sum + p.count, 0);
    expect(weekend / 100_000).toBeLessThan(0.05);
  });

  it('samples sorted timestamps inside the day', () => {
    const plan = { startMicros: 20_000 * MICROS_PER_DAY, endMicros: 20_001 * MICROS_PER_DAY, count: 2_000 };
    const times = sampleDayTimestamps(createRng(2), plan);
    expect(times).toHaveLength(2_000);
    expect([...times].filter((t, i) => t < plan.startMicros || t >= plan.endMicros || (i > 0 && t < times[i - 1]!))).toEqual([]);
  });

  it('localHour applies the offset and hourWeight favours office hours', () => {
    const midnightUtc = 20_000 * MICROS_PER_DAY;
    expect(localHour(midnightUtc, 0)).toBe(0);
    expect(localHour(midnightUtc, 540)).toBe(9);
    expect(localHour(midnightUtc, -300)).toBe(19);
    expect(localHour(midnightUtc + 30 * 60_000_000, 330)).toBe(6);
    expect(hourWeight(10)).toBe(1);
    expect(hourWeight(3)).toBeLessThan(0.1);
  });
});
