import { describe, expect, it } from 'vitest';
import { encodeSingleValue } from '../../../src/lake/iceberg/single-value.ts';
import type { DataFile, IcebergSchema, IcebergValue, PartitionFieldSummary, PartitionSpec } from '../../../src/lake/iceberg/spec-types.ts';
import { monthFromMicros } from '../../../src/lake/iceberg/transforms.ts';
import {
  bindFilter,
  fileBoundsMayMatch,
  manifestMayMatch,
  partitionMayMatch,
  projectOntoSpec,
  rangeMayMatch,
  type FileFilter,
} from '../../../src/query/file-filter.ts';

const SCHEMA: IcebergSchema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'invoice_id', required: false, type: 'long' },
    { id: 2, name: 'issue_date', required: false, type: 'timestamptz' },
    { id: 3, name: 'due', required: false, type: 'date' },
    { id: 4, name: 'score', required: false, type: 'double' },
    { id: 5, name: 'model', required: false, type: 'string' },
    { id: 6, name: 'amount', required: false, type: 'decimal(14, 2)' },
    { id: 7, name: 'lines', required: false, type: 'int' },
  ],
};
const MONTH_SPEC: PartitionSpec = { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'issue_date_month', transform: 'month' }] };
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;

function file(bounds: Record<number, [IcebergValue, IcebergValue] | undefined>, partition: Array<number | null> = []): DataFile {
  const lowerBounds = new Map<number, Uint8Array>();
  const upperBounds = new Map<number, Uint8Array>();
  for (const [id, pair] of Object.entries(bounds)) {
    if (!pair) continue;
    lowerBounds.set(Number(id), encodeSingleValue(pair[0]));
    upperBounds.set(Number(id), encodeSingleValue(pair[1]));
  }
  return { content: 0, filePath: 'f.parquet', fileFormat: 'PARQUET', partition, recordCount: 1n, fileSizeInBytes: 1n, lowerBounds, upperBounds };
}

const ids = (lo: bigint, hi: bigint): [IcebergValue, IcebergValue] => [
  { type: 'long', value: lo },
  { type: 'long', value: hi },
];
const matches = (f: DataFile, filter: FileFilter) => fileBoundsMayMatch(f, bindFilter(SCHEMA, filter));

describe('rangeMayMatch', () => {
  it('treats bounds as inclusive', () => {
    expect(rangeMayMatch('eq', 5n, 5n, 9n)).toBe(true);
    expect(rangeMayMatch('eq', 9n, 5n, 9n)).toBe(true);
    expect(rangeMayMatch('eq', 10n, 5n, 9n)).toBe(false);
    expect(rangeMayMatch('lt', 5n, 5n, 9n)).toBe(false);
    expect(rangeMayMatch('lte', 5n, 5n, 9n)).toBe(true);
    expect(rangeMayMatch('gt', 9n, 5n, 9n)).toBe(false);
    expect(rangeMayMatch('gte', 9n, 5n, 9n)).toBe(true);
  });

  it('keeps everything on a missing side', () => {
    expect(rangeMayMatch('eq', 100n, undefined, 9n)).toBe(false);
    expect(rangeMayMatch('eq', 1n, undefined, 9n)).toBe(true);
    expect(rangeMayMatch('lt', 1n, undefined, undefined)).toBe(true);
  });

  it('orders strings by UTF-8 bytes, as Iceberg does', () => {
    // U+FFFD is above U+10000's surrogates in UTF-16 but below it in UTF-8.
    expect(rangeMayMatch('eq', '\u{1F600}', '\uFFFD', '\u{1F601}')).toBe(true);
    expect(rangeMayMatch('lt', '\uFFFD', '\u{1F600}', undefined)).toBe(false);
  });
});

describe('column bounds', () => {
  it('selects a file whose bound equals the value and rejects one just outside', () => {
    expect(matches(file({ 1: ids(100n, 200n) }), [{ column: 'invoice_id', op: 'eq', value: 100n }])).toBe(true);
    expect(matches(file({ 1: ids(100n, 200n) }), [{ column: 'invoice_id', op: 'eq', value: 200n }])).toBe(true);
    expect(matches(file({ 1: ids(100n, 200n) }), [{ column: 'invoice_id', op: 'eq', value: 201n }])).toBe(false);
    expect(matches(file({ 1: ids(100n, 200n) }), [{ column: 'invoice_id', op: 'eq', value: 99n }])).toBe(false);
  });

  it('handles negative ids and the int64 extremes exactly', () => {
    expect(matches(file({ 1: ids(-200n, -100n) }), [{ column: 'invoice_id', op: 'eq', value: -150n }])).toBe(true);
    expect(matches(file({ 1: ids(-200n, -100n) }), [{ column: 'invoice_id', op: 'eq', value: -99n }])).toBe(false);
    expect(matches(file({ 1: ids(INT64_MIN, INT64_MIN + 1n) }), [{ column: 'invoice_id', op: 'eq', value: INT64_MIN }])).toBe(true);
    expect(matches(file({ 1: ids(INT64_MAX - 1n, INT64_MAX) }), [{ column: 'invoice_id', op: 'eq', value: INT64_MAX }])).toBe(true);
    expect(matches(file({ 1: ids(INT64_MAX - 1n, INT64_MAX) }), [{ column: 'invoice_id', op: 'lt', value: INT64_MAX - 1n }])).toBe(false);
    expect(matches(file({ 1: ids(INT64_MIN, 0n) }), [{ column: 'invoice_id', op: 'gt', value: 0n }])).toBe(false);
  });

  it('keeps files without bounds, with undecodable bounds, or bounds of another column only', () => {
    expect(matches(file({}), [{ column: 'invoice_id', op: 'eq', value: 1n }])).toBe(true);
    const odd = file({});
    odd.lowerBounds!.set(1, Uint8Array.of(1, 2, 3));
    odd.upperBounds!.set(1, Uint8Array.of(1, 2, 3));
    expect(matches(odd, [{ column: 'invoice_id', op: 'eq', value: 1n }])).toBe(true);
    const bare = file({});
    delete bare.lowerBounds;
    delete bare.upperBounds;
    expect(matches(bare, [{ column: 'invoice_id', op: 'eq', value: 1n }])).toBe(true);
  });

  it('uses a lone lower or upper bound', () => {
    const onlyLower = file({ 1: ids(100n, 200n) });
    onlyLower.upperBounds!.delete(1);
    expect(matches(onlyLower, [{ column: 'invoice_id', op: 'eq', value: 5000n }])).toBe(true);
    expect(matches(onlyLower, [{ column: 'invoice_id', op: 'eq', value: 5n }])).toBe(false);
  });

  it('ANDs predicates: a range that misses prunes even when another predicate matches', () => {
    const f = file({ 1: ids(100n, 200n), 2: [{ type: 'timestamptz', value: micros('2026-01-05T00:00:00Z') }, { type: 'timestamptz', value: micros('2026-01-20T00:00:00Z') }] });
    expect(matches(f, [{ column: 'invoice_id', op: 'eq', value: 150n }, { column: 'issue_date', op: 'gte', value: micros('2026-01-21T00:00:00Z') }])).toBe(false);
    expect(matches(f, [{ column: 'invoice_id', op: 'eq', value: 150n }, { column: 'issue_date', op: 'gte', value: micros('2026-01-20T00:00:00Z') }])).toBe(true);
  });

  it('never prunes on NaN values or bounds, nor on types it does not compare', () => {
    const doubles = file({ 4: [{ type: 'double', value: 0.1 }, { type: 'double', value: 0.2 }] });
    expect(matches(doubles, [{ column: 'score', op: 'eq', value: 0.5 }])).toBe(false);
    expect(matches(doubles, [{ column: 'score', op: 'eq', value: Number.NaN }])).toBe(true);
    const nanBound = file({ 4: [{ type: 'double', value: Number.NaN }, { type: 'double', value: 0.2 }] });
    expect(matches(nanBound, [{ column: 'score', op: 'lt', value: -5 }])).toBe(true);
    const amounts = file({ 6: [{ type: 'decimal', unscaled: 100n, precision: 14, scale: 2 }, { type: 'decimal', unscaled: 200n, precision: 14, scale: 2 }] });
    expect(matches(amounts, [{ column: 'amount', op: 'eq', value: 99_999n }])).toBe(true);
  });

  it('compares strings and dates', () => {
    const f = file({ 5: [{ type: 'string', value: 'gbt@1' }, { type: 'string', value: 'gbt@3' }], 3: [{ type: 'date', value: 100 }, { type: 'date', value: 120 }] });
    expect(matches(f, [{ column: 'model', op: 'eq', value: 'gbt@2' }])).toBe(true);
    expect(matches(f, [{ column: 'model', op: 'eq', value: 'gbt@4' }])).toBe(false);
    expect(matches(f, [{ column: 'due', op: 'gt', value: 120 }])).toBe(false);
  });

  it('rejects unknown columns and values of the wrong JS type', () => {
    expect(() => bindFilter(SCHEMA, [{ column: 'nope', op: 'eq', value: 1n }])).toThrow(/not in the table schema/);
    expect(() => bindFilter(SCHEMA, [{ column: 'invoice_id', op: 'eq', value: 1 }])).toThrow(/needs a bigint/);
    expect(() => bindFilter(SCHEMA, [{ column: 'due', op: 'eq', value: '2026-01-01' }])).toThrow(/needs a number/);
  });
});

describe('partition projection', () => {
  const project = (filter: FileFilter, spec = MONTH_SPEC) => projectOntoSpec(spec, bindFilter(SCHEMA, filter));
  const inMonth = (month: number | null) => file({}, [month]);
  const aug = monthFromMicros(micros('2026-08-15T00:00:00Z'));

  it('maps a timestamp range to whole months in UTC', () => {
    const projected = project([{ column: 'issue_date', op: 'gte', value: micros('2026-08-01T00:00:00Z') }]);
    expect(partitionMayMatch(inMonth(aug), projected)).toBe(true);
    expect(partitionMayMatch(inMonth(aug - 1), projected)).toBe(false);
  });

  it('keeps the month of the last microsecond before a strict upper bound, and only that', () => {
    // < 2026-08-01T00:00Z ends in July: August must go; <= 2026-08-01T00:00Z still touches August.
    const before = project([{ column: 'issue_date', op: 'lt', value: micros('2026-08-01T00:00:00Z') }]);
    expect(partitionMayMatch(inMonth(aug), before)).toBe(false);
    expect(partitionMayMatch(inMonth(aug - 1), before)).toBe(true);
    const upTo = project([{ column: 'issue_date', op: 'lte', value: micros('2026-08-01T00:00:00Z') }]);
    expect(partitionMayMatch(inMonth(aug), upTo)).toBe(true);
    const after = project([{ column: 'issue_date', op: 'gt', value: micros('2026-07-31T23:59:59.999Z') + 999n }]);
    expect(partitionMayMatch(inMonth(aug - 1), after)).toBe(false);
    expect(partitionMayMatch(inMonth(aug), after)).toBe(true);
  });

  it('places instants before the epoch in negative months (floor, not truncation)', () => {
    const projected = project([{ column: 'issue_date', op: 'eq', value: -1n }]);
    expect(partitionMayMatch(inMonth(-1), projected)).toBe(true);
    expect(partitionMayMatch(inMonth(0), projected)).toBe(false);
  });

  it('survives the int64 extremes without projecting past them', () => {
    expect(project([{ column: 'issue_date', op: 'lt', value: INT64_MIN }])).toEqual([]);
    const projected = project([{ column: 'issue_date', op: 'lte', value: INT64_MAX }]);
    expect(partitionMayMatch(inMonth(aug), projected)).toBe(true);
  });

  it('keeps files whose partition value is null and specs without the column', () => {
    const projected = project([{ column: 'issue_date', op: 'gte', value: micros('2026-08-01T00:00:00Z') }]);
    expect(partitionMayMatch(inMonth(null), projected)).toBe(true);
    const unpartitioned: PartitionSpec = { 'spec-id': 1, fields: [] };
    expect(project([{ column: 'issue_date', op: 'gte', value: 0n }], unpartitioned)).toEqual([]);
    const bucketed: PartitionSpec = { 'spec-id': 2, fields: [{ 'source-id': 1, 'field-id': 1001, name: 'b', transform: 'bucket[16]' }] };
    expect(project([{ column: 'invoice_id', op: 'eq', value: 1n }], bucketed)).toEqual([]);
  });

  it('projects day and year transforms and date sources', () => {
    const daySpec: PartitionSpec = { 'spec-id': 3, fields: [{ 'source-id': 3, 'field-id': 1002, name: 'due_day', transform: 'day' }] };
    const projected = project([{ column: 'due', op: 'gt', value: 10 }], daySpec);
    expect(partitionMayMatch(file({}, [10]), projected)).toBe(false);
    expect(partitionMayMatch(file({}, [11]), projected)).toBe(true);
    const yearSpec: PartitionSpec = { 'spec-id': 4, fields: [{ 'source-id': 2, 'field-id': 1003, name: 'y', transform: 'year' }] };
    const years = project([{ column: 'issue_date', op: 'eq', value: micros('2026-12-31T23:59:59Z') }], yearSpec);
    expect(partitionMayMatch(file({}, [56]), years)).toBe(true);
    expect(partitionMayMatch(file({}, [57]), years)).toBe(false);
  });

  it('skips manifests whose partition summaries exclude the range, keeps those without bounds', () => {
    const projected = project([{ column: 'issue_date', op: 'gte', value: micros('2026-08-01T00:00:00Z') }]);
    const summary = (lo: number, hi: number): PartitionFieldSummary[] => [
      { containsNull: false, lowerBound: encodeSingleValue({ type: 'int', value: lo }), upperBound: encodeSingleValue({ type: 'int', value: hi }) },
    ];
    expect(manifestMayMatch(summary(aug - 5, aug - 1), projected)).toBe(false);
    expect(manifestMayMatch(summary(aug - 5, aug), projected)).toBe(true);
    expect(manifestMayMatch([{ containsNull: true }], projected)).toBe(true);
    expect(manifestMayMatch([], projected)).toBe(true);
  });
});
