import { describe, expect, it } from 'vitest';
import { binMatrix, binOf, quantileEdges } from '../../../../src/scoring/training/gbt-binning.ts';

describe('quantileEdges', () => {
  it('keeps every split of a binary or small integer feature', () => {
    expect(Array.from(quantileEdges(Float32Array.of(1, 0, 0, 1, 1), 64))).toEqual([0]);
    expect(Array.from(quantileEdges(Float32Array.of(3, 1, 2, 0, 6, 5, 4, 2), 64))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(quantileEdges(Float32Array.of(7, 7, 7), 64).length).toBe(0);
  });

  it('gives at most maxBins bins of roughly equal counts for continuous values', () => {
    const values = Float32Array.from({ length: 10_000 }, (_, i) => Math.sqrt(i));
    const edges = quantileEdges(values, 16);
    expect(edges.length).toBeLessThanOrEqual(15);
    for (let i = 1; i < edges.length; i++) expect(edges[i]!).toBeGreaterThan(edges[i - 1]!);
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const v of values) counts[binOf(edges, v)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000 / 16)).toBeLessThan(10);
  });

  it('shares the bins left by a point mass among the other values', () => {
    // 90% zeros: the zeros take one bin, the 100 other values the 7 others.
    const values = Float32Array.from({ length: 1000 }, (_, i) => (i < 900 ? 0 : i));
    const edges = quantileEdges(values, 8);
    expect(edges.length).toBe(7);
    expect(edges[0]).toBe(0);
    const counts = new Array<number>(8).fill(0);
    for (const v of values) counts[binOf(edges, v)]!++;
    expect(counts[0]).toBe(900);
    for (const c of counts.slice(1)) expect(Math.abs(c - 100 / 7)).toBeLessThan(2);
  });

  it('ignores NaN when choosing edges', () => {
    expect(Array.from(quantileEdges(Float32Array.of(Number.NaN, 1, 2), 64))).toEqual([1]);
  });
});

describe('binOf', () => {
  it('puts x in the first bin whose upper edge is >= x, NaN in the last', () => {
    const edges = Float32Array.of(0, 1.5, 3);
    const cases: Array<[number, number]> = [[-5, 0], [0, 0], [0.1, 1], [1.5, 1], [2, 2], [3, 2], [3.5, 3], [Number.NaN, 3]];
    for (const [x, bin] of cases) expect(binOf(edges, x)).toBe(bin);
  });

  it('bin <= b is exactly x <= edges[b]', () => {
    const values = Float32Array.from({ length: 500 }, (_, i) => Math.fround(Math.sin(i) * 10));
    const edges = quantileEdges(values, 10);
    for (const x of values) for (let b = 0; b < edges.length; b++) expect(binOf(edges, x) <= b).toBe(x <= edges[b]!);
  });
});

describe('binMatrix', () => {
  it('bins row-major data per feature on float32 values', () => {
    // 0.1 is not a float32: the binning must see Math.fround(0.1), as the ONNX model will.
    const x = [0.1, 10, 0.2, 20, 0.1, 30];
    const m = binMatrix(x, 3, 2, 64);
    expect(Array.from(m.edges[0]!)).toEqual([Math.fround(0.1)]);
    expect(Array.from(m.bins)).toEqual([0, 0, 1, 1, 0, 2]);
    expect(() => binMatrix(x, 3, 2, 1)).toThrow(RangeError);
  });
});
