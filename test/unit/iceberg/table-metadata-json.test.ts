import { describe, expect, it } from 'vitest';
import { parseTableMetadata, serializeTableMetadata } from '../../../src/lake/iceberg/table-metadata-json.ts';
import type { TableMetadata } from '../../../src/lake/iceberg/spec-types.ts';
import { fixtureBytes } from './fixtures.ts';

const ID1 = 9158179788527662767n; // > 2^53: a JS number would round it to ...2768
const ID2 = 9223372036854775807n; // Long.MAX_VALUE

const metadata: TableMetadata = {
  formatVersion: 2,
  tableUuid: 'd6d0afa0-5fb3-46e8-94c4-8ea619f9bdd2',
  location: 's3://lake/warehouse/ns/invoices',
  lastSequenceNumber: 2n,
  lastUpdatedMs: 1743405316247,
  lastColumnId: 3,
  schemas: [
    {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'id', required: false, type: 'long' },
        { id: 2, name: 'issued_at', required: false, type: 'timestamptz', doc: 'when "issued"' },
        { id: 3, name: 'amount', required: false, type: 'decimal(10, 2)' },
      ],
    },
  ],
  currentSchemaId: 0,
  partitionSpecs: [{ 'spec-id': 0, fields: [{ name: 'issued_at_month', transform: 'month', 'source-id': 2, 'field-id': 1000 }] }],
  defaultSpecId: 0,
  lastPartitionId: 1000,
  properties: { 'write.format.default': 'parquet', 'big.number.as.text': '92233720368547758070' },
  currentSnapshotId: ID2,
  snapshots: [
    {
      snapshotId: ID1,
      sequenceNumber: 1n,
      timestampMs: 1743405311318,
      manifestList: 's3://lake/warehouse/ns/invoices/metadata/snap-1.avro',
      summary: { operation: 'append', 'added-records': '4', 'invoice-lake.checkpoint': '{"lsn":"0/16B3748"}' },
      schemaId: 0,
    },
    {
      snapshotId: ID2,
      parentSnapshotId: ID1,
      sequenceNumber: 2n,
      timestampMs: 1743405316247,
      manifestList: 's3://lake/warehouse/ns/invoices/metadata/snap-2.avro',
      summary: { operation: 'append' },
      schemaId: 0,
    },
  ],
  snapshotLog: [
    { timestampMs: 1743405311318, snapshotId: ID1 },
    { timestampMs: 1743405316247, snapshotId: ID2 },
  ],
  metadataLog: [{ timestampMs: 1743405302285, metadataFile: 's3://lake/warehouse/ns/invoices/metadata/00000-a.metadata.json' }],
};

describe('serializeTableMetadata', () => {
  const text = serializeTableMetadata(metadata);
  const doc = JSON.parse(text);

  it('writes 64-bit ids as exact JSON integer tokens', () => {
    expect(text).toContain('"current-snapshot-id": 9223372036854775807');
    expect(text).toContain('"snapshot-id": 9158179788527662767');
    expect(text).toContain('"parent-snapshot-id": 9158179788527662767');
    expect(text).toContain('"last-sequence-number": 2,');
    expect(text).not.toContain('"9158179788527662767"'); // no ids as strings…
    expect(text).not.toContain('"9223372036854775807"');
    expect(text).toContain('"big.number.as.text": "92233720368547758070"'); // …but strings stay strings
  });

  it('writes the v2 shape Java expects', () => {
    expect(doc['format-version']).toBe(2);
    expect(doc['sort-orders']).toEqual([{ 'order-id': 0, fields: [] }]);
    expect(doc['default-sort-order-id']).toBe(0);
    expect(doc.statistics).toEqual([]);
    expect(doc.refs.main.type).toBe('branch');
    expect(doc['partition-specs'][0].fields[0]).toEqual({ name: 'issued_at_month', transform: 'month', 'source-id': 2, 'field-id': 1000 });
    expect(doc.snapshots[0]).not.toHaveProperty('parent-snapshot-id');
    expect(doc.snapshots[1]['schema-id']).toBe(0);
    expect(doc['metadata-log'][0]['metadata-file']).toMatch(/00000-a\.metadata\.json$/);
    expect(Object.keys(doc)).not.toContain('current-snapshot-summary');
  });

  it('writes current-snapshot-id -1 and empty refs when there is no snapshot', () => {
    const empty = serializeTableMetadata({ ...metadata, currentSnapshotId: undefined, snapshots: [], snapshotLog: [] });
    expect(empty).toContain('"current-snapshot-id": -1');
    expect(JSON.parse(empty).refs).toEqual({});
  });
});

describe('parseTableMetadata', () => {
  it('round-trips ids above 2^53 exactly', () => {
    expect(parseTableMetadata(serializeTableMetadata(metadata))).toEqual(metadata);
  });

  it('keeps strings that look like big numbers, escaped quotes included', () => {
    const text = serializeTableMetadata({ ...metadata, properties: { 'a\\"b': '12345678901234567890', weird: 'x": 12345678901234567890' } });
    expect(parseTableMetadata(text).properties).toEqual({ 'a\\"b': '12345678901234567890', weird: 'x": 12345678901234567890' });
  });

  it('treats current-snapshot-id -1 or null as none, and falls back to refs.main when it is missing', () => {
    const doc = JSON.parse(serializeTableMetadata({ ...metadata, currentSnapshotId: undefined }));
    expect(parseTableMetadata(JSON.stringify(doc)).currentSnapshotId).toBeUndefined();
    doc['current-snapshot-id'] = null;
    expect(parseTableMetadata(JSON.stringify(doc)).currentSnapshotId).toBeUndefined();
    delete doc['current-snapshot-id'];
    expect(parseTableMetadata(JSON.stringify(doc)).currentSnapshotId).toBeUndefined();
    const withRef = serializeTableMetadata(metadata).replace(/"current-snapshot-id": \d+,/, '');
    expect(parseTableMetadata(withRef).currentSnapshotId).toBe(ID2);
  });

  it('rejects what a v2 reader must not accept', () => {
    const doc = JSON.parse(serializeTableMetadata(metadata));
    expect(() => parseTableMetadata(JSON.stringify({ ...doc, 'format-version': 1 }))).toThrow(/format-version/);
    delete doc['last-sequence-number'];
    expect(() => parseTableMetadata(JSON.stringify(doc))).toThrow(/last-sequence-number/);
  });

  it('reads Spark metadata: evolved schema, three snapshots, metadata log', () => {
    const m = parseTableMetadata(fixtureBytes('spark/bunnies/metadata/v5.metadata.json').toString('utf8'));
    expect(m.currentSnapshotId).toBe(2701171901096418979n);
    expect(m.snapshots.map((s) => [s.snapshotId, s.parentSnapshotId, s.sequenceNumber])).toEqual([
      [7505300640432048841n, undefined, 1n],
      [469881615898633426n, 7505300640432048841n, 2n],
      [2701171901096418979n, 469881615898633426n, 3n],
    ]);
    expect(m.lastSequenceNumber).toBe(3n);
    expect(m.currentSchemaId).toBe(1);
    expect(m.schemas[1]!.fields.at(-1)).toEqual({ id: 9, name: 'breed_name_length', required: false, type: 'int' });
    expect(m.lastPartitionId).toBe(999);
    expect(m.snapshots[2]!.summary['total-records']).toBe('20');
    expect(m.metadataLog.map((e) => e.metadataFile.split('/').pop())).toEqual(['v1.metadata.json', 'v2.metadata.json', 'v3.metadata.json', 'v4.metadata.json']);
  });

  it('reads Spark metadata with bucket and identity partitions', () => {
    const m = parseTableMetadata(fixtureBytes('spark/rename_column/metadata/v3.metadata.json').toString('utf8'));
    expect(m.partitionSpecs[0]!.fields.map((f) => f.transform)).toEqual(['bucket[4]', 'identity']);
    expect(m.currentSnapshotId).toBe(5276958600260276572n);
  });

  it('reads Java metadata (with partition-statistics) and a table without snapshots', () => {
    const m = parseTableMetadata(fixtureBytes('java/bunnies/metadata/v5.metadata.json').toString('utf8'));
    expect(m.currentSnapshotId).toBe(9158179788527662767n);
    expect(m.snapshots.map((s) => s.summary.operation)).toEqual(['append', 'delete', 'overwrite']);
    const first = parseTableMetadata(fixtureBytes('java/bunnies/metadata/v1.metadata.json').toString('utf8'));
    expect(first.currentSnapshotId).toBeUndefined();
    expect(first.snapshots).toEqual([]);
    expect(first.lastSequenceNumber).toBe(0n);
  });

  it('reads Athena metadata (00000-uuid naming, trino_query_id summary)', () => {
    const m = parseTableMetadata(fixtureBytes('athena/example/metadata/00001-aaf0d033-d06b-43c7-be60-67f83abd4aca.metadata.json').toString('utf8'));
    expect(m.currentSnapshotId).toBe(6838723292707092922n);
    expect(m.snapshots[0]!.summary.trino_query_id).toBe('20250401_023623_00108_u4nkm');
    expect(m.location).toBe('s3://hyperparam-iceberg/athena/example');
  });

  it('re-serializes foreign metadata without changing ids', () => {
    const original = fixtureBytes('java/bunnies/metadata/v5.metadata.json').toString('utf8');
    const again = serializeTableMetadata(parseTableMetadata(original));
    for (const id of original.match(/\d{17,}/g)!) expect(again).toContain(id);
    expect(parseTableMetadata(again)).toEqual(parseTableMetadata(original));
  });
});
