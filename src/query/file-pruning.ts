import type { LakeStorage } from '../storage/lake-storage.ts';
import type { DataFile, IcebergSchema, PartitionSpec, TableMetadata } from '../lake/iceberg/spec-types.ts';
import { ManifestEntryStatus } from '../lake/iceberg/spec-types.ts';
import { currentSnapshot } from '../lake/lake-table.ts';
import { ManifestCache } from './manifest-cache.ts';
import {
  bindFilter,
  fileBoundsMayMatch,
  manifestMayMatch,
  partitionMayMatch,
  projectOntoSpec,
  type FileFilter,
  type ProjectedPredicate,
} from './file-filter.ts';

export interface PruningCounts {
  /** Data manifests in the current snapshot's manifest list. */
  manifestsConsidered: number;
  /** Those whose partition summaries could match, hence opened. */
  manifestsRead: number;
  /** Live data files in the manifests read. */
  filesConsidered: number;
  /** Files that may hold a matching row. */
  filesSelected: number;
}

export interface PrunedFiles {
  metadata: TableMetadata;
  schema: IcebergSchema;
  /** Live data files of the current snapshot that may hold rows matching the filter. */
  dataFiles: DataFile[];
  counts: PruningCounts;
  /** Delete files exist: reading only the data files would show deleted rows. */
  hasDeleteFiles: boolean;
}

/**
 * Iceberg scan planning with a filter, for the table whose current metadata
 * file is `metadataLocation`: (a) whole manifests are skipped on the
 * manifest list's partition summaries, (b) files on their partition tuple,
 * evaluated through each manifest's own partition spec, (c) files on their
 * column lower/upper bounds. The result is a superset of the files holding
 * matching rows, never a subset: the query still applies the filter itself.
 */
export async function pruneDataFiles(
  storage: LakeStorage,
  metadataLocation: string,
  filter: FileFilter,
  cache: ManifestCache = new ManifestCache(),
): Promise<PrunedFiles> {
  const metadata = await cache.metadata(storage, metadataLocation);
  const schema = metadata.schemas.find((candidate) => candidate['schema-id'] === metadata.currentSchemaId) ?? metadata.schemas[0]!;
  const predicates = bindFilter(schema, filter);
  const counts: PruningCounts = { manifestsConsidered: 0, manifestsRead: 0, filesConsidered: 0, filesSelected: 0 };
  const snapshot = currentSnapshot(metadata);
  if (!snapshot) return { metadata, schema, dataFiles: [], counts, hasDeleteFiles: false };

  const projections = new Map<number, ProjectedPredicate[]>();
  const projectionFor = (specId: number): ProjectedPredicate[] => {
    let projected = projections.get(specId);
    if (!projected) {
      const spec: PartitionSpec | undefined = metadata.partitionSpecs.find((candidate) => candidate['spec-id'] === specId);
      // A spec id the metadata does not list: no partition pruning for its files, column bounds still apply.
      projected = spec ? projectOntoSpec(spec, predicates) : [];
      projections.set(specId, projected);
    }
    return projected;
  };

  const dataFiles: DataFile[] = [];
  let hasDeleteFiles = false;
  for (const manifest of await cache.manifestList(storage, snapshot.manifestList)) {
    if (manifest.content !== 0) {
      hasDeleteFiles = true;
      continue;
    }
    counts.manifestsConsidered++;
    const projected = projectionFor(manifest.partitionSpecId);
    if (!manifestMayMatch(manifest.partitions, projected)) continue;
    counts.manifestsRead++;
    for (const entry of await cache.manifest(storage, manifest)) {
      if (entry.status === ManifestEntryStatus.Deleted) continue;
      counts.filesConsidered++;
      if (partitionMayMatch(entry.dataFile, projected) && fileBoundsMayMatch(entry.dataFile, predicates)) dataFiles.push(entry.dataFile);
    }
  }
  counts.filesSelected = dataFiles.length;
  return { metadata, schema, dataFiles, counts, hasDeleteFiles };
}
