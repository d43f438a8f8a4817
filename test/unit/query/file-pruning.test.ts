import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../../src/storage/local-storage.ts';
import type { LakeStorage } from '../../../src/storage/lake-storage.ts';
import { encodeSingleValue } from '../../../src/lake/iceberg/single-value.ts';
import { encodeManifest, encodeManifestList, summarizePartitions } from '../../../src/lake/iceberg/manifest-writer.ts';
import { newTableMetadata, withAppendedSnapshot } from '../../../src/lake/iceberg/table-metadata-builder.ts';
import { serializeTableMetadata } from '../../../src/lake/iceberg/table-metadata-json.ts';
import { monthFromMicros } from '../../../src/lake/iceberg/transforms.ts';
import type { DataFile, ManifestEntry, ManifestFile, PartitionSpec, TableMetadata } from '../../../src/lake/iceberg/spec-types.ts';
import { icebergSchemaOf } from '../../../src/lake/tables/table-definition.ts';
import { INVOICES_TABLE } from '../../../src/lake/tables/lake-tables.ts';
import { pruneDataFiles } from '../../../src/query/file-pruning.ts';
import { ManifestCache } from '../../../src/query/manifest-cache.ts';

const SCHEMA = icebergSchemaOf(INVOICES_TABLE);
const BY_MONTH: PartitionSpec = { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'issue_date_month', transform: 'month' }] };
/** A later spec partitioned by day of issue_date: its files must be pruned through the day transform. */
const BY_DAY: PartitionSpec = { 'spec-id': 1, fields: [{ 'source-id': 2, 'field-id': 1001, name: 'issue_date_day', transform: 'day' }] };
/** An even later spec without issue_date: its files can only be pruned on column bounds. */
const UNPARTITIONED: PartitionSpec = { 'spec-id': 2, fields: [] };

const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
const DAY = 86_400_000_000n;

function dataFile(path: string, partition: Array<number | null>, ids: [bigint, bigint] | undefined, dates: [bigint, bigint]): DataFile {
  const lowerBounds = new Map<number, Uint8Array>([[2, encodeSingleValue({ type: 'timestamptz', value: dates[0] })]]);
  const upperBounds = new Map<number, Uint8Array>([[2, encodeSingleValue({ type: 'timestamptz', value: dates[1] })]]);
  if (ids) {
    lowerBounds.set(1, encodeSingleValue({ type: 'long', value: ids[0] }));
    upperBounds.set(1, encodeSingleValue({ type: 'long', value: ids[1] }));
  }
  return { content: 0, filePath: path, fileFormat: 'PARQUET', partition, recordCount: 10n, fileSizeInBytes: 100n, lowerBounds, upperBounds };
}

/**
 * One snapshot over three manifests of three specs:
 *  - spec 0 (month): a June manifest (ids 1–99, 100–199) and a July–August manifest (200–299 July, 300–399 August);
 *  - spec 1 (day): a file of 2026-09-10, ids 400–499;
 *  - spec 2 (unpartitioned): a file of September ids 500–599, and one without id bounds.
 */
describe('pruneDataFiles', () => {
  let root: string;
  let storage: LocalStorage;
  let location: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'invoice-lake-prune-'));
    storage = new LocalStorage(root);
    const june = monthFromMicros(micros('2026-06-15T00:00:00Z'));
    const manifests: ManifestFile[] = [];
    const addManifest = async (name: string, spec: PartitionSpec, files: DataFile[]) => {
      const entries: ManifestEntry[] = files.map((file) => ({ status: 1, snapshotId: 1n, sequenceNumber: null, fileSequenceNumber: null, dataFile: file }));
      const bytes = await encodeManifest({ schema: SCHEMA, spec, entries });
      await storage.write(`t/metadata/${name}.avro`, bytes);
      manifests.push({
        manifestPath: storage.uri(`t/metadata/${name}.avro`),
        manifestLength: BigInt(bytes.length),
        partitionSpecId: spec['spec-id'],
        content: 0,
        sequenceNumber: 1n,
        minSequenceNumber: 1n,
        addedSnapshotId: 1n,
        addedFilesCount: files.length,
        existingFilesCount: 0,
        deletedFilesCount: 0,
        addedRowsCount: 10n * BigInt(files.length),
        existingRowsCount: 0n,
        deletedRowsCount: 0n,
        partitions: summarizePartitions(spec, entries),
      });
    };
    await addManifest('june', BY_MONTH, [
      dataFile('june-a', [june], [1n, 99n], [micros('2026-06-01T00:00:00Z'), micros('2026-06-15T00:00:00Z')]),
      dataFile('june-b', [june], [100n, 199n], [micros('2026-06-15T00:00:00Z'), micros('2026-06-30T23:59:59.999Z') + 999n]),
    ]);
    await addManifest('july-august', BY_MONTH, [
      dataFile('july', [june + 1], [200n, 299n], [micros('2026-07-01T00:00:00Z'), micros('2026-07-31T23:59:59.999Z') + 999n]),
      dataFile('august', [june + 2], [300n, 399n], [micros('2026-08-01T00:00:00Z'), micros('2026-08-31T00:00:00Z')]),
    ]);
    const september10 = Number(micros('2026-09-10T00:00:00Z') / DAY);
    await addManifest('day', BY_DAY, [dataFile('september-10', [september10], [400n, 499n], [micros('2026-09-10T00:00:00Z'), micros('2026-09-10T12:00:00Z')])]);
    await addManifest('unpartitioned', UNPARTITIONED, [
      dataFile('september-bounded', [], [500n, 599n], [micros('2026-09-11T00:00:00Z'), micros('2026-09-20T00:00:00Z')]),
      dataFile('september-no-ids', [], undefined, [micros('2026-09-21T00:00:00Z'), micros('2026-09-30T00:00:00Z')]),
    ]);
    await storage.write('t/metadata/snap.avro', await encodeManifestList({ snapshotId: 1n, sequenceNumber: 1n, manifests }));
    let metadata: TableMetadata = newTableMetadata({ location: storage.uri('t'), schema: SCHEMA, spec: BY_MONTH, nowMs: 0, tableUuid: '00000000-0000-0000-0000-000000000001' });
    metadata = { ...metadata, partitionSpecs: [BY_MONTH, BY_DAY, UNPARTITIONED], defaultSpecId: 2, lastPartitionId: 1001 };
    metadata = withAppendedSnapshot(metadata, { snapshotId: 1n, manifestList: storage.uri('t/metadata/snap.avro'), summary: { operation: 'append' }, nowMs: 1 });
    await storage.write('t/metadata/v1.metadata.json', Buffer.from(serializeTableMetadata(metadata)));
    location = storage.uri('t/metadata/v1.metadata.json');
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  const paths = (files: DataFile[]) => files.map((file) => file.filePath).sort();

  it('finds the one file of an id and skips the manifests that cannot hold it', async () => {
    const pruned = await pruneDataFiles(storage, location, [{ column: 'invoice_id', op: 'eq', value: 250n }]);
    // september-no-ids has no id bounds, so it must be read too.
    expect(paths(pruned.dataFiles)).toEqual(['july', 'september-no-ids']);
    // No partition predicate: every manifest is opened.
    expect(pruned.counts).toEqual({ manifestsConsidered: 4, manifestsRead: 4, filesConsidered: 7, filesSelected: 2 });
  });

  it('selects nothing bounded for an id outside every file, and ids on a bound', async () => {
    expect(paths((await pruneDataFiles(storage, location, [{ column: 'invoice_id', op: 'eq', value: 10_000n }])).dataFiles)).toEqual(['september-no-ids']);
    expect(paths((await pruneDataFiles(storage, location, [{ column: 'invoice_id', op: 'eq', value: 100n }])).dataFiles)).toEqual(['june-b', 'september-no-ids']);
    expect(paths((await pruneDataFiles(storage, location, [{ column: 'invoice_id', op: 'eq', value: 99n }])).dataFiles)).toEqual(['june-a', 'september-no-ids']);
  });

  it('prunes a date range through the partition summaries of every spec', async () => {
    const pruned = await pruneDataFiles(storage, location, [{ column: 'issue_date', op: 'gte', value: micros('2026-08-01T00:00:00Z') }]);
    expect(paths(pruned.dataFiles)).toEqual(['august', 'september-10', 'september-bounded', 'september-no-ids']);
    expect(pruned.counts).toEqual({ manifestsConsidered: 4, manifestsRead: 3, filesConsidered: 5, filesSelected: 4 });
  });

  it('cuts exactly at a month boundary in UTC', async () => {
    const julyOnly = [
      { column: 'issue_date', op: 'gte', value: micros('2026-07-01T00:00:00Z') },
      { column: 'issue_date', op: 'lt', value: micros('2026-08-01T00:00:00Z') },
    ] as const;
    const pruned = await pruneDataFiles(storage, location, julyOnly);
    expect(paths(pruned.dataFiles)).toEqual(['july']);
    expect(pruned.counts.manifestsRead).toBe(2); // july-august, plus the unpartitioned one (its files fail on bounds)
  });

  it('prunes files of the day spec on their day', async () => {
    const pruned = await pruneDataFiles(storage, location, [{ column: 'issue_date', op: 'eq', value: micros('2026-09-11T08:00:00Z') }]);
    expect(paths(pruned.dataFiles)).toEqual(['september-bounded']);
  });

  it('reads each metadata file, manifest list and manifest once per cache', async () => {
    const cache = new ManifestCache();
    let reads = 0;
    const counting: LakeStorage = {
      root: storage.root,
      uri: (path) => storage.uri(path),
      relativePath: (uri) => storage.relativePath(uri),
      write: (path, bytes) => storage.write(path, bytes),
      createExclusive: (path, bytes) => storage.createExclusive(path, bytes),
      read: (path) => (reads++, storage.read(path)),
      readIfExists: (path) => storage.readIfExists(path),
      readRange: (path, offset, length) => storage.readRange(path, offset, length),
      delete: (path) => storage.delete(path),
      list: (prefix) => storage.list(prefix),
      queryPaths: (uris) => storage.queryPaths(uris),
      checkWritable: () => storage.checkWritable(),
    };
    const filter = [{ column: 'invoice_id', op: 'eq', value: 450n }] as const;
    const first = await pruneDataFiles(counting, location, filter, cache);
    expect(reads).toBe(6); // metadata, manifest list, four manifests
    const second = await pruneDataFiles(counting, location, [{ column: 'invoice_id', op: 'eq', value: 150n }], cache);
    expect(reads).toBe(6);
    expect(paths(first.dataFiles)).toEqual(['september-10', 'september-no-ids']);
    expect(paths(second.dataFiles)).toEqual(['june-b', 'september-no-ids']);
  });

  it('drops the least recently used files past its bound and retries failed reads', async () => {
    const cache = new ManifestCache({ maxFiles: 2 });
    await pruneDataFiles(storage, location, [], cache);
    expect(cache.size).toBe(2);
    await expect(cache.metadata(storage, storage.uri('t/metadata/missing.json'))).rejects.toThrow();
    await Promise.resolve();
    expect(cache.size).toBeLessThanOrEqual(2);
  });
});
