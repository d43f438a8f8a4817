/**
 * Apache Iceberg v2 spec types as pure data.
 *
 * Only what invoice-lake writes and reads is modelled; field names follow the
 * JSON and Avro names of https://iceberg.apache.org/spec/ (format/spec.md).
 * 64-bit ids and counts are `bigint` so random snapshot ids above 2^53 survive.
 */

/** Iceberg primitive types used by the lake tables. */
export type IcebergPrimitive =
  | 'boolean'
  | 'int'
  | 'long'
  | 'double'
  | 'date'
  | 'timestamptz'
  | 'string'
  | `decimal(${number}, ${number})`;

export interface IcebergField {
  id: number;
  name: string;
  /** Always false for columns written by DuckDB/parquet-wasm (OPTIONAL in Parquet). */
  required: boolean;
  type: IcebergPrimitive;
  doc?: string;
}

export interface IcebergSchema {
  type: 'struct';
  'schema-id': number;
  fields: IcebergField[];
  'identifier-field-ids'?: number[];
}

/**
 * Partition transform names (spec "Partition Transforms"). invoice-lake writes
 * identity/month; `bucket[N]` and `truncate[W]` appear in foreign tables we read.
 */
export type PartitionTransform =
  | 'identity'
  | 'year'
  | 'month'
  | 'day'
  | 'hour'
  | 'void'
  | `bucket[${number}]`
  | `truncate[${number}]`;

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  transform: PartitionTransform;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

export interface SnapshotSummary {
  operation: 'append' | 'replace' | 'overwrite' | 'delete';
  [key: string]: string;
}

export interface Snapshot {
  snapshotId: bigint;
  parentSnapshotId?: bigint;
  sequenceNumber: bigint;
  timestampMs: number;
  manifestList: string;
  summary: SnapshotSummary;
  schemaId: number;
}

export interface SnapshotLogEntry {
  timestampMs: number;
  snapshotId: bigint;
}

export interface MetadataLogEntry {
  timestampMs: number;
  metadataFile: string;
}

/** Table metadata (format-version 2). Serialized by `table-metadata-json.ts`. */
export interface TableMetadata {
  formatVersion: 2;
  tableUuid: string;
  location: string;
  lastSequenceNumber: bigint;
  lastUpdatedMs: number;
  lastColumnId: number;
  schemas: IcebergSchema[];
  currentSchemaId: number;
  partitionSpecs: PartitionSpec[];
  defaultSpecId: number;
  lastPartitionId: number;
  properties: Record<string, string>;
  /** undefined = no snapshot yet (serialized as -1). */
  currentSnapshotId?: bigint;
  snapshots: Snapshot[];
  snapshotLog: SnapshotLogEntry[];
  metadataLog: MetadataLogEntry[];
}

/** A typed value for a partition field or a column bound. */
export type IcebergValue =
  | { type: 'int'; value: number }
  | { type: 'long'; value: bigint }
  | { type: 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'date'; value: number }
  | { type: 'timestamptz'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'decimal'; unscaled: bigint; precision: number; scale: number };

/** content: 0 = data (the only kind invoice-lake writes). */
export interface DataFile {
  content: 0 | 1 | 2;
  filePath: string;
  fileFormat: 'PARQUET';
  /** Partition tuple in spec field order; null = null partition value. */
  partition: Array<number | null>;
  /** The tuple as decoded, any value type; only with `decodeManifest(..., { keepPartitionValues: true })`. */
  partitionValues?: unknown[];
  recordCount: bigint;
  fileSizeInBytes: bigint;
  columnSizes?: Map<number, bigint>;
  valueCounts?: Map<number, bigint>;
  nullValueCounts?: Map<number, bigint>;
  nanValueCounts?: Map<number, bigint>;
  lowerBounds?: Map<number, Uint8Array>;
  upperBounds?: Map<number, Uint8Array>;
  splitOffsets?: bigint[];
  /** Field ids compared by an equality delete file; required iff content = 2 (spec "Data File Fields", 135). */
  equalityIds?: number[];
  sortOrderId?: number;
  /** Data file that all position deletes of this delete file target (spec field 143, optional in v2). */
  referencedDataFile?: string;
}

export const ManifestEntryStatus = { Existing: 0, Added: 1, Deleted: 2 } as const;
export type ManifestEntryStatus = (typeof ManifestEntryStatus)[keyof typeof ManifestEntryStatus];

export interface ManifestEntry {
  status: ManifestEntryStatus;
  /** null = inherit from the manifest list entry (only for ADDED). */
  snapshotId: bigint | null;
  sequenceNumber: bigint | null;
  fileSequenceNumber: bigint | null;
  dataFile: DataFile;
}

export interface PartitionFieldSummary {
  containsNull: boolean;
  containsNan?: boolean;
  lowerBound?: Uint8Array;
  upperBound?: Uint8Array;
}

/** One row of a manifest list (Avro record `manifest_file`). */
export interface ManifestFile {
  manifestPath: string;
  manifestLength: bigint;
  partitionSpecId: number;
  content: 0 | 1;
  sequenceNumber: bigint;
  minSequenceNumber: bigint;
  addedSnapshotId: bigint;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: bigint;
  existingRowsCount: bigint;
  deletedRowsCount: bigint;
  partitions: PartitionFieldSummary[];
}
