/**
 * Reads tables that Spark, the Iceberg Java API and Athena wrote (see
 * test/fixtures/iceberg/README.md), and compares our Avro schemas with theirs.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeAvroFile } from '../../../src/lake/iceberg/avro-container.ts';
import { MANIFEST_FILE_AVRO_SCHEMA, manifestEntryAvroSchema } from '../../../src/lake/iceberg/manifest-avro-schema.ts';
import { decodeManifest, decodeManifestList } from '../../../src/lake/iceberg/manifest-reader.ts';
import { encodeManifest } from '../../../src/lake/iceberg/manifest-writer.ts';
import { decodeSingleValue } from '../../../src/lake/iceberg/single-value.ts';
import { parseTableMetadata } from '../../../src/lake/iceberg/table-metadata-json.ts';
import { FIXTURES_ROOT, fixtureBytes, hex } from './fixtures.ts';

const RENAME = 'spark/rename_column/metadata/';
const SPARK = 'spark/bunnies/metadata/';
const JAVA = 'java/bunnies/metadata/';
const ATHENA = 'athena/example/metadata/';

/** Drop `doc` attributes (Java writes them; readers ignore them). */
function withoutDocs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDocs);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'doc').map(([k, v]) => [k, withoutDocs(v)]));
}

it('resolves the fixtures inside the repository, as test/fixtures/iceberg', () => {
  const root = fileURLToPath(FIXTURES_ROOT);
  const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
  expect(root).toBe(`${repoRoot}test/fixtures/iceberg/`);
  expect(existsSync(new URL('README.md', FIXTURES_ROOT))).toBe(true);
});

describe('manifest lists written by other engines', () => {
  it('Spark: added_data_files_count names, a 63-bit snapshot id, partition summaries', async () => {
    const [m] = await decodeManifestList(fixtureBytes(`${RENAME}snap-5276958600260276572-1-abf62b15-903b-40b6-9e6b-26bcdceac9b3.avro`));
    expect(m).toMatchObject({
      manifestPath: 's3a://hyperparam-iceberg/spark/rename_column/metadata/abf62b15-903b-40b6-9e6b-26bcdceac9b3-m0.avro',
      manifestLength: 7506n,
      content: 0,
      sequenceNumber: 1n,
      minSequenceNumber: 1n,
      addedSnapshotId: 5276958600260276572n,
      addedFilesCount: 3,
      addedRowsCount: 4n,
    });
    expect(m!.partitions.map((p) => [p.containsNull, hex(p.lowerBound), hex(p.upperBound)])).toEqual([
      [false, '00000000', '03000000'],
      [true, '314a0000', '324a0000'],
    ]);
  });

  it('Spark: three manifests (data + deletes) in the last bunnies snapshot', async () => {
    const list = await decodeManifestList(fixtureBytes(`${SPARK}snap-2701171901096418979-1-91d5eea0-314d-4056-8818-59b825cbd38a.avro`));
    expect(list.map((m) => [m.addedSnapshotId, m.content, m.addedFilesCount, m.deletedFilesCount])).toEqual([
      [2701171901096418979n, 0, 1, 0],
      [2701171901096418979n, 0, 0, 1],
      [469881615898633426n, 1, 1, 0],
    ]);
  });

  it('Java: added_files_count names and ids above 2^53', async () => {
    const list = await decodeManifestList(fixtureBytes(`${JAVA}snap-9158179788527662767-1-a01399a1-e864-4562-b921-c8cb56e6e4a9.avro`));
    expect(list).toHaveLength(4);
    expect(list.map((m) => m.addedSnapshotId)).toEqual([9158179788527662767n, 4951213507629824583n, 9158179788527662767n, 6458828015811002920n]);
    expect(list.map((m) => m.sequenceNumber)).toEqual([3n, 1n, 3n, 2n]);
    expect(list.reduce((n, m) => n + m.addedRowsCount, 0n)).toBe(29n);
    const { metadata } = await decodeAvroFile(fixtureBytes(`${JAVA}snap-9158179788527662767-1-a01399a1-e864-4562-b921-c8cb56e6e4a9.avro`));
    expect(metadata['snapshot-id']).toBe('9158179788527662767');
    expect(metadata['parent-snapshot-id']).toBe('6458828015811002920');
  });

  it('Athena (Trino)', async () => {
    const [m] = await decodeManifestList(fixtureBytes(`${ATHENA}snap-6838723292707092922-1-3d82674b-df1e-49b5-a7a9-05b61567065a.avro`));
    expect(m).toMatchObject({ addedSnapshotId: 6838723292707092922n, addedFilesCount: 1, addedRowsCount: 2n, partitions: [] });
  });
});

describe('manifests written by other engines', () => {
  it('Spark rename_column: bucket + identity(date) partitions, a null value, decimal bounds', async () => {
    const entries = await decodeManifest(fixtureBytes(`${RENAME}abf62b15-903b-40b6-9e6b-26bcdceac9b3-m0.avro`));
    expect(entries.map((e) => [e.status, e.snapshotId, e.sequenceNumber, e.dataFile.partition, e.dataFile.recordCount])).toEqual([
      [1, 5276958600260276572n, null, [3, null], 1n],
      [1, 5276958600260276572n, null, [2, 18994], 1n],
      [1, 5276958600260276572n, null, [0, 18993], 2n],
    ]);
    const thumper = entries[1]!.dataFile;
    expect(thumper.filePath).toMatch(/id_bucket=2\/date=2022-01-02\/.*\.parquet$/);
    expect(thumper.fileSizeInBytes).toBe(1368n);
    expect(thumper.splitOffsets).toEqual([4n]);
    expect(decodeSingleValue('string', thumper.lowerBounds!.get(2)!)).toEqual({ type: 'string', value: 'Thumper' });
    expect(decodeSingleValue('date', thumper.lowerBounds!.get(3)!)).toEqual({ type: 'date', value: 18994 });
    expect(hex(thumper.lowerBounds!.get(4))).toBe('02540be3ff');
    expect(decodeSingleValue('decimal(10, 2)', thumper.lowerBounds!.get(4)!)).toEqual({ type: 'decimal', unscaled: 9999999999n, precision: 10, scale: 2 });
  });

  it('Spark bunnies: a DELETED entry keeps explicit sequence numbers; a position delete file', async () => {
    const [deleted] = await decodeManifest(fixtureBytes(`${SPARK}91d5eea0-314d-4056-8818-59b825cbd38a-m0.avro`));
    expect(deleted).toMatchObject({ status: 2, snapshotId: 2701171901096418979n, sequenceNumber: 1n, fileSequenceNumber: 1n });
    expect(deleted!.dataFile.recordCount).toBe(21n);
    expect(decodeSingleValue('double', deleted!.dataFile.lowerBounds!.get(2)!)).toEqual({ type: 'double', value: 0.9 });
    const [posDelete] = await decodeManifest(fixtureBytes(`${SPARK}ac75cc9f-cc0c-4712-8337-fe4b0c473459-m0.avro`));
    expect(posDelete!.dataFile.content).toBe(1);
    expect(posDelete!.dataFile.filePath).toMatch(/-deletes\.parquet$/);
    expect(posDelete!.dataFile.sortOrderId).toBeUndefined();
  });

  it('Java bunnies: an equality delete file with equality_ids [1]', async () => {
    const [eq] = await decodeManifest(fixtureBytes(`${JAVA}a01399a1-e864-4562-b921-c8cb56e6e4a9-m1.avro`));
    expect(eq!.dataFile).toMatchObject({
      content: 2,
      filePath: 's3a://hyperparam-iceberg/java/bunnies/data/bunnies-eq-delete-new-zealand.parquet',
      equalityIds: [1],
      recordCount: 1n,
      fileSizeInBytes: 2529n,
    });
    expect(decodeSingleValue('string', eq!.dataFile.lowerBounds!.get(1)!)).toEqual({ type: 'string', value: 'New Zealand' });
  });

  it('Athena: one data file of 2 rows', async () => {
    const [e] = await decodeManifest(fixtureBytes(`${ATHENA}3d82674b-df1e-49b5-a7a9-05b61567065a-m0.avro`));
    expect(e!.snapshotId).toBe(6838723292707092922n);
    expect(e!.dataFile).toMatchObject({ recordCount: 2n, fileSizeInBytes: 345n, partition: [] });
  });

  it('re-encodes a Spark manifest through our writer without loss', async () => {
    const metadata = parseTableMetadata(fixtureBytes(`${RENAME}v3.metadata.json`).toString('utf8'));
    const entries = await decodeManifest(fixtureBytes(`${RENAME}abf62b15-903b-40b6-9e6b-26bcdceac9b3-m0.avro`));
    const file = await encodeManifest({ schema: metadata.schemas[0]!, spec: metadata.partitionSpecs[0]!, entries });
    expect(await decodeManifest(file)).toEqual(entries);
  });
});

describe('our Avro schemas match what Spark and Java write', () => {
  it('manifest_entry equals the Spark header (without docs; plus the optional v2 field 143 Java 1.8 writes)', async () => {
    const { metadata } = await decodeAvroFile(fixtureBytes(`${RENAME}abf62b15-903b-40b6-9e6b-26bcdceac9b3-m0.avro`));
    const table = parseTableMetadata(fixtureBytes(`${RENAME}v3.metadata.json`).toString('utf8'));
    const ours = manifestEntryAvroSchema(table.partitionSpecs[0]!, table.schemas[0]!) as { fields: Array<{ type: { fields: Array<{ name: string }> } }> };
    const dataFile = ours.fields[4]!.type;
    expect(dataFile.fields.at(-1)!.name).toBe('referenced_data_file');
    dataFile.fields.pop();
    expect(ours).toEqual(withoutDocs(JSON.parse(metadata['avro.schema']!)));
  });

  it('manifest_entry equals the Java 1.8 header, field 143 included', async () => {
    const { metadata } = await decodeAvroFile(fixtureBytes(`${JAVA}583a45a0-7389-4d71-9305-ac3a8725c38b-m0.avro`));
    const table = parseTableMetadata(fixtureBytes(`${JAVA}v5.metadata.json`).toString('utf8'));
    expect(manifestEntryAvroSchema(table.partitionSpecs[0]!, table.schemas[0]!)).toEqual(withoutDocs(JSON.parse(metadata['avro.schema']!)));
  });

  it('manifest_file equals the Java 1.8 manifest-list header', async () => {
    const { metadata } = await decodeAvroFile(fixtureBytes(`${JAVA}snap-4951213507629824583-1-583a45a0-7389-4d71-9305-ac3a8725c38b.avro`));
    expect(MANIFEST_FILE_AVRO_SCHEMA).toEqual(withoutDocs(JSON.parse(metadata['avro.schema']!)));
  });
});
