/**
 * Plain JSON Avro schemas of Iceberg v2 manifest lists (`manifest_file`) and
 * manifests (`manifest_entry`), with the field ids of spec "Manifests" and
 * "Manifest Lists". They are kept as plain objects because avro-container.ts
 * writes them verbatim into the file header, where readers (PyIceberg, DuckDB,
 * Java) resolve columns by `field-id` (ICEBERG_NOTES §0.1, §3).
 */
import type { IcebergPrimitive, IcebergSchema, PartitionSpec } from './spec-types.ts';
import { parseDecimalType } from './single-value.ts';
import { transformResultType } from './transforms.ts';

type AvroType = string | object | Array<string | object>;

/** A field; every record field carries its Iceberg id (Avro encoding, spec Appendix A). */
function field(id: number, name: string, type: AvroType): object {
  return { name, type, 'field-id': id };
}

/** An optional field: `["null", T]`, null first with a null default (PyIceberg requires that order). */
function optional(id: number, name: string, type: AvroType): object {
  return { name, type: ['null', type], default: null, 'field-id': id };
}

/** Int-keyed map as an array of `k<key>_v<value>` records (Java `AvroSchemaUtil.createMap`). */
function intMap(keyId: number, valueId: number, valueType: string): object {
  return {
    type: 'array',
    logicalType: 'map',
    items: {
      type: 'record',
      name: `k${keyId}_v${valueId}`,
      fields: [field(keyId, 'key', 'int'), field(valueId, 'value', valueType)],
    },
  };
}

function list(elementId: number, items: string): object {
  return { type: 'array', items, 'element-id': elementId };
}

/** Manifest list record (spec "Manifest Lists", v2 column names). */
export const MANIFEST_FILE_AVRO_SCHEMA: object = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    field(500, 'manifest_path', 'string'),
    field(501, 'manifest_length', 'long'),
    field(502, 'partition_spec_id', 'int'),
    field(517, 'content', 'int'),
    field(515, 'sequence_number', 'long'),
    field(516, 'min_sequence_number', 'long'),
    field(503, 'added_snapshot_id', 'long'),
    field(504, 'added_files_count', 'int'),
    field(505, 'existing_files_count', 'int'),
    field(506, 'deleted_files_count', 'int'),
    field(512, 'added_rows_count', 'long'),
    field(513, 'existing_rows_count', 'long'),
    field(514, 'deleted_rows_count', 'long'),
    optional(507, 'partitions', {
      type: 'array',
      'element-id': 508,
      items: {
        type: 'record',
        name: 'r508',
        fields: [
          field(509, 'contains_null', 'boolean'),
          optional(518, 'contains_nan', 'boolean'),
          optional(510, 'lower_bound', 'bytes'),
          optional(511, 'upper_bound', 'bytes'),
        ],
      },
    }),
    optional(519, 'key_metadata', 'bytes'),
  ],
};

/** Minimum bytes for a decimal of precision P (Java `TypeUtil.decimalRequiredBytes`). */
function decimalBytes(precision: number): number {
  let bytes = 1;
  while (10n ** BigInt(precision) > 1n << BigInt(8 * bytes - 1)) bytes++;
  return bytes;
}

/** Avro type of an Iceberg primitive (spec Appendix A, "Avro" type mapping). */
export function avroTypeOf(type: IcebergPrimitive): AvroType {
  switch (type) {
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'boolean':
    case 'int':
    case 'long':
    case 'double':
    case 'string':
      return type;
    default: {
      const decimal = parseDecimalType(type);
      if (!decimal) throw new TypeError(`no Avro mapping for Iceberg type ${String(type)}`);
      const { precision, scale } = decimal;
      const size = decimalBytes(precision);
      return { type: 'fixed', name: `decimal_${precision}_${scale}`, size, logicalType: 'decimal', precision, scale };
    }
  }
}

/**
 * Avro-compatible name, sanitized like Java `AvroSchemaUtil.makeCompatibleName`:
 * a leading digit becomes `_<digit>`, other invalid characters `_x<HEX>`.
 */
export function sanitizeAvroName(name: string): string {
  let out = '';
  for (const [i, ch] of [...name].entries()) {
    const valid = i === 0 ? /[A-Za-z_]/.test(ch) : /[A-Za-z0-9_]/.test(ch);
    if (valid) out += ch;
    else if (/[0-9]/.test(ch)) out += `_${ch}`;
    else out += `_x${ch.codePointAt(0)!.toString(16).toUpperCase()}`;
  }
  return out;
}

/**
 * Result types of the spec's partition fields, in spec order. Only int-valued
 * results (int, date) are supported because `DataFile.partition` holds
 * numbers; `void` fields are always null, so any source type is fine there.
 */
export function partitionResultTypes(spec: PartitionSpec, schema: IcebergSchema): IcebergPrimitive[] {
  return spec.fields.map((pf) => {
    const source = schema.fields.find((f) => f.id === pf['source-id']);
    if (!source) throw new Error(`partition field ${pf.name}: source id ${pf['source-id']} is not in the schema`);
    const result = transformResultType(pf.transform, source.type);
    if (result !== 'int' && result !== 'date' && pf.transform !== 'void') {
      throw new TypeError(`partition field ${pf.name}: ${pf.transform} gives ${result}, but partition values are ints`);
    }
    return result;
  });
}

/**
 * The `r102` partition record (spec "Data File Fields", 102): one optional
 * field per partition field, named after it and carrying its field id; an
 * unpartitioned spec gives an empty record.
 */
export function partitionAvroRecord(spec: PartitionSpec, schema: IcebergSchema): object {
  const types = partitionResultTypes(spec, schema);
  return {
    type: 'record',
    name: 'r102',
    fields: spec.fields.map((pf, i) => optional(pf['field-id'], sanitizeAvroName(pf.name), avroTypeOf(types[i]!))),
  };
}

/** Manifest record (spec "Manifests": `manifest_entry` with `data_file` `r2`, Java field order). */
export function manifestEntryAvroSchema(spec: PartitionSpec, schema: IcebergSchema): object {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      field(0, 'status', 'int'),
      optional(1, 'snapshot_id', 'long'),
      optional(3, 'sequence_number', 'long'),
      optional(4, 'file_sequence_number', 'long'),
      field(2, 'data_file', {
        type: 'record',
        name: 'r2',
        fields: [
          field(134, 'content', 'int'),
          field(100, 'file_path', 'string'),
          field(101, 'file_format', 'string'),
          field(102, 'partition', partitionAvroRecord(spec, schema)),
          field(103, 'record_count', 'long'),
          field(104, 'file_size_in_bytes', 'long'),
          optional(108, 'column_sizes', intMap(117, 118, 'long')),
          optional(109, 'value_counts', intMap(119, 120, 'long')),
          optional(110, 'null_value_counts', intMap(121, 122, 'long')),
          optional(137, 'nan_value_counts', intMap(138, 139, 'long')),
          optional(125, 'lower_bounds', intMap(126, 127, 'bytes')),
          optional(128, 'upper_bounds', intMap(129, 130, 'bytes')),
          optional(131, 'key_metadata', 'bytes'),
          optional(132, 'split_offsets', list(133, 'long')),
          optional(135, 'equality_ids', list(136, 'int')),
          optional(140, 'sort_order_id', 'int'),
          optional(143, 'referenced_data_file', 'string'),
        ],
      }),
    ],
  };
}
