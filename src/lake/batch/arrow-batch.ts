import * as arrow from 'apache-arrow';
import type { ColumnDefinition, ColumnKind } from '../tables/table-definition.ts';
import type { ColumnBatch, ColumnValues } from './column-batch.ts';

/**
 * Builds an Apache Arrow table from selected rows of a column buffer. Each
 * field carries `PARQUET:field_id`, which the Parquet writer turns into the
 * Iceberg field id of the column (Iceberg spec, Appendix A: field ids are
 * required in Parquet data files).
 */
export function toArrowTable(buffer: ColumnBatch, rows: Int32Array): arrow.Table {
  const fields: arrow.Field[] = [];
  const children: arrow.Data[] = [];
  buffer.table.columns.forEach((column, i) => {
    const type = arrowTypeOf(column.type);
    fields.push(new arrow.Field(column.name, type, true, new Map([['PARQUET:field_id', String(column.fieldId)]])));
    children.push(columnData(column, type, buffer.columns[i]!, rows));
  });
  const schema = new arrow.Schema(fields);
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length: rows.length, nullCount: 0, children });
  return new arrow.Table([new arrow.RecordBatch(schema, struct)]);
}

export function arrowTypeOf(type: ColumnKind): arrow.DataType {
  switch (type.kind) {
    case 'long':
      return new arrow.Int64();
    case 'timestamptz':
      // Microseconds with a zone: Parquet TIMESTAMP(MICROS, isAdjustedToUTC=true) = Iceberg timestamptz.
      return new arrow.TimestampMicrosecond('UTC');
    case 'decimal':
      return new arrow.Decimal(type.scale, type.precision, 128);
    case 'double':
      return new arrow.Float64();
    case 'string':
      return new arrow.Utf8();
    case 'boolean':
    case 'date':
      // Only job outputs have these, and DuckDB writes those files; the stream's tables are fixed.
      throw new Error(`the stream's batch encoder does not write ${type.kind} columns`);
  }
}

function columnData(column: ColumnDefinition, type: arrow.DataType, values: ColumnValues, rows: Int32Array): arrow.Data {
  if (values.kind === 'string') {
    const selected = Array.from(rows, (row) => values.values[row] ?? null);
    return arrow.vectorFromArray(selected, new arrow.Utf8()).data[0]!;
  }
  const length = rows.length;
  const { bitmap, nullCount } = validityOf(values.nulls, rows);
  if (values.kind === 'float64') {
    const data = new Float64Array(length);
    for (let i = 0; i < length; i++) data[i] = values.values[rows[i]!]!;
    return arrow.makeData({ type: type as arrow.Float64, length, nullCount, nullBitmap: bitmap, data });
  }
  if (column.type.kind === 'decimal') {
    // Decimal128: 16 bytes per value, little-endian two's complement; the unscaled
    // value fits 64 bits (precision <= 18), so the high word is its sign extension.
    const data = new BigInt64Array(length * 2);
    for (let i = 0; i < length; i++) {
      const value = values.values[rows[i]!]!;
      data[2 * i] = value;
      data[2 * i + 1] = value < 0n ? -1n : 0n;
    }
    return arrow.makeData({ type: type as arrow.Decimal, length, nullCount, nullBitmap: bitmap, data: new Uint32Array(data.buffer) });
  }
  const data = new BigInt64Array(length);
  for (let i = 0; i < length; i++) data[i] = values.values[rows[i]!]!;
  return arrow.makeData({ type: type as arrow.Int64, length, nullCount, nullBitmap: bitmap, data });
}

function validityOf(nulls: Uint8Array, rows: Int32Array): { bitmap: Uint8Array | undefined; nullCount: number } {
  let nullCount = 0;
  for (let i = 0; i < rows.length; i++) nullCount += nulls[rows[i]!]!;
  if (nullCount === 0) return { bitmap: undefined, nullCount };
  const bitmap = new Uint8Array(Math.ceil(rows.length / 8));
  for (let i = 0; i < rows.length; i++) {
    if (!nulls[rows[i]!]) bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap, nullCount };
}
