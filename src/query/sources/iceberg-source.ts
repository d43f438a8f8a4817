/**
 * A foreign Iceberg table (v1 or v2, written by Spark, Java, Trino/Athena,
 * PyIceberg or us) as a DuckDB view over its current snapshot, read through
 * the table's own metadata with no catalog and no DuckDB extension.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LakeError, messageOf } from '../../errors/lake-error.ts';
import { duckdbTypeOfIceberg } from './iceberg-column-types.ts';
import { localPathMapper } from './iceberg-file-paths.ts';
import { readCurrentMetadata } from './iceberg-metadata-file.ts';
import { parseNameMapping } from './iceberg-name-mapping.ts';
import { readParquetColumns } from './iceberg-parquet-columns.ts';
import { readScanPlan, withoutIdleDeletes, type ScanPlan } from './iceberg-scan-plan.ts';
import { parseForeignTableMetadata, type ForeignTableMetadata } from './iceberg-table-metadata.ts';
import { icebergViewSql, type ViewColumn } from './iceberg-view-sql.ts';

export interface IcebergViewInfo {
  formatVersion: number;
  /** The snapshot the view reads; null for a table without snapshots (the view is empty). */
  snapshotId: bigint | null;
  /** Live data files of the snapshot. */
  dataFiles: number;
  /** Live delete files of the snapshot, whether or not they still hit a live row. */
  positionDeleteFiles: number;
  equalityDeleteFiles: number;
  /** View columns in schema order (nested columns are left out). */
  columns: string[];
}

const NAME_MAPPING_PROPERTY = 'schema.name-mapping.default';

/**
 * Creates (or replaces) the view `viewName` over the current snapshot of the
 * table in the local directory `tablePath` (the one holding `metadata/`).
 * A path that is no readable Iceberg table, or a table referring to files
 * missing from the copy, is a 'config' error naming what is missing.
 */
export async function createIcebergView(connection: DuckDBConnection, viewName: string, tablePath: string): Promise<IcebergViewInfo> {
  const what = `iceberg source "${viewName}"`;
  const root = resolve(tablePath);
  const current = await readCurrentMetadata(root, what);
  const metadata = parseMetadata(current.json, current.path, what);
  const columns = viewColumns(metadata, current.path, what);
  const nameMapping = readNameMapping(metadata, current.path, what);

  const mapPath = localPathMapper(root, metadata.location, metadata.properties);
  const localOf = (uri: string): string => {
    const local = mapPath(uri);
    if (local === undefined) {
      throw new LakeError('config', `${what}: ${uri} (named in ${current.path}) is not under the table location ${metadata.location}`, {
        hint: 'the reader finds files by their path below the table location; copy the table with its folder layout',
      });
    }
    return local;
  };

  const snapshot = metadata.currentSnapshot;
  let live: ScanPlan = { dataFiles: [], positionDeletes: [], equalityDeletes: [] };
  if (snapshot) {
    try {
      live = await readScanPlan(snapshot.manifestList, async (uri) => readFile(await existingFile(localOf(uri), what)), metadata.partitionSpecs);
    } catch (error) {
      if (error instanceof LakeError) throw error;
      throw new LakeError('config', `${what}: cannot read the manifests of snapshot ${snapshot.snapshotId}: ${messageOf(error)}`, { cause: error });
    }
  }
  const plan = withoutIdleDeletes(live);

  const dataFiles = await Promise.all(plan.dataFiles.map(async (f) => ({ ...f, path: await existingFile(localOf(f.uri), what) })));
  const positionDeletes = await Promise.all(plan.positionDeletes.map(async (d) => ({ ...d, path: await existingFile(localOf(d.uri), what) })));
  const equalityFiles = await Promise.all(plan.equalityDeletes.map(async (d) => ({ ...d, path: await existingFile(localOf(d.uri), what) })));
  const layouts = await readParquetColumns(connection, [...dataFiles, ...equalityFiles].map((f) => f.path)).catch((error: unknown) => {
    throw new LakeError('storage', `${what}: cannot read the Parquet footers under ${root}: ${messageOf(error)}`, { cause: error });
  });
  const withColumns = <T extends { path: string }>(file: T) => ({ ...file, columns: layouts.get(file.path) ?? [] });

  let sql: string;
  try {
    sql = icebergViewSql({
      viewName,
      columns,
      nameMapping,
      dataFiles: dataFiles.map(withColumns),
      positionDeletes,
      equalityDeletes: equalityFiles.map(withColumns),
    });
  } catch (error) {
    throw new LakeError('config', `${what}: ${messageOf(error)}`, { cause: error });
  }
  try {
    await connection.run(sql);
  } catch (error) {
    throw new LakeError('storage', `${what}: cannot create the view over ${root}: ${messageOf(error)}`, { cause: error });
  }
  return {
    formatVersion: metadata.formatVersion,
    snapshotId: snapshot?.snapshotId ?? null,
    dataFiles: live.dataFiles.length,
    positionDeleteFiles: live.positionDeletes.length,
    equalityDeleteFiles: live.equalityDeletes.length,
    columns: columns.map((c) => c.name),
  };
}

function parseMetadata(json: string, path: string, what: string): ForeignTableMetadata {
  try {
    return parseForeignTableMetadata(json);
  } catch (error) {
    throw new LakeError('config', `${what}: ${path} is not usable Iceberg table metadata: ${messageOf(error)}`, { cause: error });
  }
}

function viewColumns(metadata: ForeignTableMetadata, path: string, what: string): ViewColumn[] {
  const columns: ViewColumn[] = [];
  for (const field of metadata.schema.fields) {
    const type = duckdbTypeOfIceberg(field.type);
    // Nested columns (struct, list, map) are not read; the rest of the table stays queryable.
    if (type !== undefined) columns.push({ id: field.id, name: field.name, type });
  }
  if (columns.length === 0) {
    throw new LakeError('config', `${what}: the current schema in ${path} has no column of a supported type (nested types are not read)`);
  }
  return columns;
}

function readNameMapping(metadata: ForeignTableMetadata, path: string, what: string): Map<number, string[]> | null {
  const raw = metadata.properties[NAME_MAPPING_PROPERTY];
  if (raw === undefined) return null;
  try {
    return parseNameMapping(raw);
  } catch (error) {
    throw new LakeError('config', `${what}: table property ${NAME_MAPPING_PROPERTY} in ${path} is invalid: ${messageOf(error)}`, { cause: error });
  }
}

async function existingFile(path: string, what: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new LakeError('config', `${what}: ${path} is missing, but the table's current snapshot needs it`, {
      hint: 'copy the whole table directory (data/ and metadata/), not only its metadata',
    });
  }
  return path;
}
