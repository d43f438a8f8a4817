/**
 * Encodes Iceberg v2 manifests and manifest lists (spec "Manifests",
 * "Manifest Lists") as deflate Avro container files, with the Avro file
 * metadata the spec and Java's V2 writers put in the header.
 */
import { encodeAvroFile } from './avro-container.ts';
import { MANIFEST_FILE_AVRO_SCHEMA, manifestEntryAvroSchema, sanitizeAvroName } from './manifest-avro-schema.ts';
import { encodeSingleValue } from './single-value.ts';
import type {
  DataFile,
  IcebergSchema,
  ManifestEntry,
  ManifestFile,
  PartitionFieldSummary,
  PartitionSpec,
} from './spec-types.ts';

/** avsc's `bytes` type only accepts Buffers; wrap without copying. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `Map<int, V>` → the `k<key>_v<value>` record array of an int-keyed Avro map (or null when absent). */
function mapToAvro<V, A>(map: Map<number, V> | undefined, convert: (v: V) => A): Array<{ key: number; value: A }> | null {
  if (!map) return null;
  return [...map].map(([key, value]) => ({ key, value: convert(value) }));
}

const same = <T>(v: T): T => v;

function dataFileRecord(file: DataFile, partitionNames: string[]): object {
  if (file.partition.length !== partitionNames.length) {
    throw new Error(`${file.filePath}: partition tuple has ${file.partition.length} values, spec has ${partitionNames.length} fields`);
  }
  const partition: Record<string, number | null> = {};
  partitionNames.forEach((name, i) => (partition[name] = file.partition[i] ?? null));
  return {
    content: file.content,
    file_path: file.filePath,
    file_format: file.fileFormat,
    partition,
    record_count: file.recordCount,
    file_size_in_bytes: file.fileSizeInBytes,
    column_sizes: mapToAvro(file.columnSizes, same),
    value_counts: mapToAvro(file.valueCounts, same),
    null_value_counts: mapToAvro(file.nullValueCounts, same),
    nan_value_counts: mapToAvro(file.nanValueCounts, same),
    lower_bounds: mapToAvro(file.lowerBounds, toBuffer),
    upper_bounds: mapToAvro(file.upperBounds, toBuffer),
    key_metadata: null,
    split_offsets: file.splitOffsets ?? null,
    equality_ids: file.equalityIds ?? null,
    sort_order_id: file.sortOrderId ?? null,
    referenced_data_file: file.referencedDataFile ?? null,
  };
}

function entryRecord(entry: ManifestEntry, partitionNames: string[]): object {
  // Spec "Sequence Number Inheritance": only ADDED entries may leave sequence
  // numbers null; a rewritten EXISTING/DELETED entry must keep its original ones.
  if (entry.status !== 1 && (entry.sequenceNumber === null || entry.fileSequenceNumber === null)) {
    throw new Error(`${entry.dataFile.filePath}: status ${entry.status} entries need explicit sequence numbers`);
  }
  return {
    status: entry.status,
    snapshot_id: entry.snapshotId,
    sequence_number: entry.sequenceNumber,
    file_sequence_number: entry.fileSequenceNumber,
    data_file: dataFileRecord(entry.dataFile, partitionNames),
  };
}

/** A manifest holds data files or delete files, never both (spec "Manifests"). */
function manifestContent(entries: ManifestEntry[]): 'data' | 'deletes' {
  const deletes = entries.filter((e) => e.dataFile.content !== 0).length;
  if (deletes > 0 && deletes < entries.length) throw new Error('a manifest cannot mix data and delete files');
  return deletes > 0 ? 'deletes' : 'data';
}

/**
 * Encode a v2 manifest. Header metadata per spec "Manifests": `schema`,
 * `schema-id`, `partition-spec` (the fields array only), `partition-spec-id`,
 * `format-version` "2" and `content` ("data" or "deletes", from the entries).
 */
export async function encodeManifest(input: {
  schema: IcebergSchema;
  spec: PartitionSpec;
  entries: ManifestEntry[];
}): Promise<Buffer> {
  const { schema, spec, entries } = input;
  const avroSchema = manifestEntryAvroSchema(spec, schema);
  // The r102 field names are the sanitized partition names, in spec order.
  const partitionNames = spec.fields.map((f) => sanitizeAvroName(f.name));
  const specFields = spec.fields.map((f) => ({
    name: f.name,
    transform: f.transform,
    'source-id': f['source-id'],
    'field-id': f['field-id'],
  }));
  const metadata = {
    schema: JSON.stringify(schema),
    'schema-id': String(schema['schema-id']),
    'partition-spec': JSON.stringify(specFields),
    'partition-spec-id': String(spec['spec-id']),
    'format-version': '2',
    content: manifestContent(entries),
  };
  return encodeAvroFile(avroSchema, entries.map((e) => entryRecord(e, partitionNames)), metadata);
}

function manifestFileRecord(m: ManifestFile): object {
  return {
    manifest_path: m.manifestPath,
    manifest_length: m.manifestLength,
    partition_spec_id: m.partitionSpecId,
    content: m.content,
    sequence_number: m.sequenceNumber,
    min_sequence_number: m.minSequenceNumber,
    added_snapshot_id: m.addedSnapshotId,
    added_files_count: m.addedFilesCount,
    existing_files_count: m.existingFilesCount,
    deleted_files_count: m.deletedFilesCount,
    added_rows_count: m.addedRowsCount,
    existing_rows_count: m.existingRowsCount,
    deleted_rows_count: m.deletedRowsCount,
    partitions: m.partitions.map((p) => ({
      contains_null: p.containsNull,
      contains_nan: p.containsNan ?? null,
      lower_bound: p.lowerBound ? toBuffer(p.lowerBound) : null,
      upper_bound: p.upperBound ? toBuffer(p.upperBound) : null,
    })),
    key_metadata: null,
  };
}

/**
 * Encode a v2 manifest list. Header metadata as Java's V2 writer:
 * `snapshot-id`, `parent-snapshot-id` (the string "null" for the first
 * snapshot), `sequence-number`, `format-version` "2".
 */
export async function encodeManifestList(input: {
  snapshotId: bigint;
  parentSnapshotId?: bigint | undefined;
  sequenceNumber: bigint;
  manifests: ManifestFile[];
}): Promise<Buffer> {
  const metadata = {
    'snapshot-id': input.snapshotId.toString(),
    'parent-snapshot-id': input.parentSnapshotId === undefined ? 'null' : input.parentSnapshotId.toString(),
    'sequence-number': input.sequenceNumber.toString(),
    'format-version': '2',
  };
  return encodeAvroFile(MANIFEST_FILE_AVRO_SCHEMA, input.manifests.map(manifestFileRecord), metadata);
}

/**
 * Per partition field (spec order): whether any entry has a null value and the
 * min/max value, serialized per Appendix D with the transform's result type.
 * Every supported result type (int for month/year/hour/bucket, date for day
 * and identity(date)) is a 4-byte little-endian int, so the spec is enough.
 * All entries count, deleted ones included, as Java's `PartitionSummary` does.
 */
export function summarizePartitions(spec: PartitionSpec, entries: ManifestEntry[]): PartitionFieldSummary[] {
  return spec.fields.map((pf, i) => {
    let containsNull = false;
    let lower: number | undefined;
    let upper: number | undefined;
    for (const entry of entries) {
      const value = entry.dataFile.partition[i];
      if (value === undefined) throw new Error(`${entry.dataFile.filePath}: no value for partition field ${pf.name}`);
      if (value === null) {
        containsNull = true;
        continue;
      }
      if (lower === undefined || value < lower) lower = value;
      if (upper === undefined || value > upper) upper = value;
    }
    const summary: PartitionFieldSummary = { containsNull, containsNan: false };
    if (lower !== undefined && upper !== undefined) {
      summary.lowerBound = encodeSingleValue({ type: 'int', value: lower });
      summary.upperBound = encodeSingleValue({ type: 'int', value: upper });
    }
    return summary;
  });
}
