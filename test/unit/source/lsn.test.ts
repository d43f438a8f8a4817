import { describe, expect, it } from 'vitest';
import { ZERO_LSN, formatLsn, maxLsn, minLsn, parseLsn } from '../../../src/source/lsn.ts';

describe('parseLsn / formatLsn', () => {
  it.each<[string, bigint]>([
    ['0/0', 0n],
    ['0/1', 1n],
    ['1/0', 1n << 32n],
    ['0/FFFFFFFF', 0xffffffffn],
    ['16/B374D848', (0x16n << 32n) | 0xb374d848n],
    ['FFFFFFFF/FFFFFFFF', 2n ** 64n - 1n],
    ['80000000/0', 2n ** 63n], // above the signed 64-bit range
  ])('%s ⇄ %s', (text, lsn) => {
    expect(parseLsn(text)).toBe(lsn);
    expect(formatLsn(lsn)).toBe(text);
  });

  it('accepts lower case and leading zeros, and formats canonically (upper case, no padding)', () => {
    expect(parseLsn('16/b374d848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(formatLsn(parseLsn('00000016/0000D848'))).toBe('16/D848');
    expect(formatLsn(parseLsn('a/b'))).toBe('A/B');
  });

  it('tolerates surrounding whitespace as psql prints it', () => {
    expect(parseLsn(' 0/16B3748 \n')).toBe(0x16b3748n);
  });

  it('round trips values across the whole range', () => {
    for (let high = 0n; high <= 0xffffffffn; high += 0x1234567n) {
      for (const low of [0n, 1n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn]) {
        const lsn = (high << 32n) | low;
        expect(parseLsn(formatLsn(lsn))).toBe(lsn);
      }
    }
  });

  it('orders by value, not by text', () => {
    // '9/0' > 'A/0' as text but not as a position
    expect(parseLsn('A/0') > parseLsn('9/FFFFFFFF')).toBe(true);
    expect(parseLsn('0/10') > parseLsn('0/F')).toBe(true);
  });

  it.each(['', '0', '/', '0/', '/0', '1/2/3', 'G/0', '0/G', '123456789/0', '0/123456789', '-1/0', '0x1/0', '0 / 0', '0/0x'])(
    'rejects %j',
    (text) => {
      expect(() => parseLsn(text)).toThrow(RangeError);
      expect(() => parseLsn(text)).toThrow('not a PostgreSQL LSN');
    },
  );

  it('refuses to format values outside 64 bits', () => {
    expect(() => formatLsn(-1n)).toThrow(RangeError);
    expect(() => formatLsn(2n ** 64n)).toThrow(RangeError);
  });
});

describe('maxLsn / minLsn', () => {
  it('pick by value', () => {
    const a = parseLsn('1/0');
    const b = parseLsn('0/FFFFFFFF');
    expect(maxLsn(a, b)).toBe(a);
    expect(maxLsn(b, a)).toBe(a);
    expect(minLsn(a, b)).toBe(b);
    expect(minLsn(b, a)).toBe(b);
    expect(maxLsn(ZERO_LSN, ZERO_LSN)).toBe(0n);
  });
});
