import { describe, expect, it } from 'vitest';
import { chooseMetadataFile, metadataFileVersion } from '../../../src/query/sources/iceberg-metadata-file.ts';
import { localPathMapper, withoutScheme } from '../../../src/query/sources/iceberg-file-paths.ts';
import { duckdbTypeOfIceberg } from '../../../src/query/sources/iceberg-column-types.ts';
import { parseForeignTableMetadata } from '../../../src/query/sources/iceberg-table-metadata.ts';
import { partitionScope, planFromEntries, withoutIdleDeletes, type SpecEntry } from '../../../src/query/sources/iceberg-scan-plan.ts';
import { topLevelColumns } from '../../../src/query/sources/iceberg-parquet-columns.ts';
import { parseNameMapping } from '../../../src/query/sources/iceberg-name-mapping.ts';
import type { DataFile } from '../../../src/lake/iceberg/spec-types.ts';
import { fixtureBytes } from '../iceberg/fixtures.ts';

describe('the current metadata file', () => {
  it('recognises both naming schemes and gzip, and nothing else', () => {
    expect(metadataFileVersion('v12.metadata.json')).toBe(12);
    expect(metadataFileVersion('00012-eedf51e6-8c09-463b-8850-844ee6ec1de0.metadata.json')).toBe(12);
    expect(metadataFileVersion('v3.gz.metadata.json')).toBe(3);
    expect(metadataFileVersion('00003-abc.metadata.json.gz')).toBe(3);
    expect(metadataFileVersion('version-hint.text')).toBeUndefined();
    expect(metadataFileVersion('snap-1-1-abc.avro')).toBeUndefined();
    expect(metadataFileVersion('v1.metadata.json.tmp')).toBeUndefined();
  });

  it('follows a hint naming a present file, else takes the highest version (numerically)', () => {
    const names = ['v1.metadata.json', 'v2.metadata.json', 'v10.metadata.json', 'version-hint.text'];
    expect(chooseMetadataFile(names, undefined)).toBe('v10.metadata.json');
    expect(chooseMetadataFile(names, '2\n')).toBe('v2.metadata.json');
    expect(chooseMetadataFile(names, '7')).toBe('v10.metadata.json'); // stale hint: ignored
    expect(chooseMetadataFile(names, 's3://b/t/metadata/v1.metadata.json')).toBe('v1.metadata.json');
    expect(chooseMetadataFile(['00000-a.metadata.json', '00001-b.metadata.json', 'x.avro'], undefined)).toBe('00001-b.metadata.json');
    expect(chooseMetadataFile(['x.avro'], undefined)).toBeUndefined();
  });
});

describe('metadata paths to local files', () => {
  it('maps by suffix after the table location, whatever the scheme', () => {
    const map = localPathMapper('/copy/bunnies', 's3a://bucket/spark/bunnies', {});
    expect(map('s3a://bucket/spark/bunnies/data/x.parquet')).toBe('/copy/bunnies/data/x.parquet');
    expect(map('s3://bucket/spark/bunnies/metadata/m.avro')).toBe('/copy/bunnies/metadata/m.avro');
    expect(map('s3a://bucket/spark/bunnies-other/data/x.parquet')).toBeUndefined();
    expect(map('s3a://bucket/elsewhere/x.parquet')).toBeUndefined();
    expect(withoutScheme('file:/tmp/t/')).toBe('tmp/t');
    expect(localPathMapper('/c', 'file:/tmp/t', {})('file:///tmp/t/data/a.parquet')).toBe('/c/data/a.parquet');
  });

  it('maps a data path set by table property to data/', () => {
    const map = localPathMapper('/copy/t', 's3://b/warehouse/t', { 'write.object-storage.path': 's3://b/objects' });
    expect(map('s3://b/objects/ab12/f.parquet')).toBe('/copy/t/data/ab12/f.parquet');
    expect(map('s3://b/warehouse/t/metadata/m.avro')).toBe('/copy/t/metadata/m.avro');
  });
});

describe('column types', () => {
  it('maps every primitive and leaves nested types out', () => {
    expect(['boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'uuid', 'binary'].map(duckdbTypeOfIceberg)).toEqual([
      'BOOLEAN', 'INTEGER', 'BIGINT', 'FLOAT', 'DOUBLE', 'DATE', 'TIME', 'TIMESTAMP', 'TIMESTAMPTZ', 'VARCHAR', 'UUID', 'BLOB',
    ]);
    expect(duckdbTypeOfIceberg('decimal(10, 2)')).toBe('DECIMAL(10, 2)');
    expect(duckdbTypeOfIceberg('decimal(38,0)')).toBe('DECIMAL(38, 0)');
    expect(duckdbTypeOfIceberg('fixed[16]')).toBe('BLOB');
    expect(duckdbTypeOfIceberg({ type: 'struct', fields: [] })).toBeUndefined();
    expect(duckdbTypeOfIceberg('variant')).toBeUndefined();
  });
});

describe('foreign table metadata', () => {
  it('reads v2 metadata with its current schema and exact snapshot ids', () => {
    const metadata = parseForeignTableMetadata(fixtureBytes('spark/rename_column/metadata/v3.metadata.json').toString('utf8'));
    expect(metadata.formatVersion).toBe(2);
    expect(metadata.location).toBe('s3a://hyperparam-iceberg/spark/rename_column');
    expect(metadata.schema.fields.map((f) => f.name)).toEqual(['id', 'name', 'event_date', 'price', 'active']);
    expect(metadata.partitionSpecs.get(0)).toEqual({ specId: 0, transforms: ['bucket[4]', 'identity'] });
    expect(metadata.currentSnapshot).toEqual({
      snapshotId: 5276958600260276572n,
      sequenceNumber: 1n,
      manifestList: 's3a://hyperparam-iceberg/spark/rename_column/metadata/snap-5276958600260276572-1-abf62b15-903b-40b6-9e6b-26bcdceac9b3.avro',
    });
  });

  it('reads v1 metadata: single schema and partition-spec, no sequence numbers', () => {
    const metadata = parseForeignTableMetadata(`{
      "format-version": 1, "location": "hdfs://nn/t", "last-column-id": 1,
      "schema": {"type": "struct", "fields": [{"id": 1, "name": "a", "required": true, "type": "long"}]},
      "partition-spec": [{"name": "a_bucket", "transform": "bucket[8]", "source-id": 1, "field-id": 1000}],
      "current-snapshot-id": 9223372036854775807,
      "snapshots": [{"snapshot-id": 9223372036854775807, "timestamp-ms": 1, "manifest-list": "hdfs://nn/t/metadata/snap.avro"}]
    }`);
    expect(metadata.formatVersion).toBe(1);
    expect(metadata.schema).toEqual({ schemaId: 0, fields: [{ id: 1, name: 'a', type: 'long' }] });
    expect(metadata.partitionSpecs.get(0)).toEqual({ specId: 0, transforms: ['bucket[8]'] });
    expect(metadata.currentSnapshot).toEqual({ snapshotId: 9223372036854775807n, sequenceNumber: 0n, manifestList: 'hdfs://nn/t/metadata/snap.avro' });
  });

  it('has no current snapshot for -1, and says what is wrong otherwise', () => {
    const empty = parseForeignTableMetadata(fixtureBytes('athena/example/metadata/00000-eedf51e6-8c09-463b-8850-844ee6ec1de0.metadata.json').toString('utf8'));
    expect(empty.currentSnapshot).toBeNull();
    expect(() => parseForeignTableMetadata('{"format-version": 3}')).toThrow('format-version 3 is not supported (only 1 and 2)');
    expect(() => parseForeignTableMetadata('{"format-version": 2, "location": "x", "schemas": [], "current-schema-id": 4}')).toThrow(
      'current-schema-id 4 names no schema',
    );
    expect(() =>
      parseForeignTableMetadata(`{"format-version": 1, "location": "x", "schema": {"fields": []}, "current-snapshot-id": 5,
        "snapshots": [{"snapshot-id": 5, "manifests": ["x.avro"]}]}`),
    ).toThrow('snapshot 5 has no manifest-list');
  });
});

describe('scan planning', () => {
  const file = (content: 0 | 1 | 2, filePath: string, extra: Partial<DataFile> = {}): DataFile => ({
    content, filePath, fileFormat: 'PARQUET', partition: [], recordCount: 1n, fileSizeInBytes: 1n, ...extra,
  });
  const entry = (specId: number, status: 0 | 1 | 2, sequenceNumber: bigint | null, dataFile: DataFile): SpecEntry => ({
    specId,
    entry: { status, snapshotId: 1n, sequenceNumber, fileSequenceNumber: sequenceNumber, dataFile },
  });
  const specs = new Map([
    [0, { specId: 0, transforms: [] }],
    [1, { specId: 1, transforms: ['identity'] }],
  ]);

  it('classifies live files, scopes equality deletes by partition unless unpartitioned, reads v1 as sequence 0', () => {
    const plan = planFromEntries(
      [
        entry(1, 1, 3n, file(0, 'a', { partitionValues: ['eu'] })),
        entry(1, 2, 3n, file(0, 'removed', { partitionValues: ['eu'] })),
        entry(0, 0, null, file(0, 'v1')),
        entry(1, 1, 4n, file(1, 'pos', { referencedDataFile: 'a' })),
        entry(1, 1, 4n, file(2, 'eq-eu', { equalityIds: [1], partitionValues: ['eu'] })),
        entry(0, 1, 4n, file(2, 'eq-all', { equalityIds: [1, 2] })),
      ],
      specs,
    );
    expect(plan.dataFiles).toEqual([
      { uri: 'a', sequenceNumber: 3n, scope: '1:["eu"]', recordCount: 1n },
      { uri: 'v1', sequenceNumber: 0n, scope: '0:[]', recordCount: 1n },
    ]);
    expect(plan.positionDeletes).toEqual([{ uri: 'pos', sequenceNumber: 4n, referencedDataFile: 'a' }]);
    expect(plan.equalityDeletes).toEqual([
      { uri: 'eq-eu', sequenceNumber: 4n, scope: '1:["eu"]', equalityIds: [1] },
      { uri: 'eq-all', sequenceNumber: 4n, scope: null, equalityIds: [1, 2] },
    ]);
  });

  it('drops delete files that cannot hit any live data file', () => {
    const plan = withoutIdleDeletes({
      dataFiles: [{ uri: 'a', sequenceNumber: 5n, scope: '1:["eu"]', recordCount: 1n }],
      positionDeletes: [
        { uri: 'older', sequenceNumber: 4n },
        { uri: 'same', sequenceNumber: 5n },
        { uri: 'other-target', sequenceNumber: 9n, referencedDataFile: 'b' },
      ],
      equalityDeletes: [
        { uri: 'same-seq', sequenceNumber: 5n, scope: null, equalityIds: [1] },
        { uri: 'newer', sequenceNumber: 6n, scope: '1:["eu"]', equalityIds: [1] },
        { uri: 'other-partition', sequenceNumber: 6n, scope: '1:["us"]', equalityIds: [1] },
      ],
    });
    expect(plan.positionDeletes.map((d) => d.uri)).toEqual(['same']);
    expect(plan.equalityDeletes.map((d) => d.uri)).toEqual(['newer']);
  });

  it('gives distinct scopes to distinct tuples of any value type', () => {
    expect(partitionScope(0, [1, null])).toBe('0:[1,null]');
    expect(partitionScope(2, [5n, new Uint8Array([0, 255]), 'x'])).toBe('2:[5n,0x00ff,"x"]');
    expect(partitionScope(0, ['1'])).not.toBe(partitionScope(0, [1]));
  });
});

describe('Parquet top-level columns', () => {
  it('skips the children of nested columns', () => {
    const columns = topLevelColumns([
      { name: 'schema', fieldId: null, numChildren: 3 },
      { name: 'id', fieldId: 1, numChildren: 0 },
      { name: 'tags', fieldId: 2, numChildren: 1 },
      { name: 'list', fieldId: null, numChildren: 1 },
      { name: 'element', fieldId: 5, numChildren: 0 },
      { name: 'note', fieldId: 3, numChildren: 0 },
    ]);
    expect(columns).toEqual([
      { name: 'id', fieldId: 1 },
      { name: 'tags', fieldId: 2 },
      { name: 'note', fieldId: 3 },
    ]);
  });
});

describe('name mapping', () => {
  it('reads top-level field ids and their names, and rejects a malformed mapping', () => {
    const mapping = parseNameMapping('[{"field-id": 1, "names": ["id", "ID"]}, {"names": ["orphan"]}, {"field-id": 2, "names": ["s"], "fields": [{"field-id": 3, "names": ["x"]}]}]');
    expect([...mapping]).toEqual([
      [1, ['id', 'ID']],
      [2, ['s']],
    ]);
    expect(() => parseNameMapping('{')).toThrow('not JSON');
    expect(() => parseNameMapping('[{"field-id": "1"}]')).toThrow('0.field-id');
  });
});
