import type { IcebergPrimitive, IcebergSchema, PartitionSpec } from '../iceberg/spec-types.ts';

/** How a column is held in memory while a batch builds, and typed in Iceberg and Arrow. */
export type ColumnKind =
  | { kind: 'long' }
  | { kind: 'timestamptz' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'double' }
  | { kind: 'string' }
  // Job outputs only (written by DuckDB): the stream's own tables have no such columns.
  | { kind: 'boolean' }
  | { kind: 'date' };

export interface ColumnDefinition {
  fieldId: number;
  name: string;
  type: ColumnKind;
  doc: string;
}

/**
 * A lake table's shape: columns (with their stable Iceberg field ids) and the
 * partition spec. The only partition transform used is `month` of a
 * timestamptz column, computed in UTC as the spec requires.
 */
export interface TableDefinition {
  name: string;
  columns: ColumnDefinition[];
  /** Column partitioned by month, or undefined for an unpartitioned table. */
  monthPartitionColumn?: string;
}

/** A row in column order: bigint for long/timestamptz/decimal (unscaled), number for double. */
export type RowValues = Array<bigint | number | string | null>;

export function icebergTypeOf(type: ColumnKind): IcebergPrimitive {
  switch (type.kind) {
    case 'decimal':
      return `decimal(${type.precision}, ${type.scale})`;
    default:
      return type.kind;
  }
}

export function icebergSchemaOf(table: TableDefinition): IcebergSchema {
  return {
    type: 'struct',
    'schema-id': 0,
    fields: table.columns.map((column) => ({
      id: column.fieldId,
      name: column.name,
      // Parquet writers emit OPTIONAL columns; a required Iceberg field over an
      // optional Parquet column is rejected by strict readers (ICEBERG_NOTES §0.3).
      required: false,
      type: icebergTypeOf(column.type),
      doc: column.doc,
    })),
  };
}

/** Partition field ids start at 1000 (PartitionSpec.PARTITION_DATA_ID_START). */
export function partitionSpecOf(table: TableDefinition): PartitionSpec {
  if (!table.monthPartitionColumn) return { 'spec-id': 0, fields: [] };
  const source = columnNamed(table, table.monthPartitionColumn);
  return {
    'spec-id': 0,
    fields: [{ 'source-id': source.fieldId, 'field-id': 1000, name: `${source.name}_month`, transform: 'month' }],
  };
}

export function columnNamed(table: TableDefinition, name: string): ColumnDefinition {
  const column = table.columns.find((candidate) => candidate.name === name);
  if (!column) throw new Error(`table ${table.name} has no column ${name}`);
  return column;
}

export function columnIndex(table: TableDefinition, name: string): number {
  const index = table.columns.findIndex((candidate) => candidate.name === name);
  if (index < 0) throw new Error(`table ${table.name} has no column ${name}`);
  return index;
}
