import { randomUUID, randomBytes } from 'node:crypto';
import type { Catalog, TableIdentifier } from '../catalog/catalog.ts';
import { metadataVersion } from '../catalog/catalog.ts';
import type { LakeStorage } from '../storage/lake-storage.ts';
import type { DataFile, ManifestEntry, ManifestFile, PartitionSpec, TableMetadata, Snapshot } from './iceberg/spec-types.ts';
import { ManifestEntryStatus } from './iceberg/spec-types.ts';
import { encodeManifest, encodeManifestList, summarizePartitions } from './iceberg/manifest-writer.ts';
import { decodeManifest, decodeManifestList } from './iceberg/manifest-reader.ts';
import { parseTableMetadata, serializeTableMetadata } from './iceberg/table-metadata-json.ts';
import { newTableMetadata, snapshotSummary, withAppendedSnapshot, withProperties, type RemovedFiles } from './iceberg/table-metadata-builder.ts';
import { claimProperties, nextClaim, type WriterClaim } from './writer-fence.ts';
import type { TableDefinition } from './tables/table-definition.ts';
import { icebergSchemaOf, partitionSpecOf } from './tables/table-definition.ts';
import { LakeError } from '../errors/lake-error.ts';
import { failpoint } from './failpoints.ts';

export interface LoadedTable {
  metadataLocation: string;
  metadata: TableMetadata;
}

export interface AppendResult {
  snapshotId: bigint;
  metadataLocation: string;
  attempts: number;
}

/**
 * What a commit checks when it lost the compare-and-swap: `validate` gets the
 * table as the other writer left it and throws when this commit no longer
 * applies (its rows are already there, or another writer owns the table).
 * Like Java's `BaseRowDelta.validate`, it runs before every retry, never on
 * the first attempt, whose base the caller has just checked.
 */
export interface CommitValidation {
  validate?(latest: LoadedTable): void;
}

const MAX_COMMIT_ATTEMPTS = 5;

/**
 * Manifests in a snapshot before they are merged into one, like Java's
 * `commit.manifest.min-count-to-merge` (default 100): each streaming commit
 * adds a manifest, and without merging every later commit would rewrite an
 * ever longer manifest list and every reader would open every manifest.
 */
export const DEFAULT_MANIFEST_MERGE_COUNT = 100;

/**
 * One Iceberg table: creation, loading and the fast-append commit
 * (data files → manifest → manifest list → metadata file → catalog
 * compare-and-swap → path hints), retried on a lost compare-and-swap.
 */
export class LakeTable {
  readonly definition: TableDefinition;
  readonly identifier: TableIdentifier;
  readonly #storage: LakeStorage;
  readonly #catalog: Catalog;
  #cachedManifests: { snapshotId: bigint | undefined; manifests: ManifestFile[] } | undefined;
  readonly #manifestMergeCount: number;

  constructor(
    deps: { storage: LakeStorage; catalog: Catalog },
    options: { namespace: string; definition: TableDefinition; manifestMergeCount?: number },
  ) {
    this.#storage = deps.storage;
    this.#catalog = deps.catalog;
    this.#manifestMergeCount = options.manifestMergeCount ?? DEFAULT_MANIFEST_MERGE_COUNT;
    this.definition = options.definition;
    this.identifier = { namespace: options.namespace, name: options.definition.name };
  }

  /** Creates the table if the catalog does not know it (idempotent). Returns true when created. */
  async ensureCreated(nowMs = Date.now()): Promise<boolean> {
    if (await this.#catalog.currentMetadataLocation(this.identifier)) return false;
    const metadata = newTableMetadata({
      location: this.#storage.uri(this.definition.name),
      schema: icebergSchemaOf(this.definition),
      spec: partitionSpecOf(this.definition),
      properties: { 'write.format.default': 'parquet', 'write.parquet.compression-codec': 'zstd', 'created-by': 'invoice-lake' },
      nowMs,
      tableUuid: randomUUID(),
    });
    const written = await this.#writeMetadataFile(metadata, 1);
    const created = await this.#catalog.create(this.identifier, written.uri);
    if (created && !this.#catalog.maintainsVersionHint) await this.#publishPathHints(written);
    return created;
  }

  async load(): Promise<LoadedTable> {
    const metadataLocation = await this.#catalog.currentMetadataLocation(this.identifier);
    if (!metadataLocation) {
      throw new LakeError('source-setup', `lake table ${this.identifier.namespace}.${this.identifier.name} does not exist`, {
        hint: 'run `invoice-lake setup` first',
      });
    }
    const bytes = await this.#readUri(metadataLocation);
    const metadata = parseTableMetadata(bytes.toString('utf8'));
    this.#checkLocation(metadata);
    this.#checkSchema(metadata);
    return { metadataLocation, metadata };
  }

  /**
   * Makes this process the table's one writer: commits the next writer epoch
   * as table properties (writer-fence.ts), so every earlier writer's next
   * commit loses its compare-and-swap and stops. Returns the claim and the
   * table as claimed.
   */
  async claimWriter(writerId: string): Promise<{ claim: WriterClaim; table: LoadedTable }> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.load();
      const claim = nextClaim(current.metadata, writerId);
      const next = withProperties(current.metadata, { updates: claimProperties(claim), nowMs: Date.now(), previousMetadataFile: current.metadataLocation });
      const metadataFile = await this.#writeMetadataFile(next, metadataVersion(current.metadataLocation) + 1);
      const committed = await this.#catalog.commit(this.identifier, current.metadataLocation, metadataFile.uri);
      if (committed) {
        if (!this.#catalog.maintainsVersionHint) await this.#publishPathHints({ uri: committed, bytes: metadataFile.bytes });
        return { claim, table: { metadataLocation: committed, metadata: next } };
      }
      if (attempt >= MAX_COMMIT_ATTEMPTS) {
        throw new LakeError('commit-conflict', `gave up claiming ${this.identifier.name} after ${attempt} concurrent updates`, {
          hint: 'another writer commits to this table continuously; stop it',
        });
      }
    }
  }

  /**
   * Refuses a table whose recorded location is not under this lake root: new
   * files would land under LAKE while the table (and every other engine)
   * still reads from where it was created, splitting the table in two.
   */
  #checkLocation(metadata: TableMetadata): void {
    const expected = this.#storage.uri(this.definition.name).replace(/\/+$/, '');
    if (metadata.location === expected) return;
    throw new LakeError('config', `lake table ${this.identifier.namespace}.${this.identifier.name} lives at ${metadata.location}, but LAKE points at ${expected}`, {
      hint: `set LAKE back to the root the catalog's tables were created under (${metadata.location.slice(0, metadata.location.length - this.definition.name.length - 1) || metadata.location}), or give the new root its own catalog (CATALOG_SCHEMA or CATALOG_NAME)`,
    });
  }

  /**
   * Refuses a table whose columns differ from what this version writes (a
   * lake made by another version): data files must match the table schema.
   */
  #checkSchema(metadata: TableMetadata): void {
    const stored = metadata.schemas.find((schema) => schema['schema-id'] === metadata.currentSchemaId) ?? metadata.schemas[0];
    const describe = (fields: Array<{ id: number; name: string; type: unknown }>) => fields.map((field) => `${field.id}:${field.name}:${JSON.stringify(field.type)}`).join(', ');
    const expected = describe(icebergSchemaOf(this.definition).fields);
    const actual = describe(stored?.fields ?? []);
    if (actual === expected) return;
    throw new LakeError('config', `lake table ${this.identifier.namespace}.${this.identifier.name} has columns [${actual}], this version writes [${expected}]`, {
      hint: 'the lake was created by another version of invoice-lake; point LAKE (and CATALOG_SCHEMA or CATALOG_NAME for a JDBC catalog) at a new location',
    });
  }

  /** Writes one Parquet file durably and returns its lake-relative path's URI. */
  async writeDataFile(partitionLabel: string | undefined, bytes: Uint8Array): Promise<string> {
    const directory = partitionLabel ? `data/${partitionLabel}` : 'data';
    const path = `${this.definition.name}/${directory}/${randomUUID()}.parquet`;
    await this.#storage.write(path, bytes);
    return this.#storage.uri(path);
  }

  /**
   * Commits the data files as one `append` snapshot whose summary carries
   * `properties` (the source position lives there). On a lost compare-and-swap
   * the table is reloaded and the same manifest is appended to the new state.
   */
  async append(
    base: LoadedTable,
    files: DataFile[],
    properties: Record<string, string>,
    validation: CommitValidation = {},
  ): Promise<{ result: AppendResult; table: LoadedTable }> {
    return this.#commitFiles(base, files, properties, undefined, validation);
  }

  /**
   * Commits the data files as one `overwrite` snapshot that also removes every
   * live data file for which `remove` is true (all of them for a full
   * replace, those of the replaced partitions otherwise). Readers of the new
   * snapshot see the new files and none of the removed ones, atomically.
   */
  async overwrite(
    base: LoadedTable,
    files: DataFile[],
    remove: (file: DataFile) => boolean,
    properties: Record<string, string>,
    validation: CommitValidation = {},
  ): Promise<{ result: AppendResult; table: LoadedTable }> {
    return this.#commitFiles(base, files, properties, remove, validation);
  }

  async #commitFiles(
    base: LoadedTable,
    files: DataFile[],
    properties: Record<string, string>,
    remove: ((file: DataFile) => boolean) | undefined,
    validation: CommitValidation,
  ): Promise<{ result: AppendResult; table: LoadedTable }> {
    const snapshotId = newSnapshotId();
    const spec = partitionSpecOf(this.definition);
    const entries: ManifestEntry[] = files.map((dataFile) => ({
      status: ManifestEntryStatus.Added,
      snapshotId,
      sequenceNumber: null,
      fileSequenceNumber: null,
      dataFile,
    }));
    const written = await this.#writeManifest(entries);
    const addedRows = files.reduce((sum, file) => sum + file.recordCount, 0n);

    let current = base;
    for (let attempt = 1; ; attempt++) {
      const sequenceNumber = current.metadata.lastSequenceNumber + 1n;
      const manifest = dataManifestFile(written, { spec, snapshotId, sequenceNumber, entries });
      let previous = await this.#liveManifests(current.metadata);
      let removed: RemovedFiles | undefined;
      if (remove) ({ manifests: previous, removed } = await this.#removeFiles(previous, remove, snapshotId, sequenceNumber));
      let manifests = [manifest, ...previous];
      if (manifests.length > this.#manifestMergeCount) manifests = [manifest, ...(await this.#merge(manifests.slice(1), snapshotId, sequenceNumber))];
      const parentSnapshotId = current.metadata.currentSnapshotId;
      const listPath = `${this.definition.name}/metadata/snap-${snapshotId}-${attempt}-${randomUUID()}.avro`;
      await this.#storage.write(listPath, await encodeManifestList({ snapshotId, parentSnapshotId, sequenceNumber, manifests }));
      const nowMs = Math.max(Date.now(), current.metadata.lastUpdatedMs);
      const summary = snapshotSummary(
        currentSnapshot(current.metadata)?.summary,
        {
          dataFiles: files.length,
          records: addedRows,
          filesSize: files.reduce((sum, file) => sum + file.fileSizeInBytes, 0n),
          changedPartitions: new Set(files.map((file) => JSON.stringify(file.partition))).size,
        },
        properties,
        removed,
      );
      const next = withAppendedSnapshot(current.metadata, {
        snapshotId,
        manifestList: this.#storage.uri(listPath),
        summary,
        nowMs,
        previousMetadataFile: current.metadataLocation,
      });
      const metadataFile = await this.#writeMetadataFile(next, metadataVersion(current.metadataLocation) + 1);
      failpoint('before-catalog-commit');
      const committed = await this.#catalog.commit(this.identifier, current.metadataLocation, metadataFile.uri);
      if (committed) {
        if (!this.#catalog.maintainsVersionHint) await this.#publishPathHints({ uri: committed, bytes: metadataFile.bytes });
        this.#cachedManifests = { snapshotId, manifests };
        return { result: { snapshotId, metadataLocation: committed, attempts: attempt }, table: { metadataLocation: committed, metadata: next } };
      }
      if (attempt >= MAX_COMMIT_ATTEMPTS) {
        throw new LakeError('commit-conflict', `gave up committing ${this.identifier.name} after ${attempt} concurrent updates`, {
          hint: 'another writer commits to this table continuously; stop it or give each writer its own table',
        });
      }
      current = await this.load();
      validation.validate?.(current);
    }
  }

  /**
   * Marks the live data files `remove` selects as DELETED by this snapshot:
   * a manifest holding any of them is rewritten (the rest of its entries
   * become EXISTING with their sequence numbers); other manifests are kept.
   */
  async #removeFiles(
    manifests: ManifestFile[],
    remove: (file: DataFile) => boolean,
    snapshotId: bigint,
    sequenceNumber: bigint,
  ): Promise<{ manifests: ManifestFile[]; removed: RemovedFiles }> {
    const spec = partitionSpecOf(this.definition);
    const removed = { dataFiles: 0, records: 0n, filesSize: 0n };
    const kept: ManifestFile[] = [];
    for (const source of manifests) {
      if (source.content !== 0) {
        kept.push(source);
        continue;
      }
      const live = (await decodeManifest(await this.#readUri(source.manifestPath), source)).filter((entry) => entry.status !== ManifestEntryStatus.Deleted);
      const gone = live.filter((entry) => remove(entry.dataFile));
      if (gone.length === 0) {
        kept.push(source);
        continue;
      }
      for (const entry of gone) {
        removed.dataFiles++;
        removed.records += entry.dataFile.recordCount;
        removed.filesSize += entry.dataFile.fileSizeInBytes;
      }
      const entries: ManifestEntry[] = live.map((entry) =>
        gone.includes(entry) ? { ...entry, status: ManifestEntryStatus.Deleted, snapshotId } : { ...entry, status: ManifestEntryStatus.Existing },
      );
      if (source.partitionSpecId !== spec['spec-id']) throw new LakeError('internal', `cannot rewrite a manifest of partition spec ${source.partitionSpecId}`);
      kept.push(dataManifestFile(await this.#writeManifest(entries), { spec, snapshotId, sequenceNumber, entries }));
    }
    return { manifests: kept, removed };
  }

  /**
   * Rewrites the data manifests of the current partition spec as one manifest
   * of EXISTING entries that keep their snapshot ids and sequence numbers
   * (spec "Sequence Number Inheritance": rewritten entries carry them
   * explicitly); DELETED entries are dropped, other manifests are kept as they are.
   */
  async #merge(manifests: ManifestFile[], snapshotId: bigint, sequenceNumber: bigint): Promise<ManifestFile[]> {
    const spec = partitionSpecOf(this.definition);
    const mergeable = manifests.filter((m) => m.content === 0 && m.partitionSpecId === spec['spec-id']);
    const kept = manifests.filter((m) => !mergeable.includes(m));
    const entries: ManifestEntry[] = [];
    for (const source of mergeable) {
      for (const entry of await decodeManifest(await this.#readUri(source.manifestPath), source)) {
        if (entry.status !== ManifestEntryStatus.Deleted) entries.push({ ...entry, status: ManifestEntryStatus.Existing });
      }
    }
    if (entries.length === 0) return kept;
    const merged = dataManifestFile(await this.#writeManifest(entries), { spec, snapshotId, sequenceNumber, entries });
    return [merged, ...kept];
  }

  async #writeManifest(entries: ManifestEntry[]): Promise<{ uri: string; length: bigint }> {
    const bytes = await encodeManifest({ schema: icebergSchemaOf(this.definition), spec: partitionSpecOf(this.definition), entries });
    const path = `${this.definition.name}/metadata/${randomUUID()}-m0.avro`;
    await this.#storage.write(path, bytes);
    return { uri: this.#storage.uri(path), length: BigInt(bytes.length) };
  }

  async #liveManifests(metadata: TableMetadata): Promise<ManifestFile[]> {
    const snapshot = currentSnapshot(metadata);
    if (!snapshot) return [];
    if (this.#cachedManifests?.snapshotId === snapshot.snapshotId) return this.#cachedManifests.manifests;
    const manifests = await decodeManifestList(await this.#readUri(snapshot.manifestList));
    this.#cachedManifests = { snapshotId: snapshot.snapshotId, manifests };
    return manifests;
  }

  async #writeMetadataFile(metadata: TableMetadata, version: number): Promise<{ uri: string; bytes: Buffer }> {
    const path = `${this.definition.name}/metadata/${String(Math.max(version, 0)).padStart(5, '0')}-${randomUUID()}.metadata.json`;
    const bytes = Buffer.from(serializeTableMetadata(metadata));
    if (!(await this.#storage.createExclusive(path, bytes))) {
      throw new LakeError('storage', `metadata file ${path} already exists`);
    }
    return { uri: this.#storage.uri(path), bytes };
  }

  /**
   * `vN.metadata.json` and `version-hint.text` (no newline) for path-based readers (ICEBERG_NOTES §9),
   * from the bytes just written: reading them back cost a round trip per commit on S3.
   */
  async #publishPathHints({ uri, bytes }: { uri: string; bytes: Buffer }): Promise<void> {
    const version = metadataVersion(uri);
    await this.#storage.write(`${this.definition.name}/metadata/v${version}.metadata.json`, bytes);
    await this.#storage.write(`${this.definition.name}/metadata/version-hint.text`, Buffer.from(String(version)));
  }

  #readUri(uri: string): Promise<Buffer> {
    const relative = this.#storage.relativePath(uri);
    return this.#storage.read(relative ?? uri);
  }
}

/**
 * The manifest-list row of a data manifest written by snapshot `snapshotId`:
 * counts by entry status, and the lowest data sequence number of its entries
 * (ADDED entries inherit `sequenceNumber`).
 */
function dataManifestFile(
  written: { uri: string; length: bigint },
  options: { spec: PartitionSpec; snapshotId: bigint; sequenceNumber: bigint; entries: ManifestEntry[] },
): ManifestFile {
  const { spec, snapshotId, sequenceNumber, entries } = options;
  const count = (status: ManifestEntryStatus) => entries.filter((entry) => entry.status === status);
  const rows = (list: ManifestEntry[]) => list.reduce((sum, entry) => sum + entry.dataFile.recordCount, 0n);
  const added = count(ManifestEntryStatus.Added);
  const existing = count(ManifestEntryStatus.Existing);
  const deleted = count(ManifestEntryStatus.Deleted);
  const minSequenceNumber = entries.reduce((min, entry) => {
    const data = entry.sequenceNumber ?? sequenceNumber;
    return data < min ? data : min;
  }, sequenceNumber);
  return {
    manifestPath: written.uri,
    manifestLength: written.length,
    partitionSpecId: spec['spec-id'],
    content: 0,
    sequenceNumber,
    minSequenceNumber,
    addedSnapshotId: snapshotId,
    addedFilesCount: added.length,
    existingFilesCount: existing.length,
    deletedFilesCount: deleted.length,
    addedRowsCount: rows(added),
    existingRowsCount: rows(existing),
    deletedRowsCount: rows(deleted),
    partitions: summarizePartitions(spec, entries),
  };
}

export function currentSnapshot(metadata: TableMetadata): Snapshot | undefined {
  if (metadata.currentSnapshotId === undefined) return undefined;
  return metadata.snapshots.find((snapshot) => snapshot.snapshotId === metadata.currentSnapshotId);
}

/** The newest value of a summary key on the current snapshot or its ancestors. */
export function ancestorSummaryValue(metadata: TableMetadata, key: string): string | undefined {
  const byId = new Map(metadata.snapshots.map((snapshot) => [snapshot.snapshotId, snapshot]));
  let snapshot = currentSnapshot(metadata);
  while (snapshot) {
    const value = snapshot.summary[key];
    if (value !== undefined) return value;
    snapshot = snapshot.parentSnapshotId === undefined ? undefined : byId.get(snapshot.parentSnapshotId);
  }
  return undefined;
}

/** Positive 63-bit random id, like Java's snapshot ids. */
function newSnapshotId(): bigint {
  return randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn || 1n;
}
