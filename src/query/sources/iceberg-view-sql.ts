/**
 * The SQL of a foreign Iceberg table's view: the live data files read with
 * `read_parquet` (columns matched by Iceberg field id, or by name for files
 * without ids), minus rows hit by position deletes and equality deletes,
 * each applied only to the data files the sequence-number rules allow.
 */
import { hasFieldIds, type ParquetColumn } from './iceberg-parquet-columns.ts';
import { quoteIdentifier, quoteLiteral } from '../sql-quoting.ts';

export interface ViewColumn {
  id: number;
  name: string;
  /** DuckDB type the column is read as (older files are cast to it). */
  type: string;
}

export interface ParquetToRead {
  /** Local path, as handed to read_parquet. */
  path: string;
  columns: readonly ParquetColumn[];
}

export interface IcebergViewPlan {
  viewName: string;
  columns: readonly ViewColumn[];
  /** `schema.name-mapping.default` (field id → names) for files without field ids; null = match current names. */
  nameMapping: ReadonlyMap<number, readonly string[]> | null;
  dataFiles: ReadonlyArray<ParquetToRead & { uri: string; sequenceNumber: bigint; scope: string }>;
  positionDeletes: ReadonlyArray<{ path: string; sequenceNumber: bigint }>;
  equalityDeletes: ReadonlyArray<ParquetToRead & { sequenceNumber: bigint; scope: string | null; equalityIds: readonly number[] }>;
}

// Internal column names; the double underscore keeps them clear of ordinary table columns.
const FILE = '__iceberg_file';
const URI = '__iceberg_uri';
const POS = '__iceberg_pos';
const SEQ = '__iceberg_seq';
const SCOPE = '__iceberg_scope';


function pathList(paths: readonly string[]): string {
  return `[${paths.map(quoteLiteral).join(', ')}]`;
}

/**
 * SELECTs (joined by UNION ALL) reading `files` as `columns` plus the file
 * name, and the row position when `withPosition`. Hive-style folder names
 * (`date=2022-01-02/`) are not read as columns: partition values come from
 * the files themselves, as in every Iceberg reader.
 */
function readProjected(
  files: readonly ParquetToRead[],
  columns: readonly ViewColumn[],
  nameMapping: IcebergViewPlan['nameMapping'],
  withPosition: boolean,
): string {
  const options = `filename=${quoteLiteral(FILE)}, hive_partitioning=false${withPosition ? ', file_row_number=true' : ''}`;
  const hidden = `${FILE}${withPosition ? `, file_row_number AS ${POS}` : ''}`;
  const selects: string[] = [];

  const withIds = files.filter((file) => hasFieldIds(file.columns));
  if (withIds.length > 0) {
    // DuckDB maps field ids to names and casts to the given type; absent ids read as the NULL default.
    const schema = columns
      .map((c) => `${c.id}: {name: ${quoteLiteral(c.name)}, type: ${quoteLiteral(c.type)}, default_value: NULL}`)
      .join(', ');
    selects.push(
      `SELECT ${columns.map((c) => quoteIdentifier(c.name)).join(', ')}, ${hidden} ` +
        `FROM read_parquet(${pathList(withIds.map((f) => f.path))}, schema=MAP {${schema}}, ${options})`,
    );
  }

  // Files without field ids never get `schema=`: DuckDB 1.5 aborts the whole database on
  // `schema=` plus `file_row_number` over such a file. They are read by name instead,
  // grouped by identical column lists so each read_parquet sees one layout.
  const byLayout = new Map<string, ParquetToRead[]>();
  for (const file of files) {
    if (hasFieldIds(file.columns)) continue;
    const key = JSON.stringify(file.columns.map((c) => c.name));
    byLayout.set(key, [...(byLayout.get(key) ?? []), file]);
  }
  for (const group of byLayout.values()) {
    const present = new Set(group[0]!.columns.map((c) => c.name));
    const projection = columns.map((c) => {
      const names = nameMapping ? (nameMapping.get(c.id) ?? []) : [c.name];
      const source = names.find((name) => present.has(name));
      const value = source === undefined ? 'NULL' : quoteIdentifier(source);
      return `CAST(${value} AS ${c.type}) AS ${quoteIdentifier(c.name)}`;
    });
    selects.push(`SELECT ${projection.join(', ')}, ${hidden} FROM read_parquet(${pathList(group.map((f) => f.path))}, ${options})`);
  }
  return selects.join('\nUNION ALL\n');
}

function valuesTable(name: string, columnNames: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return `${name}(${columnNames.join(', ')}) AS (VALUES ${rows.map((row) => `(${row.join(', ')})`).join(', ')})`;
}

const nullableText = (value: string | null): string => (value === null ? 'CAST(NULL AS VARCHAR)' : quoteLiteral(value));

/** `CREATE OR REPLACE VIEW` for the plan; throws when an equality delete names a column the view cannot read. */
export function icebergViewSql(plan: IcebergViewPlan): string {
  const { columns, nameMapping } = plan;
  const view = quoteIdentifier(plan.viewName);
  if (plan.dataFiles.length === 0) {
    const typed = columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdentifier(c.name)}`).join(', ');
    return `CREATE OR REPLACE VIEW ${view} AS SELECT ${typed} WHERE false`;
  }
  const hasPositionDeletes = plan.positionDeletes.length > 0;
  const hasDeletes = hasPositionDeletes || plan.equalityDeletes.length > 0;
  const data = readProjected(plan.dataFiles, columns, nameMapping, hasPositionDeletes);
  const selectList = columns.map((c) => `d.${quoteIdentifier(c.name)}`).join(', ');
  if (!hasDeletes) return `CREATE OR REPLACE VIEW ${view} AS\nSELECT ${selectList} FROM (\n${data}\n) d`;

  const ctes = [`__iceberg_data AS (\n${data}\n)`];
  ctes.push(
    valuesTable(
      '__iceberg_files',
      [FILE, URI, SEQ, SCOPE],
      plan.dataFiles.map((f) => [quoteLiteral(f.path), quoteLiteral(f.uri), `CAST(${f.sequenceNumber} AS BIGINT)`, quoteLiteral(f.scope)]),
    ),
  );
  const conditions: string[] = [];

  if (hasPositionDeletes) {
    ctes.push(
      valuesTable(
        '__iceberg_position_delete_files',
        [FILE, SEQ],
        plan.positionDeletes.map((d) => [quoteLiteral(d.path), `CAST(${d.sequenceNumber} AS BIGINT)`]),
      ),
      // file_path and pos are the names the spec reserves in every position delete file.
      `__iceberg_position_deletes AS (SELECT p.file_path AS ${URI}, p.pos AS ${POS}, s.${SEQ} ` +
        `FROM read_parquet(${pathList(plan.positionDeletes.map((d) => d.path))}, filename=${quoteLiteral(FILE)}, hive_partitioning=false) p ` +
        `JOIN __iceberg_position_delete_files s USING (${FILE}))`,
    );
    conditions.push(
      `NOT EXISTS (SELECT 1 FROM __iceberg_position_deletes p WHERE p.${URI} = f.${URI} AND p.${POS} = d.${POS} AND f.${SEQ} <= p.${SEQ})`,
    );
  }

  // One delete set per list of equality columns: files sharing it are read together.
  const byIds = new Map<string, Array<IcebergViewPlan['equalityDeletes'][number]>>();
  for (const file of plan.equalityDeletes) {
    const key = file.equalityIds.join(',');
    byIds.set(key, [...(byIds.get(key) ?? []), file]);
  }
  let index = 0;
  for (const files of byIds.values()) {
    const eqColumns = files[0]!.equalityIds.map((id) => {
      const column = columns.find((c) => c.id === id);
      if (!column) throw new Error(`equality delete ${files[0]!.path} compares field id ${id}, which is no readable column of the current schema`);
      return column;
    });
    const name = `__iceberg_equality_deletes_${index}`;
    const filesName = `__iceberg_equality_delete_files_${index}`;
    index++;
    ctes.push(
      valuesTable(
        filesName,
        [FILE, SEQ, SCOPE],
        files.map((f) => [quoteLiteral(f.path), `CAST(${f.sequenceNumber} AS BIGINT)`, nullableText(f.scope)]),
      ),
      `${name} AS (SELECT e.*, s.${SEQ}, s.${SCOPE} FROM (\n${readProjected(files, eqColumns, nameMapping, false)}\n) e JOIN ${filesName} s USING (${FILE}))`,
    );
    // Iceberg compares nulls as equal in equality deletes (a delete row with NULL removes rows with NULL).
    const matches = eqColumns.map((c) => `e.${quoteIdentifier(c.name)} IS NOT DISTINCT FROM d.${quoteIdentifier(c.name)}`).join(' AND ');
    conditions.push(
      `NOT EXISTS (SELECT 1 FROM ${name} e WHERE e.${SEQ} > f.${SEQ} AND (e.${SCOPE} IS NULL OR e.${SCOPE} = f.${SCOPE}) AND ${matches})`,
    );
  }

  return (
    `CREATE OR REPLACE VIEW ${view} AS\nWITH ${ctes.join(',\n')}\n` +
    `SELECT ${selectList} FROM __iceberg_data d JOIN __iceberg_files f USING (${FILE})\nWHERE ${conditions.join('\n  AND ')}`
  );
}
