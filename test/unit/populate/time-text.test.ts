import { civilFromDays } from '../../../src/calendar/civil-date.ts';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/source/populate/prng.ts';
import {
  formatUtcMicros,
  invoiceWindow,
  subtractMonthsUtc,
  weekdayOfDay,
} from '../../../src/source/populate/time-text.ts';

describe('formatUtcMicros', () => {
  it('writes PostgreSQL timestamptz text with six fractional digits', () => {
    expect(formatUtcMicros(0)).toBe('1970-01-01 00:00:00.000000+00');
    expect(formatUtcMicros(1_772_615_553_123_456)).toBe('2026-03-04 09:12:33.123456+00');
    expect(formatUtcMicros(951_782_400_000_001)).toBe('2000-02-29 00:00:00.000001+00');
    expect(formatUtcMicros(-1)).toBe('1969-12-31 23:59:59.999999+00');
  });

  it('agrees with Date for random instants, keeping the microseconds', () => {
    const rng = createRng(5);
    const mismatches: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const micros = Math.floor(rng.next53() * 4_102_444_800_000_000); // 1970..2100
      const iso = new Date(Math.floor(micros / 1000)).toISOString(); // ms precision
      const expected = `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(micros % 1_000_000).padStart(6, '0')}+00`;
      if (formatUtcMicros(micros) !== expected) mismatches.push(`${micros}: ${formatUtcMicros(micros)} != ${expected}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('rejects fractional microseconds instead of rounding silently', () => {
    expect(() => formatUtcMicros(1.5)).toThrow(RangeError);
  });
});

describe('calendar helpers', () => {
  it('civilFromDays and weekdayOfDay match known dates', () => {
    expect(civilFromDays(0)).toEqual({ year: 1970, month: 1, day: 1 });
    expect(weekdayOfDay(0)).toBe(4); // Thursday
    const day = Date.UTC(2026, 2, 14) / 86_400_000; // a Saturday
    expect(civilFromDays(day)).toEqual({ year: 2026, month: 3, day: 14 });
    expect(weekdayOfDay(day)).toBe(6);
    expect(weekdayOfDay(-1)).toBe(3);
  });

  it('subtracts calendar months with the day clamped like PostgreSQL', () => {
    expect(subtractMonthsUtc(new Date('2026-03-31T10:00:00.123Z'), 1).toISOString()).toBe('2026-02-28T10:00:00.123Z');
    expect(subtractMonthsUtc(new Date('2024-03-31T10:00:00Z'), 1).toISOString()).toBe('2024-02-29T10:00:00.000Z');
    expect(subtractMonthsUtc(new Date('2026-01-15T00:00:00Z'), 14).toISOString()).toBe('2024-11-15T00:00:00.000Z');
  });

  it('invoiceWindow ends at now and spans the months', () => {
    const now = new Date('2026-03-15T12:00:00.5Z');
    const window = invoiceWindow(now, 6);
    expect(window.endMicros).toBe(now.getTime() * 1000);
    expect(window.startMicros).toBe(Date.parse('2025-09-15T12:00:00.5Z') * 1000);
    expect(() => invoiceWindow(now, 0)).toThrow(RangeError);
    expect(() => invoiceWindow(now, 1.5)).toThrow(RangeError);
  });
});
