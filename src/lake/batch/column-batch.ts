import type { TableDefinition } from '../tables/table-definition.ts';
import { columnIndex } from '../tables/table-definition.ts';
import { monthFromMicros } from '../iceberg/transforms.ts';

/** One column's values while a batch builds: typed arrays, so a row costs no objects. */
export type ColumnValues =
  | { kind: 'int64'; values: BigInt64Array; nulls: Uint8Array }
  | { kind: 'float64'; values: Float64Array; nulls: Uint8Array }
  | { kind: 'string'; values: Array<string | null> };

/**
 * Rows of one lake table, column by column, ready to be encoded. Plain data
 * (typed arrays, string arrays, the table definition), so a batch can be
 * handed to a worker thread by structured clone with its typed arrays
 * transferred rather than copied.
 */
export interface ColumnBatch {
  table: TableDefinition;
  columns: ColumnValues[];
  rowCount: number;
}

/**
 * Row indices grouped by month partition value (months since 1970-01, UTC),
 * key `null` for rows whose partition source is null. One group for an
 * unpartitioned table.
 */
export function partitionRows(batch: ColumnBatch): Map<number | null, Int32Array> {
  const partitionColumn = batch.table.monthPartitionColumn ? batch.columns[columnIndex(batch.table, batch.table.monthPartitionColumn)] : undefined;
  const groups = new Map<number | null, number[]>();
  for (let row = 0; row < batch.rowCount; row++) {
    let key: number | null = 0;
    if (partitionColumn?.kind === 'int64') key = partitionColumn.nulls[row] ? null : monthFromMicros(partitionColumn.values[row]!);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(row);
  }
  return new Map([...groups].map(([key, rows]) => [key, Int32Array.from(rows)]));
}

/** The typed arrays of a batch, for a transfer list. */
export function transferablesOf(batch: ColumnBatch): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const column of batch.columns) {
    if (column.kind !== 'string') buffers.push(column.values.buffer as ArrayBuffer, column.nulls.buffer as ArrayBuffer);
  }
  return buffers;
}
