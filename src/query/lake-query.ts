import { DuckDBInstance, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { DataFile, IcebergSchema } from '../lake/iceberg/spec-types.ts';
import type { Lake } from '../lake/open-lake.ts';
import { createFilesView, createLakeViews, type LakeView } from './lake-views.ts';
import { LakeError } from '../errors/lake-error.ts';
import type { Cell } from './result-format.ts';
import type { FileFilter } from './file-filter.ts';
import { pruneDataFiles, type PrunedFiles } from './file-pruning.ts';
import { ManifestCache } from './manifest-cache.ts';
import { createSourceViews } from './sources/source-views.ts';
import type { SourceDefinition } from './sources/source-config.ts';

export interface QueryResult {
  columns: string[];
  rows: Cell[][];
}

/** A DuckDB session where every lake table, and every source given to open(), is a view of the same name. */
export class LakeQuery {
  readonly views: LakeView[];
  readonly #lake: Lake;
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  /** Lives as long as the session, so repeated pruned queries read each manifest once. */
  readonly #manifests = new ManifestCache();

  private constructor(lake: Lake, instance: DuckDBInstance, connection: DuckDBConnection, views: LakeView[]) {
    this.#lake = lake;
    this.#instance = instance;
    this.#connection = connection;
    this.views = views;
  }

  /** Opens a session; each of `options.sources` (see loadSources) becomes a view too, beside the lake tables. */
  static async open(lake: Lake, options: { sources?: readonly SourceDefinition[] } = {}): Promise<LakeQuery> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await instance.connect();
    try {
      // Month boundaries and timestamptz output in UTC, the lake's partitioning zone.
      await connection.run("SET TimeZone = 'UTC'");
      // Data files are immutable, so their Parquet footers can be cached for the session's life.
      await connection.run('SET parquet_metadata_cache = true');
      const views = await createLakeViews(connection, lake);
      await createSourceViews(connection, options.sources ?? [], views.map((view) => view.name));
      return new LakeQuery(lake, instance, connection, views);
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
    await createFilesView(this.#connection, this.#lake.storage, { name: table, schema: pruned.schema, dataFiles: pruned.dataFiles });
    return pruned;
  }

  /** Runs `sql`; `$1`, `$2`… are bound to `params` (bigint for BIGINT, never spliced into the text). */
  async run(sql: string, params?: DuckDBValue[]): Promise<QueryResult> {
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
    return createFilesView(this.#connection, this.#lake.storage, { name, schema, dataFiles });
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
    try {
      const result = await this.#connection.stream(sql);
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        for (const row of chunk.getRows()) visit(row);
      }
    } catch (error) {
      throw new LakeError('query', (error as Error).message.split('\n')[0] ?? String(error), { cause: error, retryable: false });
    }
  }

  close(): void {
    this.#connection.closeSync();
    this.#instance.closeSync();
  }
}
