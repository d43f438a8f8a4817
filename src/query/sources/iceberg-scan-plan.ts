/**
 * Scan planning for a foreign table's current snapshot: which data files are
 * live and which delete files apply to which of them (spec "Scan Planning").
 *
 * - A position delete applies to rows of the data file it names whose data
 *   sequence number is ≤ the delete's.
 * - An equality delete applies to data files with a data sequence number
 *   strictly lower than the delete's, in the same partition unless the
 *   delete was written with an unpartitioned spec (then table-wide).
 */
import { decodeManifest, decodeManifestList } from '../../lake/iceberg/manifest-reader.ts';
import type { ManifestEntry } from '../../lake/iceberg/spec-types.ts';
import type { ForeignPartitionSpec } from './iceberg-table-metadata.ts';

export interface PlannedDataFile {
  uri: string;
  sequenceNumber: bigint;
  /** Spec id and partition tuple: equality deletes with the same scope apply. */
  scope: string;
  recordCount: bigint;
}

export interface PlannedPositionDelete {
  uri: string;
  sequenceNumber: bigint;
  /** Set when every row of the delete file targets this one data file. */
  referencedDataFile?: string;
}

export interface PlannedEqualityDelete {
  uri: string;
  sequenceNumber: bigint;
  /** null = applies table-wide (written with an unpartitioned spec). */
  scope: string | null;
  equalityIds: number[];
}

export interface ScanPlan {
  dataFiles: PlannedDataFile[];
  positionDeletes: PlannedPositionDelete[];
  equalityDeletes: PlannedEqualityDelete[];
}

/** A manifest entry with the partition spec id of its manifest. */
export interface SpecEntry {
  specId: number;
  entry: ManifestEntry;
}

/** A stable text form of a partition tuple; bytes as hex, longs as digits. */
export function partitionScope(specId: number, values: readonly unknown[]): string {
  const parts = values.map((v) => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
    return JSON.stringify(v);
  });
  return `${specId}:[${parts.join(',')}]`;
}

function isUnpartitioned(spec: ForeignPartitionSpec | undefined): boolean {
  return spec === undefined || spec.transforms.every((t) => t === 'void');
}

/** Live files of the entries, classified by content (DELETED entries dropped). */
export function planFromEntries(entries: readonly SpecEntry[], specs: ReadonlyMap<number, ForeignPartitionSpec>): ScanPlan {
  const plan: ScanPlan = { dataFiles: [], positionDeletes: [], equalityDeletes: [] };
  for (const { specId, entry } of entries) {
    if (entry.status === 2) continue;
    const file = entry.dataFile;
    // v1 entries carry no sequence numbers: every v1 file has data sequence number 0.
    const sequenceNumber = entry.sequenceNumber ?? 0n;
    const scope = partitionScope(specId, file.partitionValues ?? file.partition);
    if (file.content === 0) {
      plan.dataFiles.push({ uri: file.filePath, sequenceNumber, scope, recordCount: file.recordCount });
    } else if (file.content === 1) {
      const planned: PlannedPositionDelete = { uri: file.filePath, sequenceNumber };
      if (file.referencedDataFile !== undefined) planned.referencedDataFile = file.referencedDataFile;
      plan.positionDeletes.push(planned);
    } else {
      if (!file.equalityIds?.length) throw new Error(`equality delete file ${file.filePath} has no equality_ids`);
      plan.equalityDeletes.push({
        uri: file.filePath,
        sequenceNumber,
        scope: isUnpartitioned(specs.get(specId)) ? null : scope,
        equalityIds: file.equalityIds,
      });
    }
  }
  return plan;
}

/** The plan without delete files that can delete no row of any live data file (reading them would be wasted). */
export function withoutIdleDeletes(plan: ScanPlan): ScanPlan {
  return {
    dataFiles: plan.dataFiles,
    positionDeletes: plan.positionDeletes.filter((d) =>
      plan.dataFiles.some(
        (f) => f.sequenceNumber <= d.sequenceNumber && (d.referencedDataFile === undefined || d.referencedDataFile === f.uri),
      ),
    ),
    equalityDeletes: plan.equalityDeletes.filter((d) =>
      plan.dataFiles.some((f) => f.sequenceNumber < d.sequenceNumber && (d.scope === null || d.scope === f.scope)),
    ),
  };
}

/** Reads the manifest list and every manifest of a snapshot; `read` takes a metadata URI. */
export async function readScanPlan(
  manifestList: string,
  read: (uri: string) => Promise<Uint8Array>,
  specs: ReadonlyMap<number, ForeignPartitionSpec>,
): Promise<ScanPlan> {
  const manifests = await decodeManifestList(await read(manifestList));
  const entries: SpecEntry[] = [];
  for (const manifest of manifests) {
    const decoded = await decodeManifest(await read(manifest.manifestPath), manifest, { keepPartitionValues: true });
    for (const entry of decoded) entries.push({ specId: manifest.partitionSpecId, entry });
  }
  return planFromEntries(entries, specs);
}
