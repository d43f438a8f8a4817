import type { LakeStorage } from '../storage/lake-storage.ts';
import type { DataFile, IcebergSchema, TableMetadata } from '../lake/iceberg/spec-types.ts';
import { ManifestEntryStatus } from '../lake/iceberg/spec-types.ts';
import { parseTableMetadata } from '../lake/iceberg/table-metadata-json.ts';
import { decodeManifest, decodeManifestList } from '../lake/iceberg/manifest-reader.ts';
import { currentSnapshot } from '../lake/lake-table.ts';

/** One table state read once, so a job's full view and its delta come from the same snapshot. */
export interface TableScan {
  metadata: TableMetadata;
  schema: IcebergSchema;
  snapshotId: bigint | null;
  /** Sequence number of the current snapshot (0 for an empty table). */
  sequenceNumber: bigint;
  /** Live data files with their data sequence numbers. */
  files: Array<{ dataFile: DataFile; sequenceNumber: bigint }>;
}

export async function scanTable(storage: LakeStorage, metadataLocation: string): Promise<TableScan> {
  const read = (uri: string) => storage.read(storage.relativePath(uri) ?? uri);
  const metadata = parseTableMetadata((await read(metadataLocation)).toString('utf8'));
  const schema = metadata.schemas.find((candidate) => candidate['schema-id'] === metadata.currentSchemaId) ?? metadata.schemas[0]!;
  const snapshot = currentSnapshot(metadata);
  if (!snapshot) return { metadata, schema, snapshotId: null, sequenceNumber: 0n, files: [] };
  const files: TableScan['files'] = [];
  for (const manifest of await decodeManifestList(await read(snapshot.manifestList))) {
    if (manifest.content !== 0) continue;
    for (const entry of await decodeManifest(await read(manifest.manifestPath), manifest)) {
      if (entry.status !== ManifestEntryStatus.Deleted) files.push({ dataFile: entry.dataFile, sequenceNumber: entry.sequenceNumber ?? manifest.sequenceNumber });
    }
  }
  return { metadata, schema, snapshotId: snapshot.snapshotId, sequenceNumber: snapshot.sequenceNumber, files };
}

/**
 * The incremental scan between two snapshots of an append-only table: the
 * files added after sequence number `after`, up to the scanned snapshot.
 * A file's data sequence number is the sequence number of the commit that
 * added it (kept when manifests are merged), so this is exact for appends.
 */
export function filesAddedAfter(scan: TableScan, after: bigint): DataFile[] {
  return scan.files.filter((file) => file.sequenceNumber > after).map((file) => file.dataFile);
}
