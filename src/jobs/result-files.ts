import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import type { DataFile } from '../lake/iceberg/spec-types.ts';
import type { LakeTable } from '../lake/lake-table.ts';
import type { ColumnDefinition, ColumnKind } from '../lake/tables/table-definition.ts';
import { columnBounds, type ColumnStats } from '../lake/batch/column-stats.ts';
import { partitionDirectory } from '../lake/batch/data-file-writer.ts';
import type { LakeQuery } from '../query/lake-query.ts';
import { quoteIdentifier as identifier, quoteLiteral as literal } from '../query/sql-quoting.ts';

/** DuckDB's directory name for a NULL partition value. */
const NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';
const MONTH_KEY = '__iceberg_month';

/**
 * Writes a job's result as the output table's data files with DuckDB's own
 * Parquet writer: the rows never pass through JavaScript (about 20 times
 * faster than reading them out and encoding them again). Each column is cast
 * to the exact type of its Iceberg column and carries its field id; a
 * partitioned output gets one file per UTC month. The metrics of each file
 * (counts, NaNs, bounds) are computed by DuckDB from the file as written, so
 * they describe exactly its contents. Files are not part of the table until
 * committed.
 *
 * DuckDB writes into `scratch`, an empty directory the caller owns (and
 * removes) and the only one the session may write.
 */
export async function writeResultFiles(session: LakeQuery, sql: string, output: LakeTable, scratch: string): Promise<{ files: DataFile[]; rowCount: number }> {
  const definition = output.definition;
  const partitionColumn = definition.columns.find((column) => column.name === definition.monthPartitionColumn);
  const columns = definition.columns.map((column) => `CAST(${identifier(column.name)} AS ${duckdbType(column.type)}) AS ${identifier(column.name)}`);
  // The Iceberg month transform: months since 1970-01 in UTC. Computed on the naive UTC timestamp, because
  // calendar arithmetic on TIMESTAMPTZ goes through ICU (datediff took 25 s per million rows, this 1 s).
  if (partitionColumn) {
    const utc = `make_timestamp(epoch_us(${identifier(partitionColumn.name)}))`;
    columns.push(`(year(${utc}) - 1970) * 12 + month(${utc}) - 1 AS ${MONTH_KEY}`);
  }
  const fieldIds = definition.columns.map((column) => `${literal(column.name)}: ${column.fieldId}`).join(', ');
  // A directory below `scratch`: DuckDB allows what is inside an allowed directory, not the directory itself.
  const target = join(scratch, partitionColumn ? 'partitions' : 'result.parquet');
  const options = [`FORMAT parquet`, `COMPRESSION zstd`, `FIELD_IDS {${fieldIds}}`, ...(partitionColumn ? [`PARTITION_BY (${MONTH_KEY})`, 'OVERWRITE_OR_IGNORE true'] : [])];
  await session.copyTo(`SELECT ${columns.join(', ')} FROM (${sql}) AS job_result`, target, options.join(', '));

  const files: DataFile[] = [];
  let rowCount = 0;
  for (const written of await writtenFiles(target, partitionColumn !== undefined)) {
    const metrics = await fileMetrics(session, written.path, definition.columns);
    if (metrics.rowCount === 0) continue;
    const bytes = await readFile(written.path);
    const filePath = await output.writeDataFile(partitionDirectory(definition, written.month), bytes);
    files.push({
      content: 0,
      filePath,
      fileFormat: 'PARQUET',
      partition: partitionColumn ? [written.month] : [],
      recordCount: BigInt(metrics.rowCount),
      fileSizeInBytes: BigInt(bytes.length),
      ...metrics.stats,
      sortOrderId: 0,
    });
    rowCount += metrics.rowCount;
  }
  return { files, rowCount };
}

/** The files DuckDB wrote, with the month of each (`__iceberg_month=673/data_0.parquet`). */
async function writtenFiles(target: string, partitioned: boolean): Promise<Array<{ path: string; month: number | null }>> {
  if (!partitioned) return [{ path: target, month: null }];
  const directory = target;
  const files: Array<{ path: string; month: number | null }> = [];
  for (const partition of await readdir(directory)) {
    const value = partition.slice(`${MONTH_KEY}=`.length);
    if (!partition.startsWith(`${MONTH_KEY}=`) || !(value === NULL_PARTITION || /^-?\d+$/.test(value))) throw new Error(`unexpected DuckDB output ${partition}`);
    const month = value === NULL_PARTITION ? null : Number(value);
    for (const name of (await readdir(join(directory, partition))).filter((file) => file.endsWith('.parquet')).sort()) {
      files.push({ path: join(directory, partition, name), month });
    }
  }
  return files;
}

/** Iceberg metrics of one written file, read back from it: value, null and NaN counts, lower and upper bounds. */
async function fileMetrics(session: LakeQuery, path: string, columns: readonly ColumnDefinition[]): Promise<{ rowCount: number; stats: ColumnStats }> {
  const selects = ['count(*)'];
  for (const column of columns) {
    const name = identifier(column.name);
    const real = column.type.kind === 'double' ? ` FILTER (WHERE NOT isnan(${name}))` : '';
    selects.push(`count(${name})`, `min(${name})${real}`, `max(${name})${real}`, column.type.kind === 'double' ? `count(*) FILTER (WHERE isnan(${name}))` : '0');
  }
  let row: DuckDBValue[] = [];
  await session.readRows(`SELECT ${selects.join(', ')} FROM read_parquet(${literal(path)})`, (values) => (row = values));
  const rowCount = Number(row[0]);
  const stats: ColumnStats = { valueCounts: new Map(), nullValueCounts: new Map(), nanValueCounts: new Map(), lowerBounds: new Map(), upperBounds: new Map() };
  columns.forEach((column, i) => {
    const [nonNull, min, max, nans] = row.slice(1 + i * 4, 5 + i * 4);
    stats.valueCounts.set(column.fieldId, BigInt(rowCount));
    stats.nullValueCounts.set(column.fieldId, BigInt(rowCount) - BigInt(nonNull as bigint));
    if (column.type.kind === 'double') stats.nanValueCounts.set(column.fieldId, BigInt(nans as bigint | number));
    const bounds = columnBounds(column.type, boundValue(min ?? null, column.type), boundValue(max ?? null, column.type));
    if (bounds) {
      stats.lowerBounds.set(column.fieldId, bounds.lower);
      stats.upperBounds.set(column.fieldId, bounds.upper);
    }
  });
  return { rowCount, stats };
}

/** DuckDB's min()/max() value as the lake holds it: exact, never through a float. */
function boundValue(value: DuckDBValue, kind: ColumnKind): bigint | number | string | undefined {
  if (value === null || value === undefined) return undefined;
  switch (kind.kind) {
    case 'long':
      return BigInt(value as bigint);
    case 'double':
      return Number(value);
    case 'string':
      return String(value);
    case 'timestamptz':
      return (value as { micros: bigint }).micros;
    case 'decimal':
      return (value as { value: bigint }).value;
    case 'boolean':
      return value ? 1 : 0;
    case 'date':
      return (value as { days: number }).days;
  }
}

function duckdbType(kind: ColumnKind): string {
  switch (kind.kind) {
    case 'long':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE';
    case 'string':
      return 'VARCHAR';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'decimal':
      return `DECIMAL(${kind.precision}, ${kind.scale})`;
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
  }
}

