import type { LakeStorage } from '../storage/lake-storage.ts';
import type { TableMetadata, DataFile, IcebergSchema } from '../lake/iceberg/spec-types.ts';
import { parseTableMetadata } from '../lake/iceberg/table-metadata-json.ts';
import { decodeManifest, decodeManifestList } from '../lake/iceberg/manifest-reader.ts';
import { currentSnapshot } from '../lake/lake-table.ts';

export interface TableSnapshotFiles {
  metadata: TableMetadata;
  schema: IcebergSchema;
  /** Live data files of the current snapshot (DELETED entries removed). */
  dataFiles: DataFile[];
  hasDeleteFiles: boolean;
}

/** Reads a table's current snapshot down to its live data files (Iceberg scan planning without filters). */
export async function snapshotFiles(storage: LakeStorage, metadataLocation: string): Promise<TableSnapshotFiles> {
  const read = (uri: string) => storage.read(storage.relativePath(uri) ?? uri);
  const metadata = parseTableMetadata((await read(metadataLocation)).toString('utf8'));
  const schema = metadata.schemas.find((candidate) => candidate['schema-id'] === metadata.currentSchemaId) ?? metadata.schemas[0]!;
  const snapshot = currentSnapshot(metadata);
  if (!snapshot) return { metadata, schema, dataFiles: [], hasDeleteFiles: false };
  const manifests = await decodeManifestList(await read(snapshot.manifestList));
  const dataFiles: DataFile[] = [];
  let hasDeleteFiles = false;
  for (const manifest of manifests) {
    if (manifest.content !== 0) {
      hasDeleteFiles = true;
      continue;
    }
    for (const entry of await decodeManifest(await read(manifest.manifestPath))) {
      if (entry.status !== 2) dataFiles.push(entry.dataFile);
    }
  }
  return { metadata, schema, dataFiles, hasDeleteFiles };
}
