import type { DuckDBConnection } from '@duckdb/node-api';
import type { Lake } from '../lake/open-lake.ts';
import type { DataFile, IcebergPrimitive, IcebergSchema } from '../lake/iceberg/spec-types.ts';
import type { LakeStorage } from '../storage/lake-storage.ts';
import { snapshotFiles } from './snapshot-files.ts';
import { duckdbTypeOfIceberg } from './sources/iceberg-column-types.ts';
import { quoteIdentifier, quoteLiteral } from './sql-quoting.ts';

/** Turns data file URIs into paths DuckDB opens (the storage itself, or DuckDB's httpfs reading the URIs). */
export type DataFilePaths = Pick<LakeStorage, 'queryPaths'>;

export interface LakeView {
  name: string;
  dataFiles: number;
  records: bigint;
}

/**
 * Creates one DuckDB view per lake table, named like the table, over the data
 * files of its current snapshot. An empty table still gets a typed view, so
 * queries written against it work before the first commit.
 */
export async function createLakeViews(connection: DuckDBConnection, lake: Lake, files: DataFilePaths = lake.storage): Promise<LakeView[]> {
  const views: LakeView[] = [];
  for (const table of await lakeTableFiles(lake)) views.push(await createFilesView(connection, files, table));
  return views;
}

/** A lake table's current snapshot: its schema, live data files and table location (where its files live). */
export interface LakeTableFiles {
  name: string;
  schema: IcebergSchema;
  dataFiles: DataFile[];
  location: string;
}

/** Every lake table with the schema and live data files of its current snapshot. */
export async function lakeTableFiles(lake: Lake): Promise<LakeTableFiles[]> {
  const tables: LakeTableFiles[] = [];
  for (const name of await lake.catalog.listTables(lake.namespace)) {
    const metadataLocation = await lake.catalog.currentMetadataLocation({ namespace: lake.namespace, name });
    if (!metadataLocation) continue;
    const { metadata, schema, dataFiles } = await snapshotFiles(lake.storage, metadataLocation);
    tables.push({ name, schema, dataFiles: [...dataFiles], location: metadata.location });
  }
  return tables;
}

/**
 * A typed empty view standing in for `view` until a statement reads it (see
 * LakeQuery): on object storage, creating the real view first downloads its
 * data files. The returned counts are those of the real files.
 */
export async function createPlaceholderView(
  connection: DuckDBConnection,
  view: { name: string; schema: IcebergSchema; dataFiles: readonly DataFile[] },
): Promise<LakeView> {
  await connection.run(`CREATE OR REPLACE VIEW ${quoteIdentifier(view.name)} AS ${emptyViewBody(view.schema)}`);
  return { name: view.name, dataFiles: view.dataFiles.length, records: view.dataFiles.reduce((sum, file) => sum + file.recordCount, 0n) };
}

/**
 * Creates (or replaces) the view `name` over exactly `dataFiles`, e.g. the
 * files left after pruning: `SELECT ... FROM invoices WHERE invoice_id = $1`
 * then opens one Parquet file instead of every file of the table. No files
 * gives a typed empty view.
 */
export async function createFilesView(
  connection: DuckDBConnection,
  files: DataFilePaths,
  view: { name: string; schema: IcebergSchema; dataFiles: readonly DataFile[] },
): Promise<LakeView> {
  const { name, schema, dataFiles } = view;
  const columns = schema.fields.map((field) => quoteIdentifier(field.name)).join(', ');
  const paths = await files.queryPaths(dataFiles.map((file) => file.filePath));
  const body = dataFiles.length === 0 ? emptyViewBody(schema) : `SELECT ${columns} FROM read_parquet([${paths.map(quoteLiteral).join(', ')}])`;
  await connection.run(`CREATE OR REPLACE VIEW ${quoteIdentifier(name)} AS ${body}`);
  return { name, dataFiles: dataFiles.length, records: dataFiles.reduce((sum, file) => sum + file.recordCount, 0n) };
}

function emptyViewBody(schema: IcebergSchema): string {
  return `SELECT ${schema.fields.map((field) => `CAST(NULL AS ${duckdbType(field.type)}) AS ${quoteIdentifier(field.name)}`).join(', ')} WHERE false`;
}

/** DuckDB type of an Iceberg field type; VARCHAR for a type DuckDB has no column for. */
export function duckdbType(type: IcebergPrimitive | string): string {
  return duckdbTypeOfIceberg(type) ?? 'VARCHAR';
}

export function schemaColumns(schema: IcebergSchema): string[] {
  return schema.fields.map((field) => field.name);
}

