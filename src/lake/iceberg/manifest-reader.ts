/**
 * Decodes manifest lists and manifests written by any Iceberg writer (ours,
 * Spark, Java, Trino/Athena, PyIceberg) into the spec types. Columns are read
 * by their v2 names; where writers disagree on a name (the manifest-list file
 * counts, ICEBERG_NOTES §0.6) both are accepted.
 */
import { decodeAvroFile } from './avro-container.ts';
import type {
  DataFile,
  ManifestEntry,
  ManifestEntryStatus,
  ManifestFile,
  PartitionFieldSummary,
} from './spec-types.ts';

/** A decoded Avro record: field name → value (shape known only from the writer's schema). */
type AvroRecord = Record<string, unknown>;

function fail(what: string, value: unknown): never {
  throw new Error(`unexpected manifest value for ${what}: ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)}`);
}

function long(r: AvroRecord, name: string): bigint {
  const v = r[name];
  return typeof v === 'bigint' ? v : fail(name, v);
}

function optLong(r: AvroRecord, name: string): bigint | null {
  const v = r[name];
  return v === null || v === undefined ? null : typeof v === 'bigint' ? v : fail(name, v);
}

function int(r: AvroRecord, name: string, fallbackName?: string): number {
  const v = r[name] ?? (fallbackName === undefined ? undefined : r[fallbackName]);
  return typeof v === 'number' && Number.isInteger(v) ? v : fail(name, v);
}

/** Counts that v1 manifest lists may omit (spec Appendix E); they are informational, so absent reads as 0. */
function count(r: AvroRecord, name: string, fallbackName: string): number {
  const v = r[name] ?? r[fallbackName];
  return v === null || v === undefined ? 0 : int(r, name, fallbackName);
}

function str(r: AvroRecord, name: string): string {
  const v = r[name];
  return typeof v === 'string' ? v : fail(name, v);
}

/** Copy out of avsc's Buffer into a plain Uint8Array, so callers never alias the file bytes. */
function bytes(v: unknown, what: string): Uint8Array {
  return v instanceof Uint8Array ? new Uint8Array(v) : fail(what, v);
}

function avroMap<V>(r: AvroRecord, name: string, convert: (v: unknown) => V): Map<number, V> | undefined {
  const v = r[name];
  if (v === null || v === undefined) return undefined;
  if (!Array.isArray(v)) fail(name, v);
  return new Map((v as AvroRecord[]).map((kv) => [int(kv, 'key'), convert(kv.value)]));
}

const asLong = (v: unknown): bigint => (typeof v === 'bigint' ? v : fail('map value', v));

/** Decode a manifest list (spec "Manifest Lists") into its `manifest_file` rows. */
export async function decodeManifestList(data: Uint8Array): Promise<ManifestFile[]> {
  const { records } = await decodeAvroFile(data);
  return (records as AvroRecord[]).map((r) => {
    const content = (r.content ?? 0) as number; // v1 lists have no content: data (Appendix E)
    if (content !== 0 && content !== 1) fail('content', content);
    const partitions = (r.partitions ?? []) as AvroRecord[];
    return {
      manifestPath: str(r, 'manifest_path'),
      manifestLength: long(r, 'manifest_length'),
      partitionSpecId: int(r, 'partition_spec_id'),
      content,
      // v1 lists carry no sequence numbers; Appendix E says read them as 0.
      sequenceNumber: optLong(r, 'sequence_number') ?? 0n,
      minSequenceNumber: optLong(r, 'min_sequence_number') ?? 0n,
      addedSnapshotId: long(r, 'added_snapshot_id'),
      // Spec/Java/PyIceberg say added_files_count; Spark and Trino wrote added_data_files_count (same id 504).
      addedFilesCount: count(r, 'added_files_count', 'added_data_files_count'),
      existingFilesCount: count(r, 'existing_files_count', 'existing_data_files_count'),
      deletedFilesCount: count(r, 'deleted_files_count', 'deleted_data_files_count'),
      addedRowsCount: optLong(r, 'added_rows_count') ?? 0n,
      existingRowsCount: optLong(r, 'existing_rows_count') ?? 0n,
      deletedRowsCount: optLong(r, 'deleted_rows_count') ?? 0n,
      partitions: partitions.map((p): PartitionFieldSummary => {
        const summary: PartitionFieldSummary = { containsNull: p.contains_null === true };
        if (typeof p.contains_nan === 'boolean') summary.containsNan = p.contains_nan;
        if (p.lower_bound != null) summary.lowerBound = bytes(p.lower_bound, 'lower_bound');
        if (p.upper_bound != null) summary.upperBound = bytes(p.upper_bound, 'upper_bound');
        return summary;
      }),
    };
  });
}

/** Partition field names in record order, from the writer's schema in the file header. */
function partitionFieldNames(avroSchemaJson: string | undefined): string[] {
  type Rec = { name: string; type: unknown; fields?: Rec[] };
  const root = JSON.parse(avroSchemaJson ?? '{}') as { fields?: Rec[] };
  const dataFile = root.fields?.find((f) => f.name === 'data_file')?.type as { fields?: Rec[] } | undefined;
  const partition = dataFile?.fields?.find((f) => f.name === 'partition')?.type as { fields?: Rec[] } | undefined;
  if (!partition?.fields) throw new Error('manifest schema has no data_file.partition record');
  return partition.fields.map((f) => f.name);
}

/** How `decodeManifest` treats partition values that are not ints (strings, longs, decimals of foreign tables). */
export interface ManifestDecodeOptions {
  /**
   * Keep every partition tuple as decoded in `DataFile.partitionValues` and
   * read non-int values as null in `partition`, instead of failing. For
   * readers that only compare tuples (delete-file scoping), never for pruning.
   */
  keepPartitionValues?: boolean;
}

function dataFile(r: AvroRecord, partitionNames: string[], options: ManifestDecodeOptions): DataFile {
  const content = (r.content ?? 0) as number; // v1 manifests hold data files only
  if (content !== 0 && content !== 1 && content !== 2) fail('content', content);
  const format = str(r, 'file_format').toUpperCase(); // Java/PyIceberg read it case-insensitively
  if (format !== 'PARQUET') throw new Error(`${str(r, 'file_path')}: ${format} data files are not supported`);
  const partition = (r.partition ?? {}) as AvroRecord;
  const file: DataFile = {
    content,
    filePath: str(r, 'file_path'),
    fileFormat: 'PARQUET',
    partition: partitionNames.map((name) => {
      const v = partition[name];
      if (v === null || v === undefined) return null;
      if (typeof v === 'number' || options.keepPartitionValues) return typeof v === 'number' ? v : null;
      // DataFile.partition models int-valued results (month, day, bucket, identity on int/date).
      return fail(`partition field ${name} (only int-valued partitions are modelled)`, v);
    }),
    recordCount: long(r, 'record_count'),
    fileSizeInBytes: long(r, 'file_size_in_bytes'),
  };
  if (options.keepPartitionValues) file.partitionValues = partitionNames.map((name) => partition[name] ?? null);
  const columnSizes = avroMap(r, 'column_sizes', asLong);
  if (columnSizes) file.columnSizes = columnSizes;
  const valueCounts = avroMap(r, 'value_counts', asLong);
  if (valueCounts) file.valueCounts = valueCounts;
  const nullValueCounts = avroMap(r, 'null_value_counts', asLong);
  if (nullValueCounts) file.nullValueCounts = nullValueCounts;
  const nanValueCounts = avroMap(r, 'nan_value_counts', asLong);
  if (nanValueCounts) file.nanValueCounts = nanValueCounts;
  const lowerBounds = avroMap(r, 'lower_bounds', (v) => bytes(v, 'lower_bounds'));
  if (lowerBounds) file.lowerBounds = lowerBounds;
  const upperBounds = avroMap(r, 'upper_bounds', (v) => bytes(v, 'upper_bounds'));
  if (upperBounds) file.upperBounds = upperBounds;
  if (Array.isArray(r.split_offsets)) file.splitOffsets = r.split_offsets.map(asLong);
  if (Array.isArray(r.equality_ids)) file.equalityIds = r.equality_ids.map((v) => (typeof v === 'number' ? v : fail('equality_ids', v)));
  if (typeof r.sort_order_id === 'number') file.sortOrderId = r.sort_order_id;
  if (typeof r.referenced_data_file === 'string') file.referencedDataFile = r.referenced_data_file;
  return file;
}

/**
 * Decode a manifest (spec "Manifests") into its entries. Null snapshot ids
 * and sequence numbers are returned as written, unless `inheritFrom` (the
 * manifest's row in the manifest list) is given: then they are resolved per
 * spec "Sequence Number Inheritance" (snapshot id always; sequence numbers
 * only for ADDED entries).
 */
export async function decodeManifest(
  data: Uint8Array,
  inheritFrom?: Pick<ManifestFile, 'addedSnapshotId' | 'sequenceNumber'>,
  options: ManifestDecodeOptions = {},
): Promise<ManifestEntry[]> {
  const { metadata, records } = await decodeAvroFile(data);
  const partitionNames = partitionFieldNames(metadata['avro.schema']);
  return (records as AvroRecord[]).map((r) => {
    const status = int(r, 'status');
    if (status !== 0 && status !== 1 && status !== 2) fail('status', status);
    let snapshotId = optLong(r, 'snapshot_id');
    let sequenceNumber = optLong(r, 'sequence_number');
    let fileSequenceNumber = optLong(r, 'file_sequence_number');
    if (inheritFrom) {
      snapshotId ??= inheritFrom.addedSnapshotId;
      if (status === 1) {
        sequenceNumber ??= inheritFrom.sequenceNumber;
        fileSequenceNumber ??= inheritFrom.sequenceNumber;
      }
    }
    const file = r.data_file;
    if (typeof file !== 'object' || file === null) fail('data_file', file);
    return {
      status: status as ManifestEntryStatus,
      snapshotId,
      sequenceNumber,
      fileSequenceNumber,
      dataFile: dataFile(file as AvroRecord, partitionNames, options),
    };
  });
}
