import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { DataFile, IcebergSchema } from '../lake/iceberg/spec-types.ts';
import type { Lake } from '../lake/open-lake.ts';
import { createFilesView, createLakeViews, createPlaceholderView, lakeTableFiles, type LakeView } from './lake-views.ts';
import { LakeError } from '../errors/lake-error.ts';
import type { Cell } from './result-format.ts';
import type { FileFilter } from './file-filter.ts';
import { pruneDataFiles, type PrunedFiles } from './file-pruning.ts';
import { ManifestCache } from './manifest-cache.ts';
import { createSourceViews } from './sources/source-views.ts';
import { relationsRead } from './sql-predicates.ts';
import { quoteLiteral } from './sql-quoting.ts';
import { dataFileReader, type DataFileReader } from './duckdb-s3-access.ts';
import type { SourceDefinition } from './sources/source-config.ts';

export interface QueryResult {
  columns: string[];
  rows: Cell[][];
}

type TableFiles = { name: string; schema: IcebergSchema; dataFiles: readonly DataFile[] };

/**
 * A DuckDB session where every lake table, and every source given to open(), is a view of the same name.
 *
 * On object storage (`storage.remote`) DuckDB reads local copies of the data
 * files, so a table's view starts as a typed empty placeholder and becomes
 * real (its files fetched into the cache) just before the first statement
 * that reads it, or pruned by restrictView. A point lookup on `invoices` then
 * never downloads the other tables. When the tables a statement reads cannot
 * be told (not one plain statement, query_table(), a relation that is not a
 * view of this session), every pending view is made real first.
 */
export class LakeQuery {
  readonly views: LakeView[];
  readonly #lake: Lake;
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  /** Lives as long as the session, so repeated pruned queries read each manifest once. */
  readonly #manifests = new ManifestCache();
  /** Placeholder views, by lower-case name, whose data files are not fetched yet. */
  readonly #pending: Map<string, TableFiles>;
  /** Views a statement may read without making pending views real: the lake tables and the sources. */
  readonly #knownViews: Set<string>;
  readonly #files: DataFileReader;

  private constructor(
    lake: Lake,
    instance: DuckDBInstance,
    connection: DuckDBConnection,
    files: DataFileReader,
    views: LakeView[],
    pending: TableFiles[],
    sourceNames: string[],
  ) {
    this.#lake = lake;
    this.#files = files;
    this.#instance = instance;
    this.#connection = connection;
    this.views = views;
    this.#pending = new Map(pending.map((table) => [table.name.toLowerCase(), table]));
    this.#knownViews = new Set([...views.map((view) => view.name), ...sourceNames].map((name) => name.toLowerCase()));
  }

  /** Opens a session; each of `options.sources` (see loadSources) becomes a view too, beside the lake tables. */
  static async open(lake: Lake, options: { sources?: readonly SourceDefinition[]; memoryLimit?: string } = {}): Promise<LakeQuery> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await instance.connect();
    try {
      // Month boundaries and timestamptz output in UTC, the lake's partitioning zone.
      await connection.run("SET TimeZone = 'UTC'");
      // Data files are immutable, so their Parquet footers can be cached for the session's life.
      await connection.run('SET parquet_metadata_cache = true');
      // Spills go to the system temp directory, not `.tmp` in the working directory (read-only in the container).
      await connection.run(`SET temp_directory = ${quoteLiteral(join(tmpdir(), 'invoice-lake-duckdb'))}`);
      if (options.memoryLimit) await connection.run(`SET memory_limit = ${quoteLiteral(options.memoryLimit)}`);
      const files = await dataFileReader(connection, lake.storage);
      let views: LakeView[];
      let pending: TableFiles[] = [];
      if (files.remote) {
        pending = await lakeTableFiles(lake);
        views = [];
        for (const table of pending) views.push(await createPlaceholderView(connection, table));
      } else {
        views = await createLakeViews(connection, lake, files);
      }
      const sources = await createSourceViews(connection, options.sources ?? [], views.map((view) => view.name));
      return new LakeQuery(lake, instance, connection, files, views, pending, sources.map((source) => source.name));
    } catch (error) {
      connection.closeSync();
      instance.closeSync();
      throw error;
    }
  }

  /**
   * Re-points the view `table` at only the data files of its current
   * snapshot that may hold rows matching `filter` (see pruneDataFiles), so
   * the next queries read those files alone. The query must still apply the
   * filter itself: pruning selects files, not rows. Call it again with `[]`
   * to see the whole table.
   */
  async restrictView(table: string, filter: FileFilter): Promise<PrunedFiles> {
    const location = await this.#lake.catalog.currentMetadataLocation({ namespace: this.#lake.namespace, name: table });
    if (!location) throw new LakeError('query', `lake table ${table} does not exist`, { retryable: false });
    const pruned = await pruneDataFiles(this.#lake.storage, location, filter, this.#manifests);
    await createFilesView(this.#connection, this.#files, { name: table, schema: pruned.schema, dataFiles: pruned.dataFiles });
    this.#pending.delete(table.toLowerCase());
    return pruned;
  }

  /** How DuckDB reads the lake's data files: from local disk, over S3 with httpfs, or from the read-through cache. */
  get dataFilesVia(): DataFileReader['via'] {
    return this.#files.via;
  }

  /** Runs `sql`; `$1`, `$2`… are bound to `params` (bigint for BIGINT, never spliced into the text). */
  async run(sql: string, params?: DuckDBValue[]): Promise<QueryResult> {
    await this.#realizeViewsReadBy(sql);
    try {
      const reader = await this.#connection.runAndReadAll(sql, params);
      return { columns: reader.columnNames(), rows: reader.getRowsJson() as Cell[][] };
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? String(error);
      throw new LakeError('query', message, { cause: error, retryable: false });
    }
  }

  /** Creates (or replaces) the view `name` over exactly these data files. */
  async createView(name: string, schema: IcebergSchema, dataFiles: readonly DataFile[]): Promise<LakeView> {
    const view = await createFilesView(this.#connection, this.#files, { name, schema, dataFiles });
    this.#pending.delete(name.toLowerCase());
    this.#knownViews.add(name.toLowerCase());
    return view;
  }

  /** The result columns `sql` would return, without running it; a LakeError when DuckDB cannot prepare it. */
  async describe(sql: string): Promise<Array<{ name: string; type: DuckDBType }>> {
    try {
      const prepared = await this.#connection.prepare(sql);
      try {
        return Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: prepared.columnType(i) }));
      } finally {
        prepared.destroySync();
      }
    } catch (error) {
      throw new LakeError('query', (error as Error).message.split('\n')[0] ?? String(error), { cause: error, retryable: false });
    }
  }

  /** Runs `sql` and hands each row to `visit` chunk by chunk, so a large result is never held whole. */
  async readRows(sql: string, visit: (row: DuckDBValue[]) => void): Promise<void> {
    await this.#realizeViewsReadBy(sql);
    try {
      const result = await this.#connection.stream(sql);
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        for (const row of chunk.getRows()) visit(row);
      }
    } catch (error) {
      throw new LakeError('query', (error as Error).message.split('\n')[0] ?? String(error), { cause: error, retryable: false });
    }
  }

  /**
   * `COPY (select) TO target (options)`: DuckDB writes the result itself
   * (e.g. as Parquet). Only the views `select` reads are fetched first; the
   * COPY statement around it cannot be analysed.
   */
  async copyTo(select: string, target: string, options: string): Promise<void> {
    await this.#realizeViewsReadBy(select);
    try {
      await this.#connection.run(`COPY (${select}) TO ${quoteLiteral(target)} (${options})`);
    } catch (error) {
      throw new LakeError('query', (error as Error).message.split('\n')[0] ?? String(error), { cause: error, retryable: false });
    }
  }

  /** Makes the pending views `sql` reads real (all of them when that cannot be told); nothing to do on local disk. */
  async #realizeViewsReadBy(sql: string): Promise<void> {
    if (this.#pending.size === 0) return;
    const relations = await this.#relationsRead(sql);
    const unknown = relations === undefined || relations.some((name) => !this.#knownViews.has(name));
    for (const [name, table] of [...this.#pending]) {
      if (!unknown && !relations.includes(name)) continue;
      await createFilesView(this.#connection, this.#files, table);
      this.#pending.delete(name);
    }
  }

  async #relationsRead(sql: string): Promise<string[] | undefined> {
    try {
      const reader = await this.#connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
      return relationsRead(JSON.parse(String(reader.getRows()[0]?.[0])));
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.#connection.closeSync();
    this.#instance.closeSync();
  }
}
