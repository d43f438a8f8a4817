import { describe, expect, it } from 'vitest';
import {
  bytesToDecimal,
  decimalToBytes,
  decodeSingleValue,
  encodeSingleValue,
  parseDecimalType,
} from '../../../src/lake/iceberg/single-value.ts';
import type { IcebergPrimitive, IcebergValue } from '../../../src/lake/iceberg/spec-types.ts';
import { hex, unhex } from './fixtures.ts';

const dec = (unscaled: bigint, precision = 10, scale = 2): IcebergValue => ({ type: 'decimal', unscaled, precision, scale });

describe('encodeSingleValue (spec Appendix D)', () => {
  it.each<[string, IcebergValue, string]>([
    ['int 4', { type: 'int', value: 4 }, '04000000'],
    ['int -1', { type: 'int', value: -1 }, 'ffffffff'],
    ['date 2022-01-02 (18994)', { type: 'date', value: 18994 }, '324a0000'],
    ['date 1969-12-31 (-1)', { type: 'date', value: -1 }, 'ffffffff'],
    ['long 5', { type: 'long', value: 5n }, '0500000000000000'],
    ['long 2^62', { type: 'long', value: 2n ** 62n }, '0000000000000040'],
    ['timestamptz 2026-01-01T00:00Z', { type: 'timestamptz', value: 1767225600000000n }, '0040204648470600'],
    ['double 0.9', { type: 'double', value: 0.9 }, 'cdccccccccccec3f'],
    ['string Thumper', { type: 'string', value: 'Thumper' }, '5468756d706572'],
    ['string non-ASCII', { type: 'string', value: 'é€' }, 'c3a9e282ac'],
    ['boolean false', { type: 'boolean', value: false }, '00'],
    ['boolean true', { type: 'boolean', value: true }, '01'],
    ['decimal 99999999.99', dec(9999999999n), '02540be3ff'],
    ['decimal 0', dec(0n), '00'],
    ['decimal -1.00', dec(-100n), '9c'],
    ['decimal 1.28', dec(128n), '0080'],
  ])('%s', (_name, value, expected) => {
    expect(hex(encodeSingleValue(value))).toBe(expected);
  });

  it('rejects values that do not fit the type', () => {
    expect(() => encodeSingleValue({ type: 'int', value: 2 ** 31 })).toThrow(RangeError);
    expect(() => encodeSingleValue({ type: 'int', value: 1.5 })).toThrow(RangeError);
    expect(() => encodeSingleValue({ type: 'long', value: 2n ** 63n })).toThrow(RangeError);
    expect(() => encodeSingleValue(dec(10_000_000_000n))).toThrow(RangeError); // 11 digits in decimal(10, 2)
  });
});

describe('decimal two\'s-complement bytes', () => {
  it.each<[bigint, string]>([
    [127n, '7f'],
    [-128n, '80'],
    [-129n, 'ff7f'],
    [255n, '00ff'],
    [-256n, 'ff00'],
    [32767n, '7fff'],
    [-32768n, '8000'],
    [-9999999999n, 'fdabf41c01'], // most negative decimal(10, 2)
  ])('%s ↔ %s (minimum length)', (unscaled, expected) => {
    expect(hex(decimalToBytes(unscaled))).toBe(expected);
    expect(bytesToDecimal(unhex(expected))).toBe(unscaled);
  });

  it('handles the largest and smallest decimal(38, S) in 16 bytes', () => {
    const max = 10n ** 38n - 1n;
    expect(hex(encodeSingleValue(dec(max, 38, 0)))).toBe('4b3b4ca85a86c47a098a223fffffffff');
    expect(hex(encodeSingleValue(dec(-max, 38, 0)))).toBe('b4c4b357a5793b85f675ddc000000001');
    expect(bytesToDecimal(decimalToBytes(-max))).toBe(-max);
  });

  it('round-trips a sweep of values around byte boundaries', () => {
    for (let bits = 0n; bits < 80n; bits++) {
      for (const n of [(1n << bits) - 1n, 1n << bits, -(1n << bits), -(1n << bits) - 1n]) {
        const bytes = decimalToBytes(n);
        expect(bytesToDecimal(bytes)).toBe(n);
        // Minimal: dropping the first byte would change the value or its sign.
        if (bytes.length > 1) expect(bytesToDecimal(bytes.subarray(1))).not.toBe(n);
      }
    }
  });
});

describe('decodeSingleValue', () => {
  it.each<[IcebergPrimitive, IcebergValue]>([
    ['int', { type: 'int', value: -42 }],
    ['date', { type: 'date', value: 19782 }],
    ['long', { type: 'long', value: -(2n ** 63n) }],
    ['timestamptz', { type: 'timestamptz', value: -1n }],
    ['double', { type: 'double', value: -0.5 }],
    ['string', { type: 'string', value: 'New Zealand' }],
    ['boolean', { type: 'boolean', value: true }],
    ['decimal(10, 2)', dec(-100n)],
    ['decimal(38, 0)', dec(10n ** 38n - 1n, 38, 0)],
  ])('round-trips %s', (type, value) => {
    expect(decodeSingleValue(type, encodeSingleValue(value))).toEqual(value);
  });

  it('reads 4-byte long/double bounds written before a type promotion (like Java Conversions)', () => {
    expect(decodeSingleValue('long', unhex('feffffff'))).toEqual({ type: 'long', value: -2n });
    expect(decodeSingleValue('double', unhex('0000c03f'))).toEqual({ type: 'double', value: 1.5 });
  });

  it('treats any non-zero boolean byte as true', () => {
    expect(decodeSingleValue('boolean', unhex('02'))).toEqual({ type: 'boolean', value: true });
  });

  it('rejects bytes of the wrong length', () => {
    expect(() => decodeSingleValue('int', unhex('0400'))).toThrow(RangeError);
    expect(() => decodeSingleValue('timestamptz', unhex('04000000'))).toThrow(RangeError);
    expect(() => decodeSingleValue('decimal(10, 2)', new Uint8Array())).toThrow(RangeError);
  });

  it('parses decimal type strings with or without blanks', () => {
    expect(parseDecimalType('decimal(10, 2)')).toEqual({ precision: 10, scale: 2 });
    expect(parseDecimalType('decimal(38,0)')).toEqual({ precision: 38, scale: 0 });
    expect(parseDecimalType('double')).toBeUndefined();
  });
});
