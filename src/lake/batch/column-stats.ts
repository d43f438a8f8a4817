import type { IcebergValue } from '../iceberg/spec-types.ts';
import { encodeSingleValue } from '../iceberg/single-value.ts';
import type { ColumnKind } from '../tables/table-definition.ts';
import type { ColumnBatch } from './column-batch.ts';

/** Strings longer than this get no bounds: exact bounds are valid but would bloat manifests. */
const MAX_STRING_BOUND_LENGTH = 64;

export interface ColumnStats {
  valueCounts: Map<number, bigint>;
  nullValueCounts: Map<number, bigint>;
  nanValueCounts: Map<number, bigint>;
  lowerBounds: Map<number, Uint8Array>;
  upperBounds: Map<number, Uint8Array>;
}

/**
 * Exact per-column metrics of the rows going into one data file, in the
 * Iceberg single-value encoding. Readers prune files on these bounds, so they
 * must never be narrower than the data (a wrong bound silently hides rows).
 */
export function columnStats(buffer: ColumnBatch, rows: Int32Array): ColumnStats {
  const stats: ColumnStats = {
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
  };
  buffer.table.columns.forEach((column, i) => {
    const values = buffer.columns[i]!;
    let nulls = 0;
    let nans = 0;
    let min: bigint | number | string | undefined;
    let max: bigint | number | string | undefined;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      let value: bigint | number | string | null;
      if (values.kind === 'string') value = values.values[row] ?? null;
      else value = values.nulls[row] ? null : values.values[row]!;
      if (value === null) {
        nulls++;
        continue;
      }
      if (typeof value === 'number' && Number.isNaN(value)) {
        nans++;
        continue;
      }
      if (min === undefined || value < min) min = value;
      if (max === undefined || value > max) max = value;
    }
    stats.valueCounts.set(column.fieldId, BigInt(rows.length));
    stats.nullValueCounts.set(column.fieldId, BigInt(nulls));
    if (column.type.kind === 'double') stats.nanValueCounts.set(column.fieldId, BigInt(nans));
    const bounds = columnBounds(column.type, min, max);
    if (!bounds) return;
    stats.lowerBounds.set(column.fieldId, bounds.lower);
    stats.upperBounds.set(column.fieldId, bounds.upper);
  });
  return stats;
}

/** A column's bounds in the Iceberg single-value encoding, or undefined when none are kept (no values, or long strings). */
export function columnBounds(type: ColumnKind, min: bigint | number | string | undefined, max: bigint | number | string | undefined): { lower: Uint8Array; upper: Uint8Array } | undefined {
  if (min === undefined || max === undefined) return undefined;
  if (typeof min === 'string' && (min.length > MAX_STRING_BOUND_LENGTH || (max as string).length > MAX_STRING_BOUND_LENGTH)) return undefined;
  return { lower: encodeSingleValue(typedValue(type, min)), upper: encodeSingleValue(typedValue(type, max)) };
}

function typedValue(type: ColumnKind, value: bigint | number | string): IcebergValue {
  switch (type.kind) {
    case 'boolean':
      return { type: 'boolean', value: Boolean(value) };
    case 'date':
      return { type: 'date', value: Number(value) };
    case 'long':
      return { type: 'long', value: value as bigint };
    case 'timestamptz':
      return { type: 'timestamptz', value: value as bigint };
    case 'decimal':
      return { type: 'decimal', unscaled: value as bigint, precision: type.precision, scale: type.scale };
    case 'double':
      // -0.0 and +0.0 compare equal; the spec orders -0.0 first, so widen to it.
      return { type: 'double', value: value as number };
    case 'string':
      return { type: 'string', value: value as string };
  }
}
