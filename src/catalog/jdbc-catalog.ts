import pg from 'pg';
import type { Catalog, TableIdentifier } from './catalog.ts';
import { LakeError } from '../errors/lake-error.ts';
import { redactUrl } from '../config/redact.ts';
import { describeConnectionError } from '../source/source-connection.ts';

/**
 * The Iceberg JDBC catalog schema in PostgreSQL, the same tables and SQL as
 * Java's JdbcCatalog (JdbcUtil V1), PyIceberg's SqlCatalog and Trino's jdbc
 * catalog, so those engines attach to the tables this program writes.
 */
export class JdbcCatalog implements Catalog {
  readonly description: string;
  readonly maintainsVersionHint = false;
  readonly #pool: pg.Pool;
  readonly #catalogName: string;
  readonly #tables: string;
  readonly #properties: string;
  readonly #schema: string;
  readonly #connectionString: string;

  constructor(options: { connectionString: string; catalogName: string; schema: string }) {
    this.#pool = new pg.Pool({ connectionString: options.connectionString, max: 2 });
    this.#pool.on('error', () => undefined); // idle-client errors surface on the next query
    this.#catalogName = options.catalogName;
    this.#schema = options.schema;
    this.#connectionString = options.connectionString;
    this.#tables = `${quote(options.schema)}.iceberg_tables`;
    this.#properties = `${quote(options.schema)}.iceberg_namespace_properties`;
    this.description = `jdbc catalog "${options.catalogName}" in schema ${options.schema} of ${redactUrl(options.connectionString)}`;
  }

  async initialize(namespace: string): Promise<void> {
    await this.#query(`CREATE SCHEMA IF NOT EXISTS ${quote(this.#schema)}`);
    // Created with iceberg_type up front: Trino never creates catalog tables, and Java
    // would otherwise try an ALTER TABLE for the V1 schema (ICEBERG_NOTES §8).
    await this.#query(`CREATE TABLE IF NOT EXISTS ${this.#tables} (
      catalog_name VARCHAR(255) NOT NULL,
      table_namespace VARCHAR(255) NOT NULL,
      table_name VARCHAR(255) NOT NULL,
      metadata_location VARCHAR(1000),
      previous_metadata_location VARCHAR(1000),
      iceberg_type VARCHAR(5),
      PRIMARY KEY (catalog_name, table_namespace, table_name))`);
    await this.#query(`CREATE TABLE IF NOT EXISTS ${this.#properties} (
      catalog_name VARCHAR(255) NOT NULL,
      namespace VARCHAR(255) NOT NULL,
      property_key VARCHAR(255),
      property_value VARCHAR(1000),
      PRIMARY KEY (catalog_name, namespace, property_key))`);
    await this.#query(
      `INSERT INTO ${this.#properties} (catalog_name, namespace, property_key, property_value)
       VALUES ($1, $2, 'exists', 'true') ON CONFLICT DO NOTHING`,
      [this.#catalogName, namespace],
    );
  }

  async currentMetadataLocation(table: TableIdentifier): Promise<string | undefined> {
    const result = await this.#query<{ metadata_location: string }>(
      `SELECT metadata_location FROM ${this.#tables}
        WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3
          AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)`,
      [this.#catalogName, table.namespace, table.name],
    );
    return result.rows[0]?.metadata_location;
  }

  async create(table: TableIdentifier, metadataLocation: string): Promise<boolean> {
    const result = await this.#query(
      `INSERT INTO ${this.#tables}
         (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type)
       VALUES ($1, $2, $3, $4, NULL, 'TABLE') ON CONFLICT DO NOTHING`,
      [this.#catalogName, table.namespace, table.name, metadataLocation],
    );
    return result.rowCount === 1;
  }

  async commit(table: TableIdentifier, expected: string, next: string): Promise<string | undefined> {
    const result = await this.#query(
      `UPDATE ${this.#tables} SET metadata_location = $1, previous_metadata_location = $2
        WHERE catalog_name = $3 AND table_namespace = $4 AND table_name = $5
          AND metadata_location = $2 AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)`,
      [next, expected, this.#catalogName, table.namespace, table.name],
    );
    return result.rowCount === 1 ? next : undefined;
  }

  async listTables(namespace: string): Promise<string[]> {
    const result = await this.#query<{ table_name: string }>(
      `SELECT table_name FROM ${this.#tables}
        WHERE catalog_name = $1 AND table_namespace = $2 AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)
        ORDER BY table_name`,
      [this.#catalogName, namespace],
    );
    return result.rows.map((row) => row.table_name);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, values);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42P01') {
        throw new LakeError('source-setup', `the Iceberg catalog tables do not exist in schema ${this.#schema}`, {
          cause: error,
          hint: 'run `invoice-lake setup` first',
        });
      }
      if (code === undefined || /^(E[A-Z]|08|28|3D|57P0)/.test(code)) {
        throw describeConnectionError(error, this.#connectionString, 'catalog', 'check CATALOG_URL (--catalog-url), which defaults to DATABASE_URL');
      }
      throw new LakeError('catalog', `catalog query failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
