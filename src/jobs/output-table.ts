import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import type { ColumnKind, TableDefinition } from '../lake/tables/table-definition.ts';

/** A result column as DuckDB describes it. */
export interface ResultColumn {
  name: string;
  type: DuckDBType;
}

/** Why a result column cannot be stored, and the cast that fixes it. */
export class UnsupportedColumn extends Error {}

/**
 * The lake table a job's result goes to, from the result's column types.
 * Field ids follow column order. Only types the lake writer stores exactly
 * are accepted; anything else is refused with the cast that fixes it,
 * rather than silently converted.
 */
export function outputTableDefinition(name: string, columns: readonly ResultColumn[], partitionColumn: string | undefined): TableDefinition {
  const seen = new Set<string>();
  const definition: TableDefinition = {
    name,
    columns: columns.map((column, i) => {
      if (seen.has(column.name)) throw new UnsupportedColumn(`the result has two columns named "${column.name}"; give them distinct aliases`);
      seen.add(column.name);
      return { fieldId: i + 1, name: column.name, type: columnKindOf(column), doc: '' };
    }),
  };
  if (partitionColumn !== undefined) {
    const column = definition.columns.find((candidate) => candidate.name === partitionColumn);
    if (!column) throw new UnsupportedColumn(`partition column "${partitionColumn}" is not in the result (columns: ${[...seen].join(', ')})`);
    if (column.type.kind !== 'timestamptz') throw new UnsupportedColumn(`partition column "${partitionColumn}" must be TIMESTAMPTZ for month(); cast it`);
    definition.monthPartitionColumn = partitionColumn;
  }
  return definition;
}

function columnKindOf(column: ResultColumn): ColumnKind {
  const type = column.type;
  const refuse = (cast: string): never => {
    throw new UnsupportedColumn(`column "${column.name}" has type ${type.toString()}, which the lake does not store; cast it to ${cast}`);
  };
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UTINYINT:
      return { kind: 'long' };
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.FLOAT:
      return { kind: 'double' };
    case DuckDBTypeId.VARCHAR:
      return { kind: 'string' };
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { kind: 'timestamptz' };
    case DuckDBTypeId.BOOLEAN:
      return { kind: 'boolean' };
    case DuckDBTypeId.DATE:
      return { kind: 'date' };
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as DuckDBType & { width: number; scale: number };
      // Unscaled values are held as 64-bit integers.
      if (width > 18) return refuse(`DECIMAL(18, ${scale})`);
      return { kind: 'decimal', precision: width, scale };
    }
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
      return refuse('BIGINT (sum() of BIGINT is HUGEINT)');
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return refuse('TIMESTAMPTZ');
    default:
      return refuse('VARCHAR');
  }
}
