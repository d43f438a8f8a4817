import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Lake } from '../lake/open-lake.ts';
import { createLakeViews, type LakeView } from './lake-views.ts';
import { LakeError } from '../errors/lake-error.ts';
import type { Cell } from './result-format.ts';

export interface QueryResult {
  columns: string[];
  rows: Cell[][];
}

/** A DuckDB session where every lake table is a view of the same name. */
export class LakeQuery {
  readonly views: LakeView[];
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection, views: LakeView[]) {
    this.#instance = instance;
    this.#connection = connection;
    this.views = views;
  }

  static async open(lake: Lake): Promise<LakeQuery> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const connection = await instance.connect();
    // Month boundaries and timestamptz output in UTC, the lake's partitioning zone.
    await connection.run("SET TimeZone = 'UTC'");
    const views = await createLakeViews(connection, lake);
    return new LakeQuery(instance, connection, views);
  }

  async run(sql: string): Promise<QueryResult> {
    try {
      const reader = await this.#connection.runAndReadAll(sql);
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
