import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { Lake } from '../lake/open-lake.ts';
import { createFilesView, createLakeViews, type LakeView } from './lake-views.ts';
import { LakeError } from '../errors/lake-error.ts';
import type { Cell } from './result-format.ts';
import type { FileFilter } from './file-filter.ts';
import { pruneDataFiles, type PrunedFiles } from './file-pruning.ts';
import { ManifestCache } from './manifest-cache.ts';

export interface QueryResult {
  columns: string[];
  rows: Cell[][];
}

/** A DuckDB session where every lake table is a view of the same name. */
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

  static async open(lake: Lake): Promise<LakeQuery> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await instance.connect();
    // Month boundaries and timestamptz output in UTC, the lake's partitioning zone.
    await connection.run("SET TimeZone = 'UTC'");
    // Data files are immutable, so their Parquet footers can be cached for the session's life.
    await connection.run('SET parquet_metadata_cache = true');
    const views = await createLakeViews(connection, lake);
    return new LakeQuery(lake, instance, connection, views);
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

  close(): void {
    this.#connection.closeSync();
    this.#instance.closeSync();
  }
}
