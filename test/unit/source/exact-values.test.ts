import { daysFromCivil } from '../../../src/calendar/civil-date.ts';
import { describe, expect, it } from 'vitest';
import {
  ValueRejected,

  decodeDecimal,
  decodeInteger,
  decodeTimestamptz,
  formatDecimal,
  formatTimestamptz,
} from '../../../src/source/exact-values.ts';

const MICROS_PER_400_YEARS = 146_097n * 86_400_000_000n; // the Gregorian calendar repeats every 400 years

/** Microseconds since the Unix epoch from UTC calendar fields, computed with Date (independent of the code under test). */
function utcMicros(year: number, month: number, day: number, h = 0, mi = 0, s = 0, micros = 0): bigint {
  // JS Date ends at year 275760: shift far years back by whole 400-year cycles.
  const cycles = year > 100_000 ? Math.floor((year - 2000) / 400) : 0;
  const date = new Date(Date.UTC(2000, month - 1, day, h, mi, s));
  date.setUTCFullYear(year - cycles * 400); // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear does not
  return BigInt(date.getTime()) * 1000n + BigInt(micros) + BigInt(cycles) * MICROS_PER_400_YEARS;
}

describe('decodeInteger', () => {
  it.each<[string, bigint]>([
    ['0', 0n],
    ['-1', -1n],
    ['9223372036854775807', 2n ** 63n - 1n],
    ['-9223372036854775808', -(2n ** 63n)],
    ['9007199254740993', 9007199254740993n], // 2^53 + 1: would be rounded by a float
  ])('%s → %s', (text, expected) => {
    expect(decodeInteger(text)).toBe(expected);
  });

  it.each(['9223372036854775808', '-9223372036854775809', '', '1.0', '1e3', ' 1', '0x10', 'NaN'])('rejects %j', (text) => {
    expect(() => decodeInteger(text)).toThrow(ValueRejected);
  });
});

describe('decodeDecimal at numeric(14,2)', () => {
  const decode = (text: string) => decodeDecimal(text, 14, 2);

  it.each<[string, bigint]>([
    ['0', 0n],
    ['0.00', 0n],
    ['-0.00', 0n],
    ['-0.01', -1n],
    ['0.01', 1n],
    ['1.5', 150n],
    ['1.000', 100n], // trailing zeros beyond the scale lose nothing
    ['12.3', 1230n],
    ['42', 4200n],
    ['-123.45', -12345n],
    ['999999999999.99', 99_999_999_999_999n],
    ['-999999999999.99', -99_999_999_999_999n],
    ['00012.30', 1230n],
  ])('%s → %s', (text, expected) => {
    expect(decode(text)).toBe(expected);
  });

  it('keeps every digit beyond 2^53 (no float on the way)', () => {
    expect(decodeDecimal('12345678901234567.89', 38, 2)).toBe(1234567890123456789n);
    expect(decodeDecimal('-99999999999999999999999999999999999.999', 38, 3)).toBe(-(10n ** 38n - 1n));
  });

  it.each([
    ['1.005', 'more than 2 fractional digits'],
    ['0.001', 'more than 2 fractional digits'],
    ['-1.0000001', 'more than 2 fractional digits'],
    ['1000000000000.00', 'does not fit decimal(14, 2)'],
    ['-1000000000000', 'does not fit decimal(14, 2)'],
    ['NaN', 'not a finite decimal'],
    ['Infinity', 'not a finite decimal'],
    ['-Infinity', 'not a finite decimal'],
    ['', 'not a finite decimal'],
    ['1e5', 'not a finite decimal'],
    ['.5', 'not a finite decimal'],
    ['1.', 'not a finite decimal'],
    ['+1', 'not a finite decimal'],
    ['1,5', 'not a finite decimal'],
    [' 1', 'not a finite decimal'],
  ])('rejects %j (%s)', (text, reason) => {
    expect(() => decode(text)).toThrow(ValueRejected);
    expect(() => decode(text)).toThrow(reason);
  });

  it('scale 0 accepts whole numbers and zero fractions only', () => {
    expect(decodeDecimal('17', 5, 0)).toBe(17n);
    expect(decodeDecimal('17.000', 5, 0)).toBe(17n);
    expect(() => decodeDecimal('17.5', 5, 0)).toThrow(ValueRejected);
    expect(() => decodeDecimal('100000', 5, 0)).toThrow(ValueRejected);
  });
});

describe('formatDecimal', () => {
  it.each<[bigint, number, string]>([
    [0n, 2, '0.00'],
    [-1n, 2, '-0.01'],
    [-5n, 2, '-0.05'],
    [1n, 2, '0.01'],
    [150n, 2, '1.50'],
    [1230n, 2, '12.30'],
    [99_999_999_999_999n, 2, '999999999999.99'],
    [-99_999_999_999_999n, 2, '-999999999999.99'],
    [42n, 0, '42'],
    [-42n, 0, '-42'],
    [7n, 5, '0.00007'],
  ])('%s at scale %s → %s', (unscaled, scale, expected) => {
    expect(formatDecimal(unscaled, scale)).toBe(expected);
  });

  it.each(['0.00', '-0.01', '0.01', '1.50', '999999999999.99', '-999999999999.99', '123456.78', '-7.00'])(
    'round trips canonical text %s',
    (text) => {
      expect(formatDecimal(decodeDecimal(text, 14, 2), 2)).toBe(text);
    },
  );

  it('round trips every unscaled value in a spread', () => {
    for (let i = -2000n; i <= 2000n; i += 7n) {
      const unscaled = i * 49_999_999_999n; // up to ±99 999 999 999 998
      expect(decodeDecimal(formatDecimal(unscaled, 2), 14, 2)).toBe(unscaled);
    }
  });
});

describe('decodeTimestamptz', () => {
  it.each<[string, bigint]>([
    ['1970-01-01 00:00:00+00', 0n],
    ['1970-01-01 00:00:00.000001+00', 1n],
    ['2024-01-15 10:20:30.123456+00', utcMicros(2024, 1, 15, 10, 20, 30, 123_456)],
    ['2024-01-15T10:20:30.123456+00', utcMicros(2024, 1, 15, 10, 20, 30, 123_456)],
    ['2024-01-15 10:20:30.5+00', utcMicros(2024, 1, 15, 10, 20, 30, 500_000)],
    ['2024-01-15 10:20:30.000010+00', utcMicros(2024, 1, 15, 10, 20, 30, 10)],
    ['2024-01-15 10:20:30+00', utcMicros(2024, 1, 15, 10, 20, 30)],
    // offsets: local time minus offset is UTC
    ['2024-01-15 10:20:30.123456+05:30', utcMicros(2024, 1, 15, 4, 50, 30, 123_456)],
    ['2024-01-15 10:20:30.123456-08', utcMicros(2024, 1, 15, 18, 20, 30, 123_456)],
    ['2024-01-15 10:20:30-08:00', utcMicros(2024, 1, 15, 18, 20, 30)],
    ['2024-01-01 01:00:00+02', utcMicros(2023, 12, 31, 23, 0, 0)], // crosses a year boundary
    ['1900-01-01 00:00:00+00:09:21', utcMicros(1899, 12, 31, 23, 50, 39)], // LMT offsets have seconds
    // before 1970
    ['1969-12-31 23:59:59.999999+00', -1n],
    ['1969-12-31 23:59:59+00', -1_000_000n],
    ['1900-03-01 12:00:00.000001+00', utcMicros(1900, 3, 1, 12, 0, 0, 1)],
    ['0001-01-01 00:00:00+00', utcMicros(1, 1, 1)],
    // leap days
    ['2024-02-29 23:59:59.999999+00', utcMicros(2024, 2, 29, 23, 59, 59, 999_999)],
    ['2000-02-29 00:00:00+00', utcMicros(2000, 2, 29)],
    ['2024-03-01 00:00:00+00', utcMicros(2024, 2, 29) + 86_400_000_000n],
    // five-digit years (PostgreSQL allows up to 294276 AD)
    ['10000-01-01 00:00:00+00', utcMicros(10000, 1, 1)],
    // the last instant the lake holds (2^63-2 µs: DuckDB reads 2^63-1 as infinity), also reached through an offset
    ['294247-01-10 04:00:54.775806+00', 2n ** 63n - 2n],
    ['294247-01-10 05:00:54.775806+01', 2n ** 63n - 2n],
    ['294247-01-09 23:59:59.999999+00', utcMicros(294247, 1, 9, 23, 59, 59, 999_999)],
  ])('%s', (text, expected) => {
    expect(decodeTimestamptz(text)).toBe(expected);
  });

  it('keeps all six fractional digits distinct', () => {
    const base = decodeTimestamptz('2023-12-31 23:59:59+00');
    for (const [fraction, micros] of [['000001', 1n], ['999999', 999_999n], ['123457', 123_457n], ['1', 100_000n], ['12', 120_000n]] as const) {
      expect(decodeTimestamptz(`2023-12-31 23:59:59.${fraction}+00`) - base).toBe(micros);
    }
  });

  it.each([
    'infinity',
    '-infinity',
    'Infinity',
    '2000-01-01 00:00:00+00 BC',
    '0044-03-15 12:00:00+00 BC',
    '',
    '2024-01-15',
    '2024-01-15 10:20',
    '2024-1-15 10:20:30+00',
    '2024-01-15 10:20:30.1234567+00', // more than microseconds
    '2024-13-01 00:00:00+00',
    '2024-00-10 00:00:00+00',
    '2024-01-32 00:00:00+00',
    '2024-01-00 00:00:00+00',
    '2024-01-15 10:20:30 UTC',
    'now',
  ])('rejects %j', (text) => {
    expect(() => decodeTimestamptz(text)).toThrow(ValueRejected);
  });
});

describe('decodeTimestamptz rejects what an int64 microsecond timestamp cannot hold', () => {
  const RANGE = /0001-01-01 00:00:00 to 294247-01-10 04:00:54\.775806 UTC/;

  // PostgreSQL accepts timestamps up to 294276 AD; past 2^63-1 µs they used to wrap to ~290,000 BC,
  // and 2^63-1 itself is what DuckDB reads as 'infinity'.
  it.each([
    '294247-01-10 04:00:54.775807+00',
    '294247-01-10 04:00:54.775808+00',
    '294247-01-10 04:00:54.775806-00:00:01',
    '294250-01-01 00:00:00+00',
    '294276-12-31 23:59:59.999999+00',
    '99999999999999999999-01-01 00:00:00+00',
  ])('rejects %s naming the value and the representable range', (text) => {
    expect(() => decodeTimestamptz(text)).toThrow(ValueRejected);
    expect(() => decodeTimestamptz(text)).toThrow(text);
    expect(() => decodeTimestamptz(text)).toThrow(RANGE);
  });

  it.each(['infinity', '-infinity'])('rejects %s as infinite, naming the range', (text) => {
    expect(() => decodeTimestamptz(text)).toThrow(`timestamp ${text} is infinite`);
    expect(() => decodeTimestamptz(text)).toThrow(RANGE);
  });

  it.each(['0044-03-15 12:00:00+00 BC', '4713-01-01 00:00:00+00 BC', '0001-12-31 23:59:59.999999+00 BC'])(
    'rejects the BC timestamp %s naming it and the range',
    (text) => {
      expect(() => decodeTimestamptz(text)).toThrow(`BC timestamp ${text}`);
      expect(() => decodeTimestamptz(text)).toThrow(RANGE);
    },
  );

  it('rejects year 0 (PostgreSQL writes it as 0001 BC)', () => {
    expect(() => decodeTimestamptz('0000-06-01 00:00:00+00')).toThrow(ValueRejected);
  });
});

describe('formatTimestamptz', () => {
  it.each<[bigint, string]>([
    [0n, '1970-01-01 00:00:00.000000+00'],
    [1n, '1970-01-01 00:00:00.000001+00'],
    [-1n, '1969-12-31 23:59:59.999999+00'],
    [-1_000_000n, '1969-12-31 23:59:59.000000+00'],
    [utcMicros(2024, 2, 29, 23, 59, 59, 999_999), '2024-02-29 23:59:59.999999+00'],
    [utcMicros(2023, 12, 31, 23, 59, 59, 999_999) + 1n, '2024-01-01 00:00:00.000000+00'],
    [utcMicros(1, 1, 1), '0001-01-01 00:00:00.000000+00'],
    [utcMicros(999, 12, 31, 1, 2, 3, 4), '0999-12-31 01:02:03.000004+00'],
    [utcMicros(10000, 1, 1), '10000-01-01 00:00:00.000000+00'],
  ])('%s → %s', (micros, expected) => {
    expect(formatTimestamptz(micros)).toBe(expected);
  });

  it('is the inverse of decodeTimestamptz over a spread of instants, both sides of 1970', () => {
    const start = utcMicros(1, 1, 1);
    const end = utcMicros(9999, 12, 31, 23, 59, 59, 999_999);
    const step = (end - start) / 997n + 12_345n; // lands on odd microseconds, all months
    for (let micros = start; micros <= end; micros += step) {
      const text = formatTimestamptz(micros);
      expect(decodeTimestamptz(text)).toBe(micros);
    }
  });

  it('normalises an offset timestamp to UTC text', () => {
    expect(formatTimestamptz(decodeTimestamptz('2024-01-01 05:29:59.000001+05:30'))).toBe('2023-12-31 23:59:59.000001+00');
  });
});

describe('daysFromCivil', () => {
  it.each<[number, number, number, number]>([
    [1970, 1, 1, 0],
    [1969, 12, 31, -1],
    [2000, 3, 1, 11017],
    [2024, 2, 29, 19782],
    [1600, 2, 29, -135081],
  ])('%s-%s-%s → %s', (y, m, d, days) => {
    expect(daysFromCivil(y, m, d)).toBe(days);
    expect(daysFromCivil(y, m, d)).toBe(Number(utcMicros(y, m, d) / 86_400_000_000n));
  });
});

describe('decodeTimestamptz rejects impossible calendar values', () => {
  it.each(['2023-02-30 00:00:00+00', '2023-04-31 12:00:00+00', '2024-01-01 25:00:00+00', '2024-01-01 10:61:00+00', '2024-01-01 10:00:61+00'])(
    'rejects %s',
    (text) => {
      expect(() => decodeTimestamptz(text)).toThrow(ValueRejected);
    },
  );

  it('still accepts 29 February in a leap year and the last second of a day', () => {
    expect(decodeTimestamptz('2024-02-29 23:59:59.999999+00')).toBe(1_709_251_199_999_999n);
  });
});
