import { describe, expect, it } from 'vitest';
import { splitByKey, splitByTime, takeLabels, takeRows } from '../../../../src/scoring/training/split.ts';

describe('splitByKey', () => {
  it('is deterministic, complete and close to the requested fraction', () => {
    const a = splitByKey(10_000, { heldOutFraction: 0.2, seed: 7 });
    const b = splitByKey(10_000, { heldOutFraction: 0.2, seed: 7 });
    expect(b).toEqual(a);
    expect(a.train.length + a.heldOut.length).toBe(10_000);
    expect(Math.abs(a.heldOut.length / 10_000 - 0.2)).toBeLessThan(0.02);
    const all = [...a.train, ...a.heldOut].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(splitByKey(10_000, { heldOutFraction: 0.2, seed: 8 })).not.toEqual(a);
  });

  it('keeps a key on its side whatever the row order, with bigint and number keys alike', () => {
    const keys = [5n, 2n ** 40n + 3n, 17n, 123456789012n, 9n, 1n];
    const side = (ks: ArrayLike<number | bigint>) => {
      const s = splitByKey(ks.length, { heldOutFraction: 0.5, seed: 3, keys: ks });
      const held = new Set(Array.from(s.heldOut, (i) => BigInt(ks[i]!)));
      return keys.map((k) => held.has(k));
    };
    const forward = side(keys);
    expect(side([...keys].reverse())).toEqual(forward);
    expect(forward).toContain(true);
    expect(forward).toContain(false);
    expect(side(keys.map(Number))).toEqual(forward);
    expect(() => splitByKey(1, { heldOutFraction: 0.5, seed: 1, keys: [0.5] })).toThrow(RangeError);
  });

  it('holds out nothing at 0 and everything at 1', () => {
    expect(splitByKey(50, { heldOutFraction: 0, seed: 1 }).heldOut.length).toBe(0);
    expect(splitByKey(50, { heldOutFraction: 1, seed: 1 }).train.length).toBe(0);
    expect(() => splitByKey(50, { heldOutFraction: 1.5, seed: 1 })).toThrow(RangeError);
  });
});

describe('splitByTime', () => {
  it('holds out the latest rows, ties by row index', () => {
    const s = splitByTime([30n, 10n, 20n, 30n, 5n], 0.4);
    expect(Array.from(s.heldOut)).toEqual([0, 3]);
    expect(Array.from(s.train)).toEqual([1, 2, 4]);
    expect(Array.from(splitByTime([1, 1, 1], 0.34).heldOut)).toEqual([1, 2]);
  });
});

describe('takeRows / takeLabels', () => {
  it('gathers rows of a row-major matrix as float32', () => {
    const x = [1, 2, 3, 4, 5, 0.1];
    expect(Array.from(takeRows(x, 2, [2, 0]))).toEqual([5, Math.fround(0.1), 1, 2]);
    expect(Array.from(takeLabels([0, 1, 1], [2, 0]))).toEqual([1, 0]);
    expect(() => takeRows(x, 2, [3])).toThrow(RangeError);
  });
});
