/**
 * The top-level columns of Parquet files and their Iceberg field ids, from
 * DuckDB's `parquet_schema` (footers only). Decides per file whether columns
 * are matched by field id or, for writers that store none, by name.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteLiteral } from '../sql-quoting.ts';

export interface ParquetColumn {
  name: string;
  fieldId: number | null;
}

/** One row of `parquet_schema`, in the file's schema order (depth first, root first). */
export interface ParquetSchemaRow {
  name: string;
  fieldId: number | null;
  numChildren: number;
}

/** The root's direct children, skipping the subtrees of nested columns. */
export function topLevelColumns(rows: readonly ParquetSchemaRow[]): ParquetColumn[] {
  const columns: ParquetColumn[] = [];
  const root = rows[0];
  if (!root) return columns;
  let next = 1;
  const skipSubtree = (index: number): number => {
    let end = index + 1;
    for (let child = 0; child < (rows[index]?.numChildren ?? 0); child++) end = skipSubtree(end);
    return end;
  };
  for (let child = 0; child < root.numChildren && next < rows.length; child++) {
    const row = rows[next]!;
    columns.push({ name: row.name, fieldId: row.fieldId });
    next = skipSubtree(next);
  }
  return columns;
}

/** True when the file's columns carry field ids (Spark, Java, Flink, PyIceberg); Athena-era writers may not. */
export function hasFieldIds(columns: readonly ParquetColumn[]): boolean {
  return columns.some((column) => column.fieldId !== null);
}

/** Top-level columns of each file, keyed by the path as given. */
export async function readParquetColumns(connection: DuckDBConnection, paths: readonly string[]): Promise<Map<string, ParquetColumn[]>> {
  const byFile = new Map<string, ParquetSchemaRow[]>(paths.map((path) => [path, []]));
  if (paths.length === 0) return new Map();
  const list = paths.map(quoteLiteral).join(', ');
  const reader = await connection.runAndReadAll(`SELECT file_name, name, field_id, num_children FROM parquet_schema([${list}])`);
  for (const [fileName, name, fieldId, numChildren] of reader.getRows()) {
    byFile.get(String(fileName))?.push({
      name: String(name),
      fieldId: fieldId === null ? null : Number(fieldId),
      numChildren: numChildren === null ? 0 : Number(numChildren),
    });
  }
  return new Map([...byFile].map(([path, rows]) => [path, topLevelColumns(rows)]));
}
