import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReadStatement } from '../../../src/query/read-statement.ts';
import { LakeError } from '../../../src/errors/lake-error.ts';

/**
 * `invoice-lake query` runs one read statement: DuckDB itself says what kind
 * of statement the text is (a prepared statement's type), so comments,
 * quoting and FROM-first syntax cannot fool a keyword match.
 */
describe('checkReadStatement', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await connection.run('CREATE TABLE invoices (invoice_id BIGINT)');
  });
  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });

  const refusal = async (sql: string): Promise<LakeError> => {
    const error = await checkReadStatement(connection, sql).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error, sql).toBeInstanceOf(LakeError);
    return error as LakeError;
  };

  it.each([
    'SELECT 1',
    'WITH a AS (SELECT 1 AS x) SELECT x FROM a',
    'VALUES (1), (2)',
    'FROM invoices',
    'DESCRIBE invoices',
    'SHOW TABLES',
    'SUMMARIZE invoices',
    'EXPLAIN SELECT * FROM invoices',
    'EXPLAIN ANALYZE SELECT count(*) FROM invoices',
    'PRAGMA version',
    '-- a comment\nSELECT 1;',
    "SELECT 'COPY x TO y; DROP TABLE invoices' AS text",
  ])('accepts the read statement %j', async (sql) => {
    await expect(checkReadStatement(connection, sql)).resolves.toBeUndefined();
  });

  it.each([
    ["COPY (SELECT 1) TO '/tmp/x.parquet'", 'COPY'],
    ["ATTACH ':memory:' AS other", 'ATTACH'],
    ['DETACH other', 'DETACH'],
    ['CREATE TABLE t (a INTEGER)', 'CREATE'],
    ['CREATE OR REPLACE VIEW invoices AS SELECT 1', 'CREATE'],
    ['INSERT INTO invoices VALUES (1)', 'INSERT'],
    ['UPDATE invoices SET invoice_id = 2', 'UPDATE'],
    ['DELETE FROM invoices', 'DELETE'],
    ['INSTALL httpfs', 'LOAD'],
    ['LOAD httpfs', 'LOAD'],
    ['SET enable_external_access = true', 'SET'],
    ['RESET memory_limit', 'SET'],
    ['PRAGMA threads = 1', 'SET'],
    ['PRAGMA enable_profiling', 'PRAGMA'],
    ["EXPORT DATABASE '/tmp/x'", 'EXPORT'],
    ['CALL checkpoint()', 'CALL'],
    ["EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/x.csv'", 'COPY'],
    ["/* sneaky */ EXPLAIN (ANALYZE, FORMAT json) COPY (SELECT 1) TO '/tmp/x.csv'", 'COPY'],
  ])('refuses %j, naming %s and the flag, with exit code 2', async (sql, type) => {
    const error = await refusal(sql);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`${type} statement`);
    expect(error.message).toContain('read-only');
    expect(error.hint).toContain('--allow-writes');
  });

  it('refuses more than one statement, even when each one reads', async () => {
    const error = await refusal('SELECT 1; SELECT 2');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/exactly one statement, got 2/);
    expect(error.hint).toContain('--allow-writes');
  });

  it('refuses an empty text', async () => {
    expect((await refusal('  -- nothing\n')).message).toMatch(/no SQL statement/);
  });

  it('reports a plain mistake in a read as a query error, not as a refusal', async () => {
    const error = await refusal('SELECT no_such_column FROM invoices');
    expect(error.kind).toBe('query');
    expect(error.message).toMatch(/no_such_column/);
  });
});
