import type { ColumnKind, RowValues, TableDefinition } from '../tables/table-definition.ts';
import { partitionRows, type ColumnBatch, type ColumnValues } from './column-batch.ts';

export type { ColumnValues } from './column-batch.ts';

const INITIAL_CAPACITY = 1024;

/**
 * Rows of one lake table, held column by column until they are written as
 * Parquet. Memory is bounded by the caller, which flushes on `rowCount` and
 * `estimatedBytes`.
 */
export class ColumnBuffer implements ColumnBatch {
  readonly table: TableDefinition;
  columns: ColumnValues[];
  #rowCount = 0;
  #capacity = INITIAL_CAPACITY;
  #estimatedBytes = 0;

  constructor(table: TableDefinition) {
    this.table = table;
    this.columns = table.columns.map((column) => emptyColumn(column.type, INITIAL_CAPACITY));
  }

  get rowCount(): number {
    return this.#rowCount;
  }

  /** Rough in-memory size: 9 bytes per fixed-width cell, UTF-16 size of strings. */
  get estimatedBytes(): number {
    return this.#estimatedBytes;
  }

  append(row: RowValues): void {
    if (this.#rowCount === this.#capacity) this.#grow();
    const at = this.#rowCount++;
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      const value = row[i] ?? null;
      if (column.kind === 'string') {
        column.values.push(value as string | null);
        this.#estimatedBytes += value === null ? 8 : 16 + (value as string).length * 2;
        continue;
      }
      this.#estimatedBytes += 9;
      if (value === null) {
        column.nulls[at] = 1;
      } else if (column.kind === 'int64') {
        column.values[at] = value as bigint;
      } else {
        column.values[at] = value as number;
      }
    }
  }

  /** Row indices grouped by month partition value; see `partitionRows`. */
  partitions(): Map<number | null, Int32Array> {
    return partitionRows(this);
  }

  /**
   * Hands the buffered rows over as a batch and starts empty again. The
   * batch owns its arrays (they may be transferred to another thread); the
   * buffer starts at the size of the batch it gave away, since the next one
   * is usually as large.
   */
  take(): ColumnBatch {
    const batch: ColumnBatch = { table: this.table, columns: this.columns, rowCount: this.#rowCount };
    this.#capacity = Math.max(INITIAL_CAPACITY, this.#rowCount);
    this.columns = this.table.columns.map((column) => emptyColumn(column.type, this.#capacity));
    this.#rowCount = 0;
    this.#estimatedBytes = 0;
    return batch;
  }

  clear(): void {
    this.#rowCount = 0;
    this.#estimatedBytes = 0;
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      if (column.kind === 'string') column.values.length = 0;
      else column.nulls.fill(0);
    }
  }

  #grow(): void {
    this.#capacity *= 2;
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i]!;
      if (column.kind === 'string') continue;
      const nulls = new Uint8Array(this.#capacity);
      nulls.set(column.nulls);
      column.nulls = nulls;
      if (column.kind === 'int64') {
        const values = new BigInt64Array(this.#capacity);
        values.set(column.values);
        column.values = values;
      } else {
        const values = new Float64Array(this.#capacity);
        values.set(column.values);
        column.values = values;
      }
    }
  }
}

function emptyColumn(type: ColumnKind, capacity: number): ColumnValues {
  switch (type.kind) {
    case 'string':
      return { kind: 'string', values: [] };
    case 'double':
      return { kind: 'float64', values: new Float64Array(capacity), nulls: new Uint8Array(capacity) };
    default:
      return { kind: 'int64', values: new BigInt64Array(capacity), nulls: new Uint8Array(capacity) };
  }
}
