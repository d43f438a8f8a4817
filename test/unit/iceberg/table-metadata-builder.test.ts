import { describe, expect, it } from 'vitest';
import { newTableMetadata, snapshotSummary, withAppendedSnapshot } from '../../../src/lake/iceberg/table-metadata-builder.ts';
import { parseTableMetadata, serializeTableMetadata } from '../../../src/lake/iceberg/table-metadata-json.ts';
import type { IcebergSchema, PartitionSpec, SnapshotSummary, TableMetadata } from '../../../src/lake/iceberg/spec-types.ts';

const schema: IcebergSchema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: false, type: 'long' },
    { id: 2, name: 'issued_at', required: false, type: 'timestamptz' },
    { id: 7, name: 'amount', required: false, type: 'decimal(12, 2)' },
  ],
};
const monthly: PartitionSpec = { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'issued_at_month', transform: 'month' }] };
const T0 = 1_700_000_000_000;

function create(spec: PartitionSpec = monthly): TableMetadata {
  return newTableMetadata({ location: 's3://lake/wh/ns/t/', schema, spec, properties: { 'write.format.default': 'parquet' }, nowMs: T0, tableUuid: 'u-1' });
}

const summary: SnapshotSummary = { operation: 'append' };

describe('newTableMetadata', () => {
  it('creates an empty v2 table', () => {
    const m = create();
    expect(m).toMatchObject({
      formatVersion: 2,
      tableUuid: 'u-1',
      location: 's3://lake/wh/ns/t',
      lastSequenceNumber: 0n,
      lastUpdatedMs: T0,
      lastColumnId: 7,
      currentSchemaId: 0,
      defaultSpecId: 0,
      lastPartitionId: 1000,
      snapshots: [],
      snapshotLog: [],
      metadataLog: [],
    });
    expect(m.currentSnapshotId).toBeUndefined();
  });

  it('uses last-partition-id 999 for an unpartitioned table', () => {
    expect(create({ 'spec-id': 0, fields: [] }).lastPartitionId).toBe(999);
  });

  it('rejects reserved properties and unknown partition sources', () => {
    expect(() => newTableMetadata({ location: 'x', schema, spec: monthly, properties: { 'format-version': '2' }, nowMs: 0, tableUuid: 'u' })).toThrow(/reserved/);
    const bad: PartitionSpec = { 'spec-id': 0, fields: [{ 'source-id': 99, 'field-id': 1000, name: 'x_month', transform: 'month' }] };
    expect(() => create(bad)).toThrow(/source id 99/);
  });
});

describe('withAppendedSnapshot', () => {
  it('assigns sequence numbers, parents and log entries (notes §3)', () => {
    const base = create();
    const one = withAppendedSnapshot(base, { snapshotId: 9158179788527662767n, manifestList: 'l1', summary, nowMs: T0 + 10, previousMetadataFile: 'm0' });
    const two = withAppendedSnapshot(one, { snapshotId: 5n, manifestList: 'l2', summary, nowMs: T0 + 20, previousMetadataFile: 'm1' });

    expect(one.lastSequenceNumber).toBe(1n);
    expect(one.currentSnapshotId).toBe(9158179788527662767n);
    expect(one.snapshots[0]).toEqual({ snapshotId: 9158179788527662767n, sequenceNumber: 1n, timestampMs: T0 + 10, manifestList: 'l1', summary, schemaId: 0 });
    expect(two.snapshots[1]).toMatchObject({ snapshotId: 5n, parentSnapshotId: 9158179788527662767n, sequenceNumber: 2n });
    expect(two.lastSequenceNumber).toBe(2n);
    expect(two.lastUpdatedMs).toBe(T0 + 20);
    expect(two.snapshotLog).toEqual([
      { timestampMs: T0 + 10, snapshotId: 9158179788527662767n },
      { timestampMs: T0 + 20, snapshotId: 5n },
    ]);
    // Each previous metadata file is logged with the time it was written.
    expect(two.metadataLog).toEqual([
      { timestampMs: T0, metadataFile: 'm0' },
      { timestampMs: T0 + 10, metadataFile: 'm1' },
    ]);
    expect(base.snapshots).toEqual([]); // pure: the base is untouched
  });

  it('continues from foreign metadata (sequence numbers after Spark\'s)', () => {
    const spark = parseTableMetadata(serializeTableMetadata({ ...create(), lastSequenceNumber: 41n }));
    const next = withAppendedSnapshot(spark, { snapshotId: 1n, manifestList: 'l', summary, nowMs: T0 + 1 });
    expect(next.snapshots[0]!.sequenceNumber).toBe(42n);
  });

  it('keeps only the newest maxSnapshots snapshots and log entries, the current one included', () => {
    let m = create();
    for (let i = 1; i <= 5; i++) {
      m = withAppendedSnapshot(m, { snapshotId: BigInt(i), manifestList: `l${i}`, summary, nowMs: T0 + i, previousMetadataFile: `m${i - 1}`, maxSnapshots: 3 });
    }
    expect(m.snapshots.map((s) => s.snapshotId)).toEqual([3n, 4n, 5n]);
    expect(m.snapshotLog.map((e) => e.snapshotId)).toEqual([3n, 4n, 5n]);
    expect(m.metadataLog.map((e) => e.metadataFile)).toEqual(['m2', 'm3', 'm4']);
    expect(m.currentSnapshotId).toBe(5n);
    expect(m.lastSequenceNumber).toBe(5n);
    const one = withAppendedSnapshot(m, { snapshotId: 6n, manifestList: 'l6', summary, nowMs: T0 + 6, maxSnapshots: 1 });
    expect(one.snapshots.map((s) => s.snapshotId)).toEqual([6n]);
  });

  it('keeps timestamps monotonic when the clock steps back', () => {
    const one = withAppendedSnapshot(create(), { snapshotId: 1n, manifestList: 'l', summary, nowMs: T0 - 5000 });
    expect(one.snapshots[0]!.timestampMs).toBe(T0);
    expect(one.lastUpdatedMs).toBe(T0);
  });

  it('rejects duplicate or non-positive snapshot ids', () => {
    const one = withAppendedSnapshot(create(), { snapshotId: 1n, manifestList: 'l', summary, nowMs: T0 });
    expect(() => withAppendedSnapshot(one, { snapshotId: 1n, manifestList: 'l', summary, nowMs: T0 })).toThrow(/exists/);
    expect(() => withAppendedSnapshot(one, { snapshotId: 0n, manifestList: 'l', summary, nowMs: T0 })).toThrow(/positive/);
  });
});

describe('snapshotSummary', () => {
  it('starts totals from zero for the first snapshot', () => {
    const s = snapshotSummary(undefined, { dataFiles: 3, records: 4n, filesSize: 4151n, changedPartitions: 3 }, { 'invoice-lake.checkpoint': '0/16B3748' });
    expect(s).toEqual({
      operation: 'append',
      'invoice-lake.checkpoint': '0/16B3748',
      'added-data-files': '3',
      'added-records': '4',
      'added-files-size': '4151',
      'changed-partition-count': '3',
      'total-data-files': '3',
      'total-records': '4',
      'total-files-size': '4151',
      'total-delete-files': '0',
      'total-position-deletes': '0',
      'total-equality-deletes': '0',
    });
    expect(Object.values(s).every((v) => typeof v === 'string')).toBe(true);
  });

  it('carries totals from the previous snapshot (Spark\'s, including deletes)', () => {
    const spark: SnapshotSummary = {
      operation: 'overwrite',
      'total-records': '20',
      'total-files-size': '4997',
      'total-data-files': '1',
      'total-delete-files': '1',
      'total-position-deletes': '1',
      'total-equality-deletes': '0',
    };
    const s = snapshotSummary(spark, { dataFiles: 2, records: 9007199254740993n, filesSize: 100n, changedPartitions: 1 }, {});
    expect(s['total-records']).toBe('9007199254741013');
    expect(s['total-files-size']).toBe('5097');
    expect(s['total-data-files']).toBe('3');
    expect(s['total-delete-files']).toBe('1');
    expect(s['total-position-deletes']).toBe('1');
  });

  it('omits a total the previous snapshot lacks, as Java does', () => {
    const s = snapshotSummary({ operation: 'append', 'total-records': '5' }, { dataFiles: 1, records: 1, filesSize: 10, changedPartitions: 1 }, {});
    expect(s['total-records']).toBe('6');
    expect(s).not.toHaveProperty('total-files-size');
    expect(s).not.toHaveProperty('total-delete-files');
  });

  it('refuses extra keys that would shadow computed ones', () => {
    const added = { dataFiles: 1, records: 1, filesSize: 1, changedPartitions: 1 };
    expect(() => snapshotSummary(undefined, added, { operation: 'delete' })).toThrow(/computed/);
    expect(() => snapshotSummary(undefined, added, { 'total-records': '0' })).toThrow(/computed/);
  });
});
