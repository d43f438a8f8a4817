import { describe, expect, it } from 'vitest';
import {
  dayFromMicros,
  hourFromMicros,
  monthFromDays,
  monthFromMicros,
  monthLabel,
  partitionValue,
  partitionValueFromDays,
  transformResultType,
  yearFromMicros,
} from '../../../src/lake/iceberg/transforms.ts';

/** µs since epoch of an ISO instant (UTC). */
const micros = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;

describe('monthFromMicros (months since 1970-01, UTC, floor)', () => {
  it.each<[string, number]>([
    ['1970-01-01T00:00:00.000Z', 0],
    ['1970-01-31T23:59:59.999Z', 0],
    ['1970-02-01T00:00:00.000Z', 1],
    ['1969-12-31T00:00:00.000Z', -1],
    ['1969-12-31T23:59:59.999Z', -1],
    ['1969-12-01T00:00:00.000Z', -1],
    ['1969-11-30T00:00:00.000Z', -2],
    ['1969-01-01T00:00:00.000Z', -12],
    ['1968-12-31T23:59:59.999Z', -13],
    ['2023-12-31T23:59:59.999Z', 647],
    ['2024-01-01T00:00:00.000Z', 648],
    ['2024-02-29T12:00:00.000Z', 649],
    ['2024-03-01T00:00:00.000Z', 650],
    ['2000-02-29T00:00:00.000Z', 361],
    ['1900-03-01T00:00:00.000Z', -838],
  ])('%s → %i', (iso, month) => {
    expect(monthFromMicros(micros(iso))).toBe(month);
  });

  it('uses the sub-millisecond part with floor semantics', () => {
    expect(monthFromMicros(-1n)).toBe(-1); // 1969-12-31T23:59:59.999999Z
    expect(monthFromMicros(micros('2024-02-01T00:00:00.000Z') - 1n)).toBe(648);
  });

  it('agrees with Date on a sweep of instants', () => {
    for (let ms = -5e12; ms <= 5e12; ms += 7_777_777_777) {
      const d = new Date(ms);
      const expected = (d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth();
      expect(monthFromMicros(BigInt(ms) * 1000n + 123n)).toBe(expected);
    }
  });

  it('stays exact at the ends of the 64-bit range, beyond what Date can hold', () => {
    expect(monthFromMicros(2n ** 63n - 1n)).toBe((294247 - 1970) * 12);
    expect(Number.isInteger(monthFromMicros(-(2n ** 63n)))).toBe(true);
  });
});

describe('other date/time transforms', () => {
  it('day and hour floor before the epoch', () => {
    expect(dayFromMicros(0n)).toBe(0);
    expect(dayFromMicros(-1n)).toBe(-1);
    expect(dayFromMicros(micros('2022-01-02T23:59:59.999Z'))).toBe(18994);
    expect(hourFromMicros(-1n)).toBe(-1);
    expect(hourFromMicros(micros('1970-01-02T01:00:00.000Z'))).toBe(25);
  });

  it('year counts from 1970', () => {
    expect(yearFromMicros(micros('2024-12-31T23:59:59.999Z'))).toBe(54);
    expect(yearFromMicros(-1n)).toBe(-1);
  });

  it('month of a date (days since epoch)', () => {
    expect(monthFromDays(0)).toBe(0);
    expect(monthFromDays(-1)).toBe(-1);
    expect(monthFromDays(-32)).toBe(-2); // 1969-11-30
    expect(monthFromDays(19782)).toBe(649); // 2024-02-29
  });
});

describe('monthLabel', () => {
  it.each<[number, string]>([
    [0, '1970-01'],
    [11, '1970-12'],
    [648, '2024-01'],
    [649, '2024-02'],
    [-1, '1969-12'],
    [-12, '1969-01'],
    [-13, '1968-12'],
  ])('%i → %s', (month, label) => {
    expect(monthLabel(month)).toBe(label);
  });

  it('labels what monthFromMicros computes', () => {
    expect(monthLabel(monthFromMicros(micros('2024-02-29T23:59:59.999Z')))).toBe('2024-02');
    expect(monthLabel(monthFromMicros(micros('1969-11-30T00:00:00.000Z')))).toBe('1969-11');
  });
});

describe('partitionValue', () => {
  it('applies month and identity to timestamps; void and null give null', () => {
    const t = micros('2024-01-15T10:00:00.000Z');
    expect(partitionValue('month', t)).toBe(648);
    expect(partitionValue('identity', t)).toBe(t);
    expect(partitionValue('day', t)).toBe(19737);
    expect(partitionValue('month', null)).toBeNull();
    expect(partitionValue('void', t)).toBeNull();
    expect(() => partitionValue('bucket[4]', t)).toThrow(TypeError);
  });

  it('applies transforms to dates', () => {
    expect(partitionValueFromDays('month', 19782)).toBe(649);
    expect(partitionValueFromDays('identity', 19782)).toBe(19782);
    expect(partitionValueFromDays('year', -1)).toBe(-1);
    expect(() => partitionValueFromDays('hour', 1)).toThrow(TypeError);
  });

  it('knows the result types of the spec', () => {
    expect(transformResultType('month', 'timestamptz')).toBe('int');
    expect(transformResultType('day', 'timestamptz')).toBe('date');
    expect(transformResultType('bucket[16]', 'string')).toBe('int');
    expect(transformResultType('identity', 'date')).toBe('date');
    expect(transformResultType('truncate[4]', 'string')).toBe('string');
  });
});
