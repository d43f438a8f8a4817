/**
 * Pure table-metadata transitions: create a v2 table and append a snapshot
 * (spec "Table Metadata", "Snapshots", "Sequence Numbers"; ICEBERG_NOTES §1-§3).
 */
import type { IcebergSchema, PartitionSpec, Snapshot, SnapshotSummary, TableMetadata } from './spec-types.ts';

/** Partition field ids start at 1000, so an unpartitioned table's last id is 999 (Java `PartitionSpec`). */
const UNPARTITIONED_LAST_PARTITION_ID = 999;

/** Keys Java reserves for computed table properties (`TableProperties.RESERVED_PROPERTIES`). */
const RESERVED_PROPERTIES = new Set([
  'format-version',
  'uuid',
  'snapshot-count',
  'current-snapshot-id',
  'current-snapshot-summary',
  'current-snapshot-timestamp-ms',
  'current-schema',
  'default-partition-spec',
  'default-sort-order',
]);

/** Highest field id in a schema, nested list/map/struct ids included (spec: last-column-id). */
function maxFieldId(node: unknown): number {
  if (Array.isArray(node)) return Math.max(0, ...node.map(maxFieldId));
  if (typeof node !== 'object' || node === null) return 0;
  let max = 0;
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'id' || key === 'element-id' || key === 'key-id' || key === 'value-id') && typeof value === 'number') {
      max = Math.max(max, value);
    } else if (key === 'fields' || key === 'type' || key === 'element' || key === 'key' || key === 'value') {
      max = Math.max(max, maxFieldId(value));
    }
  }
  return max;
}

/** Metadata of a new, empty v2 table (no snapshot; last-sequence-number 0). */
export function newTableMetadata(input: {
  location: string;
  schema: IcebergSchema;
  spec: PartitionSpec;
  properties?: Record<string, string>;
  nowMs: number;
  tableUuid: string;
}): TableMetadata {
  const { schema, spec } = input;
  const properties = { ...input.properties };
  for (const key of Object.keys(properties)) {
    if (RESERVED_PROPERTIES.has(key)) throw new Error(`table property ${key} is reserved`);
  }
  for (const field of spec.fields) {
    if (!schema.fields.some((f) => f.id === field['source-id'])) {
      throw new Error(`partition field ${field.name}: source id ${field['source-id']} is not in the schema`);
    }
  }
  return {
    formatVersion: 2,
    tableUuid: input.tableUuid,
    location: input.location.replace(/\/+$/, ''),
    lastSequenceNumber: 0n,
    lastUpdatedMs: input.nowMs,
    lastColumnId: maxFieldId(schema.fields),
    schemas: [schema],
    currentSchemaId: schema['schema-id'],
    partitionSpecs: [spec],
    defaultSpecId: spec['spec-id'],
    lastPartitionId: Math.max(UNPARTITIONED_LAST_PARTITION_ID, ...spec.fields.map((f) => f['field-id'])),
    properties,
    snapshots: [],
    snapshotLog: [],
    metadataLog: [],
  };
}

/**
 * Metadata after committing one snapshot on top of `base` (notes §3
 * "Sequence-number bookkeeping"): sequence number = last + 1, parent = the
 * current snapshot, snapshot-log and metadata-log appended. Only the newest
 * `maxSnapshots` snapshots and log entries are kept (the new one always).
 *
 * The timestamp is `max(nowMs, base.lastUpdatedMs)` so the logs stay sorted,
 * which Java validates, even if the clock stepped back.
 */
export function withAppendedSnapshot(
  base: TableMetadata,
  input: {
    snapshotId: bigint;
    manifestList: string;
    summary: SnapshotSummary;
    nowMs: number;
    /** Location of `base`'s metadata file; omitted only for a table without one. */
    previousMetadataFile?: string;
    maxSnapshots?: number;
  },
): TableMetadata {
  const maxSnapshots = input.maxSnapshots ?? 100;
  if (!Number.isInteger(maxSnapshots) || maxSnapshots < 1) throw new RangeError('maxSnapshots must be a positive integer');
  if (input.snapshotId <= 0n) throw new RangeError('snapshot ids must be positive');
  if (base.snapshots.some((s) => s.snapshotId === input.snapshotId)) {
    throw new Error(`snapshot id ${input.snapshotId} already exists`);
  }
  const sequenceNumber = base.lastSequenceNumber + 1n;
  const timestampMs = Math.max(input.nowMs, base.lastUpdatedMs);
  const snapshot: Snapshot = {
    snapshotId: input.snapshotId,
    sequenceNumber,
    timestampMs,
    manifestList: input.manifestList,
    summary: input.summary,
    schemaId: base.currentSchemaId,
  };
  if (base.currentSnapshotId !== undefined) snapshot.parentSnapshotId = base.currentSnapshotId;

  const snapshots = [...base.snapshots, snapshot].slice(-maxSnapshots);
  const kept = new Set(snapshots.map((s) => s.snapshotId));
  // Log entries of expired snapshots would point at nothing; drop them with the snapshots.
  const snapshotLog = [...base.snapshotLog, { timestampMs, snapshotId: input.snapshotId }]
    .filter((e) => kept.has(e.snapshotId))
    .slice(-maxSnapshots);
  const metadataLog =
    input.previousMetadataFile === undefined
      ? [...base.metadataLog]
      : [...base.metadataLog, { timestampMs: base.lastUpdatedMs, metadataFile: input.previousMetadataFile }];

  return {
    ...base,
    lastSequenceNumber: sequenceNumber,
    lastUpdatedMs: timestampMs,
    currentSnapshotId: input.snapshotId,
    snapshots,
    snapshotLog,
    metadataLog: metadataLog.slice(-maxSnapshots),
  };
}

/**
 * Metadata with table properties set and nothing else changed (Java's
 * `UpdateProperties`): the same snapshots, one more metadata-log entry.
 */
export function withProperties(
  base: TableMetadata,
  input: { updates: Record<string, string>; nowMs: number; previousMetadataFile: string; maxLogEntries?: number },
): TableMetadata {
  for (const key of Object.keys(input.updates)) {
    if (RESERVED_PROPERTIES.has(key)) throw new Error(`table property ${key} is reserved`);
  }
  const timestampMs = Math.max(input.nowMs, base.lastUpdatedMs);
  const metadataLog = [...base.metadataLog, { timestampMs: base.lastUpdatedMs, metadataFile: input.previousMetadataFile }];
  return {
    ...base,
    lastUpdatedMs: timestampMs,
    properties: { ...base.properties, ...input.updates },
    metadataLog: metadataLog.slice(-(input.maxLogEntries ?? 100)),
  };
}

/** Counts a snapshot adds; `changedPartitions` is the number of distinct partition tuples touched. */
export interface AddedFiles {
  dataFiles: number | bigint;
  records: number | bigint;
  filesSize: number | bigint;
  changedPartitions: number | bigint;
}

/** Counts an overwrite removes. */
export type RemovedFiles = Omit<AddedFiles, 'changedPartitions'>;

const ADDED_TOTALS = [
  ['total-data-files', 'dataFiles'],
  ['total-records', 'records'],
  ['total-files-size', 'filesSize'],
] as const;
const UNCHANGED_TOTALS = ['total-delete-files', 'total-position-deletes', 'total-equality-deletes'] as const;

/** A previous total as bigint, or undefined when absent or malformed. */
function previousTotal(previous: SnapshotSummary, key: string): bigint | undefined {
  const v = previous[key];
  return v !== undefined && /^\d+$/.test(v) ? BigInt(v) : undefined;
}

/**
 * Summary of an `append` snapshot (spec Appendix F; Java `SnapshotSummary`):
 * `added-*` from `added`, `total-*` = previous total + added. As Java's
 * `SnapshotProducer.updateTotal` does, a total the previous snapshot lacks is
 * left out rather than guessed; with no previous snapshot the totals start at 0.
 * `extra` keys (e.g. a source checkpoint) go in as given; they must not shadow standard keys.
 */
export function snapshotSummary(
  previous: SnapshotSummary | undefined,
  added: AddedFiles,
  extra: Record<string, string> = {},
  removed?: RemovedFiles,
): SnapshotSummary {
  // An `overwrite` both adds and removes files (Java's OVERWRITE); totals go down by what it removed.
  const summary: SnapshotSummary = { operation: removed ? 'overwrite' : 'append' };
  const standard: Record<string, string> = {
    'added-data-files': String(added.dataFiles),
    'added-records': String(added.records),
    'added-files-size': String(added.filesSize),
    'changed-partition-count': String(added.changedPartitions),
  };
  if (removed) {
    standard['deleted-data-files'] = String(removed.dataFiles);
    standard['deleted-records'] = String(removed.records);
    standard['removed-files-size'] = String(removed.filesSize);
  }
  for (const [key, field] of ADDED_TOTALS) {
    const before = previous === undefined ? 0n : previousTotal(previous, key);
    if (before !== undefined) standard[key] = String(before + BigInt(added[field]) - BigInt(removed?.[field] ?? 0));
  }
  for (const key of UNCHANGED_TOTALS) {
    const before = previous === undefined ? 0n : previousTotal(previous, key);
    if (before !== undefined) standard[key] = String(before);
  }
  for (const [key, value] of Object.entries(extra)) {
    if (key === 'operation' || key in standard || /^(added|deleted|removed|total)-/.test(key)) {
      throw new Error(`summary key ${key} is computed by the writer`);
    }
    summary[key] = value;
  }
  return Object.assign(summary, standard);
}
