import { describe, expect, it } from 'vitest';
import { decodeAvroFile } from '../../../src/lake/iceberg/avro-container.ts';
import { decodeManifest, decodeManifestList } from '../../../src/lake/iceberg/manifest-reader.ts';
import { encodeManifest, encodeManifestList, summarizePartitions } from '../../../src/lake/iceberg/manifest-writer.ts';
import { sanitizeAvroName } from '../../../src/lake/iceberg/manifest-avro-schema.ts';
import type { IcebergSchema, ManifestEntry, ManifestFile, PartitionSpec } from '../../../src/lake/iceberg/spec-types.ts';
import { hex, unhex } from './fixtures.ts';

const schema: IcebergSchema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: false, type: 'long' },
    { id: 2, name: 'issued_at', required: false, type: 'timestamptz' },
    { id: 3, name: 'amount', required: false, type: 'decimal(10, 2)' },
  ],
};
const monthly: PartitionSpec = {
  'spec-id': 0,
  fields: [{ 'source-id': 2, 'field-id': 1000, name: 'issued_at_month', transform: 'month' }],
};
const unpartitioned: PartitionSpec = { 'spec-id': 0, fields: [] };

const BIG_ID = 9158179788527662767n; // > 2^53, as Java/Spark generate
const PARENT_ID = 2n ** 53n + 1n;

function entry(month: number | null, path: string, extra: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    status: 1,
    snapshotId: BIG_ID,
    sequenceNumber: null,
    fileSequenceNumber: null,
    dataFile: {
      content: 0,
      filePath: path,
      fileFormat: 'PARQUET',
      partition: [month],
      recordCount: 3n,
      fileSizeInBytes: 1234n,
      columnSizes: new Map([[1, 40n], [2, 41n], [3, 42n]]),
      valueCounts: new Map([[1, 3n], [2, 3n], [3, 3n]]),
      nullValueCounts: new Map([[1, 0n], [2, 0n], [3, 1n]]),
      lowerBounds: new Map([[1, unhex('0100000000000000')], [3, unhex('9c')]]),
      upperBounds: new Map([[1, unhex('0300000000000000')], [3, unhex('02540be3ff')]]),
      splitOffsets: [4n],
      sortOrderId: 0,
    },
    ...extra,
  };
}

type AvroField = { name: string; type: unknown; 'field-id'?: number };

/** Every record field in a schema tree, with its path. */
function recordFields(node: unknown, path = ''): Array<{ path: string; field: AvroField }> {
  if (Array.isArray(node)) return node.flatMap((n) => recordFields(n, path));
  if (typeof node !== 'object' || node === null) return [];
  const n = node as { type?: unknown; fields?: AvroField[]; items?: unknown };
  const own = (n.fields ?? []).flatMap((f) => [{ path: `${path}.${f.name}`, field: f }, ...recordFields(f.type, `${path}.${f.name}`)]);
  return [...own, ...recordFields(n.items, path)];
}

describe('encodeManifest / decodeManifest', () => {
  it('round-trips entries of a month-partitioned table', async () => {
    const entries = [entry(648, 's3://lake/t/data/issued_at_month=2024-01/a.parquet'), entry(null, 's3://lake/t/data/b.parquet')];
    const decoded = await decodeManifest(await encodeManifest({ schema, spec: monthly, entries }));
    expect(decoded).toEqual(entries);
  });

  it('round-trips EXISTING/DELETED entries with explicit sequence numbers', async () => {
    const entries = [
      entry(-1, 's3://lake/t/data/old.parquet', { status: 0, snapshotId: PARENT_ID, sequenceNumber: 1n, fileSequenceNumber: 1n }),
      entry(0, 's3://lake/t/data/gone.parquet', { status: 2, snapshotId: BIG_ID, sequenceNumber: 1n, fileSequenceNumber: 2n }),
    ];
    expect(await decodeManifest(await encodeManifest({ schema, spec: monthly, entries }))).toEqual(entries);
  });

  it('writes the header metadata the spec requires', async () => {
    const { metadata } = await decodeAvroFile(await encodeManifest({ schema, spec: monthly, entries: [entry(648, 'a')] }));
    expect(JSON.parse(metadata.schema!)).toEqual(schema);
    expect(metadata['schema-id']).toBe('0');
    expect(JSON.parse(metadata['partition-spec']!)).toEqual([
      { name: 'issued_at_month', transform: 'month', 'source-id': 2, 'field-id': 1000 },
    ]);
    expect(metadata['partition-spec-id']).toBe('0');
    expect(metadata['format-version']).toBe('2');
    expect(metadata.content).toBe('data');
    expect(metadata['avro.codec']).toBe('deflate');
  });

  it('keeps field-id on every field of the header schema, and element-id / logicalType map', async () => {
    const { metadata } = await decodeAvroFile(await encodeManifest({ schema, spec: monthly, entries: [] }));
    const avroSchema = JSON.parse(metadata['avro.schema']!);
    expect(avroSchema.name).toBe('manifest_entry');
    const fields = recordFields(avroSchema);
    expect(fields.length).toBeGreaterThan(30);
    for (const { path, field } of fields) expect(field['field-id'], path).toBeTypeOf('number');
    const byPath = new Map(fields.map(({ path, field }) => [path, field]));
    expect(byPath.get('.data_file.partition.issued_at_month')).toEqual({
      name: 'issued_at_month',
      type: ['null', 'int'],
      default: null,
      'field-id': 1000,
    });
    expect(byPath.get('.data_file')!['field-id']).toBe(2);
    expect(byPath.get('.data_file.lower_bounds.value')!['field-id']).toBe(127);
    const lowerBounds = byPath.get('.data_file.lower_bounds')!.type as [string, { logicalType: string; items: { name: string } }];
    expect(lowerBounds[1].logicalType).toBe('map');
    expect(lowerBounds[1].items.name).toBe('k126_v127');
    const splitOffsets = byPath.get('.data_file.split_offsets')!.type as [string, { 'element-id': number }];
    expect(splitOffsets[1]['element-id']).toBe(133);
  });

  it('writes an empty r102 record for an unpartitioned spec', async () => {
    const file = await encodeManifest({ schema, spec: unpartitioned, entries: [{ ...entry(null, 'x'), dataFile: { ...entry(null, 'x').dataFile, partition: [] } }] });
    const { metadata } = await decodeAvroFile(file);
    const partition = recordFields(JSON.parse(metadata['avro.schema']!)).find(({ path }) => path === '.data_file.partition');
    expect(partition!.field.type).toEqual({ type: 'record', name: 'r102', fields: [] });
    expect(metadata['partition-spec']).toBe('[]');
    expect((await decodeManifest(file))[0]!.dataFile.partition).toEqual([]);
  });

  it('marks delete manifests and refuses to mix content', async () => {
    const del = entry(648, 'pos-deletes.parquet');
    del.dataFile = { ...del.dataFile, content: 1, referencedDataFile: 'a.parquet' };
    const eq = entry(648, 'eq-deletes.parquet');
    eq.dataFile = { ...eq.dataFile, content: 2, equalityIds: [1] };
    const file = await encodeManifest({ schema, spec: monthly, entries: [del, eq] });
    expect((await decodeAvroFile(file)).metadata.content).toBe('deletes');
    expect(await decodeManifest(file)).toEqual([del, eq]);
    await expect(encodeManifest({ schema, spec: monthly, entries: [del, entry(1, 'data.parquet')] })).rejects.toThrow(/mix/);
  });

  it('rejects entries that break the spec', async () => {
    const existingWithoutSeq = entry(1, 'a', { status: 0 });
    await expect(encodeManifest({ schema, spec: monthly, entries: [existingWithoutSeq] })).rejects.toThrow(/sequence/);
    const wrongArity = entry(1, 'a');
    wrongArity.dataFile.partition = [1, 2];
    await expect(encodeManifest({ schema, spec: monthly, entries: [wrongArity] })).rejects.toThrow(/partition tuple/);
    const stringPartition: PartitionSpec = { 'spec-id': 1, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id', transform: 'identity' }] };
    await expect(encodeManifest({ schema, spec: stringPartition, entries: [] })).rejects.toThrow(/ints/);
  });

  it('inherits snapshot id and sequence numbers on request', async () => {
    const entries = [entry(648, 'a'), entry(648, 'b', { status: 0, snapshotId: null, sequenceNumber: 3n, fileSequenceNumber: 4n })];
    const file = await encodeManifest({ schema, spec: monthly, entries });
    const [added, existing] = await decodeManifest(file, { addedSnapshotId: PARENT_ID, sequenceNumber: 7n });
    expect([added!.snapshotId, added!.sequenceNumber, added!.fileSequenceNumber]).toEqual([BIG_ID, 7n, 7n]);
    expect([existing!.snapshotId, existing!.sequenceNumber, existing!.fileSequenceNumber]).toEqual([PARENT_ID, 3n, 4n]);
  });

  it('sanitizes partition names like Java', () => {
    expect(sanitizeAvroName('issued_at_month')).toBe('issued_at_month');
    expect(sanitizeAvroName('Breed Name')).toBe('Breed_x20Name');
    expect(sanitizeAvroName('1st')).toBe('_1st');
  });
});

describe('summarizePartitions', () => {
  it('computes contains_null and int bounds per partition field', () => {
    const summaries = summarizePartitions(monthly, [entry(650, 'a'), entry(null, 'b'), entry(-1, 'c'), entry(648, 'd')]);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.containsNull).toBe(true);
    expect(summaries[0]!.containsNan).toBe(false);
    expect(hex(summaries[0]!.lowerBound)).toBe('ffffffff');
    expect(hex(summaries[0]!.upperBound)).toBe('8a020000'); // 650
  });

  it('has no bounds when every value is null, and no summaries when unpartitioned', () => {
    expect(summarizePartitions(monthly, [entry(null, 'a')])).toEqual([{ containsNull: true, containsNan: false }]);
    expect(summarizePartitions(unpartitioned, [])).toEqual([]);
  });
});

describe('encodeManifestList / decodeManifestList', () => {
  const manifest: ManifestFile = {
    manifestPath: 's3://lake/t/metadata/0a-m0.avro',
    manifestLength: 7506n,
    partitionSpecId: 0,
    content: 0,
    sequenceNumber: 2n,
    minSequenceNumber: 2n,
    addedSnapshotId: BIG_ID,
    addedFilesCount: 3,
    existingFilesCount: 0,
    deletedFilesCount: 0,
    addedRowsCount: 4n,
    existingRowsCount: 0n,
    deletedRowsCount: 0n,
    partitions: [{ containsNull: false, containsNan: false, lowerBound: unhex('88020000'), upperBound: unhex('8a020000') }],
  };
  const older: ManifestFile = { ...manifest, manifestPath: 's3://lake/t/metadata/09-m0.avro', addedSnapshotId: PARENT_ID, sequenceNumber: 1n, minSequenceNumber: 1n, partitions: [{ containsNull: true }] };

  it('round-trips manifests and snapshot ids above 2^53 exactly', async () => {
    const file = await encodeManifestList({ snapshotId: BIG_ID, parentSnapshotId: PARENT_ID, sequenceNumber: 2n, manifests: [manifest, older] });
    expect(await decodeManifestList(file)).toEqual([manifest, older]);
    const { metadata } = await decodeAvroFile(file);
    expect(metadata['snapshot-id']).toBe('9158179788527662767');
    expect(metadata['parent-snapshot-id']).toBe('9007199254740993');
    expect(metadata['sequence-number']).toBe('2');
    expect(metadata['format-version']).toBe('2');
    const avroSchema = JSON.parse(metadata['avro.schema']!);
    expect(avroSchema.name).toBe('manifest_file');
    for (const { path, field } of recordFields(avroSchema)) expect(field['field-id'], path).toBeTypeOf('number');
  });

  it('writes parent-snapshot-id "null" for the first snapshot', async () => {
    const { metadata } = await decodeAvroFile(await encodeManifestList({ snapshotId: 1n, sequenceNumber: 1n, manifests: [] }));
    expect(metadata['parent-snapshot-id']).toBe('null');
  });
});
