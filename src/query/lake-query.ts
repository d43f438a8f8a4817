import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { DataFile, IcebergSchema } from '../lake/iceberg/spec-types.ts';
import type { Lake } from '../lake/open-lake.ts';
import { createFilesView, createPlaceholderView, lakeTableFiles, type LakeView } from './lake-views.ts';
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
import { fileAccessError, restrictFileAccess, sessionFileAccess } from './file-access.ts';
import { checkReadStatement } from './read-statement.ts';

export interface QueryResult {
  columns: string[];
  rows: Cell[][];
}

type TableFiles = { name: string; schema: IcebergSchema; dataFiles: readonly DataFile[] };

export interface LakeQueryOptions {
  /** Configured sources (see loadSources), each a view beside the lake tables. */
  sources?: readonly SourceDefinition[];
  /** DuckDB's memory limit, e.g. `256MB` (default: DuckDB's, 80% of the machine). */
  memoryLimit?: string;
  /** Directories the session may also read and write (a job's scratch directory for its result files). */
  scratchDirectories?: readonly string[];
  /**
   * Lifts the file restriction (`query --allow-writes`): DuckDB may open any
   * file this process can. By default a session opens only the lake, its
   * read-through cache, the sources and the scratch directories.
   */
  unrestricted?: boolean;
}

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
 *
 * Once the views exist, DuckDB may open only the files they need (the lake,
 * its read-through cache, the sources; see file-access.ts) and its
 * configuration is locked, so SQL run later cannot widen that, nor raise
 * the memory limit. `interrupt()` cancels the statement running.
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
  /** Why the session was interrupted; every statement after that fails with it. */
  #interrupted: string | undefined;
  #closed = false;

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
  static async open(lake: Lake, options: LakeQueryOptions = {}): Promise<LakeQuery> {
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
      const files = await dataFileReader(connection, lake.storage, { restricted: !options.unrestricted });
      const tables = await lakeTableFiles(lake);
      const views: LakeView[] = [];
      const pending: TableFiles[] = files.remote ? tables : [];
      for (const table of tables) views.push(files.remote ? await createPlaceholderView(connection, table) : await createFilesView(connection, files, table));
      const sources = await createSourceViews(connection, options.sources ?? [], views.map((view) => view.name));
      if (!options.unrestricted) {
        const access = sessionFileAccess({ storage: lake.storage, files, tableLocations: tables.map((table) => table.location) }, options.sources ?? [], options.scratchDirectories);
        await restrictFileAccess(connection, access);
      }
      return new LakeQuery(lake, instance, connection, files, views, pending, sources.map((source) => source.name));
    } catch (error) {
      connection.closeSync();
      instance.closeSync();
      throw error;
    }
  }

  /**
   * Throws unless `sql` is exactly one read statement (read-statement.ts):
   * `invoice-lake query` calls it before running what the user typed.
   */
  async checkReadStatement(sql: string): Promise<void> {
    try {
      await checkReadStatement(this.#connection, sql);
    } catch (error) {
      // A refusal stands as it is; a read that cannot open its files says which file.
      throw error instanceof LakeError && error.kind === 'query' ? (fileAccessError(error) ?? error) : error;
    }
  }

  /**
   * Cancels the statement running now (DuckDB stops at its next check, within
   * milliseconds) and fails every later one with `reason`. Safe to call at
   * any time, from a timer or a shutdown.
   */
  interrupt(reason: string): void {
    this.#interrupted ??= reason;
    if (!this.#closed) this.#connection.interrupt();
  }

  /**
   * Re-points the view `table` at only the data files of its current
   * snapshot that may hold rows matching `filter` (see pruneDataFiles), so
   * the next queries read those files alone. The query must still apply the
   * filter itself: pruning selects files, not rows. Call it again with `[]`
   * to see the whole table.
   */
  async restrictView(table: string, filter: FileFilter): Promise<PrunedFiles> {
    this.#checkNotInterrupted();
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
    this.#checkNotInterrupted();
    await this.#realizeViewsReadBy(sql);
    try {
      const reader = await this.#connection.runAndReadAll(sql, params);
      return { columns: reader.columnNames(), rows: reader.getRowsJson() as Cell[][] };
    } catch (error) {
      throw this.#error(error);
    }
  }

  /** Creates (or replaces) the view `name` over exactly these data files. */
  async createView(name: string, schema: IcebergSchema, dataFiles: readonly DataFile[]): Promise<LakeView> {
    this.#checkNotInterrupted();
    const view = await createFilesView(this.#connection, this.#files, { name, schema, dataFiles });
    this.#pending.delete(name.toLowerCase());
    this.#knownViews.add(name.toLowerCase());
    return view;
  }

  /** The result columns `sql` would return, without running it; a LakeError when DuckDB cannot prepare it. */
  async describe(sql: string): Promise<Array<{ name: string; type: DuckDBType }>> {
    this.#checkNotInterrupted();
    try {
      const prepared = await this.#connection.prepare(sql);
      try {
        return Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: prepared.columnType(i) }));
      } finally {
        prepared.destroySync();
      }
    } catch (error) {
      throw this.#error(error);
    }
  }

  /** Runs `sql` and hands each row to `visit` chunk by chunk, so a large result is never held whole. */
  async readRows(sql: string, visit: (row: DuckDBValue[]) => void): Promise<void> {
    this.#checkNotInterrupted();
    await this.#realizeViewsReadBy(sql);
    try {
      const result = await this.#connection.stream(sql);
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        for (const row of chunk.getRows()) visit(row);
      }
    } catch (error) {
      throw this.#error(error);
    }
  }

  /**
   * `COPY (select) TO target (options)`: DuckDB writes the result itself
   * (e.g. as Parquet). Only the views `select` reads are fetched first; the
   * COPY statement around it cannot be analysed.
   */
  async copyTo(select: string, target: string, options: string): Promise<void> {
    this.#checkNotInterrupted();
    await this.#realizeViewsReadBy(select);
    try {
      await this.#connection.run(`COPY (${select}) TO ${quoteLiteral(target)} (${options})`);
    } catch (error) {
      throw this.#error(error);
    }
  }

  /** A DuckDB failure as the LakeError to report: the interruption's reason, a refused file, or the query's own error. */
  #error(error: unknown): LakeError {
    if (this.#interrupted !== undefined) return new LakeError('query', this.#interrupted, { cause: error, retryable: false });
    return fileAccessError(error) ?? new LakeError('query', (error as Error).message.split('\n')[0] ?? String(error), { cause: error, retryable: false });
  }

  /** Fails at once when the session was interrupted, so no new statement starts. */
  #checkNotInterrupted(): void {
    if (this.#interrupted !== undefined) throw new LakeError('query', this.#interrupted, { retryable: false });
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
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.closeSync();
    this.#instance.closeSync();
  }
}
