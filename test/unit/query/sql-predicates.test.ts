import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { extractTablePredicates, type SqlPredicate } from '../../../src/query/sql-predicates.ts';
import { inputSnapshotKey } from '../../../src/jobs/job-runner.ts';
import { ROLLUP_INPUT_SNAPSHOT_KEY } from '../../../src/query/use-cases/customer-monthly-totals-table.ts';

const LAKE_TABLES = ['invoices', 'risk_scores', 'risk_alerts'];

describe('extractTablePredicates', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  });
  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });

  /** What DuckDB's parser says about `sql`, through the same json_serialize_sql the query command uses. */
  async function extract(sql: string) {
    const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
    return extractTablePredicates(JSON.parse(String(reader.getRows()[0]![0])), LAKE_TABLES);
  }
  async function predicatesOf(sql: string, table = 'invoices'): Promise<SqlPredicate[]> {
    return (await extract(sql)).predicates.get(table) ?? [];
  }
  const id = (op: SqlPredicate['op'], value: bigint, column = 'invoice_id'): SqlPredicate => ({ column, op, operand: { kind: 'integer', value } });
  const text = (op: SqlPredicate['op'], value: string, casts: string[], column = 'issue_date'): SqlPredicate => ({
    column,
    op,
    operand: { kind: 'text', text: value, casts: casts as never },
  });

  it('reads a point lookup, unqualified, qualified by table name and by alias', async () => {
    expect(await predicatesOf('SELECT * FROM invoices WHERE invoice_id = 42')).toEqual([id('eq', 42n)]);
    expect(await predicatesOf('SELECT * FROM invoices WHERE invoices.invoice_id = 42')).toEqual([id('eq', 42n)]);
    expect(await predicatesOf('SELECT * FROM invoices i WHERE i.invoice_id = 42')).toEqual([id('eq', 42n)]);
    expect(await predicatesOf('SELECT * FROM main.INVOICES AS "I" WHERE I.Invoice_Id = 42')).toEqual([id('eq', 42n)]);
  });

  it('mirrors reversed comparisons and reads every comparison operator', async () => {
    expect(await predicatesOf('SELECT 1 FROM invoices WHERE 5 < invoice_id AND 9 >= invoice_id AND invoice_id > 1 AND invoice_id <= 100 AND 7 = invoice_id')).toEqual([
      id('gt', 5n),
      id('lte', 9n),
      id('gt', 1n),
      id('lte', 100n),
      id('eq', 7n),
    ]);
  });

  it('reads BETWEEN as two bounds and a short IN list as its min and max', async () => {
    expect(await predicatesOf('SELECT 1 FROM invoices WHERE invoice_id BETWEEN 10 AND 20')).toEqual([id('gte', 10n), id('lte', 20n)]);
    expect(await predicatesOf('SELECT 1 FROM invoices WHERE invoice_id IN (30, 7, 12)')).toEqual([id('gte', 7n), id('lte', 30n)]);
    expect(await predicatesOf('SELECT 1 FROM invoices WHERE invoice_id IN (3, 4.5)')).toEqual([]);
  });

  it('keeps typed and cast timestamp literals for DuckDB to evaluate', async () => {
    expect(await predicatesOf("SELECT 1 FROM invoices WHERE issue_date >= TIMESTAMPTZ '2026-01-01' AND issue_date < '2026-02-01'::DATE")).toEqual([
      text('gte', '2026-01-01', ['TIMESTAMP WITH TIME ZONE']),
      text('lt', '2026-02-01', ['DATE']),
    ]);
    expect(await predicatesOf("SELECT 1 FROM invoices WHERE issue_date > '2026-03-04 05:06:07'")).toEqual([text('gt', '2026-03-04 05:06:07', [])]);
    expect(await predicatesOf('SELECT 1 FROM invoices WHERE invoice_id = CAST(42 AS BIGINT)')).toEqual([id('eq', 42n)]);
  });

  it("reads NOT of a comparison as DuckDB's parser rewrites it (the negated comparison)", async () => {
    expect(await predicatesOf('SELECT 1 FROM invoices WHERE NOT invoice_id > 1')).toEqual([id('lte', 1n)]);
  });

  it('keeps the AND-ed terms it understands and drops the others', async () => {
    expect(await predicatesOf('SELECT 1 FROM invoices WHERE invoice_id > 5 AND (invoice_id < 3 OR amount > 1) AND issuer_id = 7')).toEqual([
      id('gt', 5n),
      id('eq', 7n, 'issuer_id'),
    ]);
    expect(await predicatesOf('SELECT 1 FROM invoices WHERE (invoice_id > 5 AND (issuer_id = 2 AND receiver_id = 3))')).toHaveLength(3);
  });

  it('gives nothing for OR, NOT, NOT IN, NOT BETWEEN, <>, functions or casts on the column, parameters and expressions', async () => {
    for (const where of [
      'invoice_id = 1 OR invoice_id = 2',
      'NOT (invoice_id = 1)',
      'invoice_id NOT IN (1, 2)',
      'invoice_id NOT BETWEEN 1 AND 2',
      'invoice_id <> 1',
      'invoice_id + 1 = 5',
      'CAST(invoice_id AS VARCHAR) = \'5\'',
      "issue_date::DATE = DATE '2026-01-01'",
      "date_trunc('month', issue_date) = TIMESTAMPTZ '2026-01-01'",
      'invoice_id = $1',
      'invoice_id = 2 + 3',
      'invoice_id = 5.5',
      'invoice_id = 9007199254740993',
      "issue_date >= now() - INTERVAL 3 MONTH",
      'invoice_id IS NOT DISTINCT FROM 5',
      'invoice_id = issuer_id',
      'invoice_id = (SELECT 5)',
      "issue_date > TRY_CAST('2026-01-01' AS TIMESTAMPTZ)",
    ]) {
      expect(await predicatesOf(`SELECT 1 FROM invoices WHERE ${where}`), where).toEqual([]);
    }
  });

  it('in a join, uses only columns qualified by the table alias', async () => {
    const sql = 'SELECT 1 FROM invoices i JOIN risk_scores r ON r.invoice_id = i.invoice_id WHERE invoice_id = 1 AND i.invoice_id > 5 AND r.invoice_id < 9';
    expect(await predicatesOf(sql)).toEqual([id('gt', 5n)]);
    expect(await predicatesOf(sql, 'risk_scores')).toEqual([id('lt', 9n)]);
    expect(await predicatesOf('SELECT 1 FROM invoices i, risk_alerts a WHERE i.invoice_id = 3')).toEqual([id('eq', 3n)]);
    expect(await predicatesOf('SELECT 1 FROM customers c LEFT JOIN invoices i ON c.id = i.issuer_id WHERE i.invoice_id = 3')).toEqual([id('eq', 3n)]);
  });

  it('does not attribute a qualifier naming another table, the table name when it is aliased, or three-part names', async () => {
    expect(await predicatesOf('SELECT 1 FROM invoices i WHERE invoices.invoice_id = 3')).toEqual([]);
    expect(await predicatesOf('SELECT 1 FROM invoices JOIN other o ON true WHERE o.invoice_id = 3')).toEqual([]);
    expect(await predicatesOf('SELECT 1 FROM invoices WHERE main.invoices.invoice_id = 3')).toEqual([]);
  });

  it('gives nothing for joins a filtered side could change: ASOF, positional, natural, semi, anti', async () => {
    for (const sql of [
      'SELECT 1 FROM other o ASOF JOIN invoices i ON o.t >= i.issue_date WHERE i.invoice_id = 3',
      'SELECT 1 FROM other o POSITIONAL JOIN invoices i WHERE i.invoice_id = 3',
      'SELECT 1 FROM other o NATURAL JOIN invoices i WHERE i.invoice_id = 3',
      'SELECT 1 FROM other o ANTI JOIN invoices i ON o.a = i.invoice_id WHERE o.x = 1',
      'SELECT 1 FROM invoices i SEMI JOIN other o ON o.a = i.invoice_id WHERE i.invoice_id = 3',
    ]) {
      expect(await predicatesOf(sql), sql).toEqual([]);
    }
  });

  it('gives nothing when the table is read twice, through a CTE of its name or by query_table()', async () => {
    expect(await predicatesOf('SELECT 1 FROM invoices a JOIN invoices b ON a.invoice_id = b.invoice_id WHERE a.invoice_id = 1')).toEqual([]);
    expect(await predicatesOf('SELECT 1 FROM invoices WHERE invoice_id = 1 UNION ALL SELECT 1 FROM invoices')).toEqual([]);
    expect(await predicatesOf('SELECT (SELECT count(*) FROM invoices) FROM invoices WHERE invoice_id = 1')).toEqual([]);
    expect(await predicatesOf('WITH invoices AS (SELECT * FROM main.invoices) SELECT 1 FROM invoices WHERE invoice_id = 1')).toEqual([]);
    const byName = await extract("SELECT 1 FROM invoices, query_table('invoices') q WHERE invoices.invoice_id = 1");
    expect(byName.predicates.size).toBe(0);
  });

  it('uses the WHERE of the SELECT that reads the table, in subqueries and CTEs, and not an outer one', async () => {
    expect(await predicatesOf('SELECT * FROM (SELECT * FROM invoices WHERE invoice_id = 4) t')).toEqual([id('eq', 4n)]);
    expect(await predicatesOf('SELECT * FROM (SELECT * FROM invoices) t WHERE t.invoice_id = 4')).toEqual([]);
    expect(await predicatesOf('SELECT * FROM (SELECT * FROM invoices) t WHERE invoice_id = 4')).toEqual([]);
    expect(await predicatesOf('WITH recent AS (SELECT * FROM invoices WHERE issue_date >= DATE \'2026-01-01\') SELECT count(*) FROM recent')).toEqual([
      text('gte', '2026-01-01', ['DATE']),
    ]);
    expect(await predicatesOf('SELECT * FROM customers c WHERE EXISTS (SELECT 1 FROM invoices WHERE issuer_id = c.id AND invoice_id < 10)')).toEqual([id('lt', 10n)]);
    expect(await predicatesOf('SELECT * FROM customers c WHERE c.id IN (SELECT issuer_id FROM invoices) AND c.id = 3')).toEqual([]);
  });

  it('gives nothing for samples, renamed columns, time travel and other schemas', async () => {
    for (const sql of [
      'SELECT 1 FROM invoices USING SAMPLE 10 WHERE invoice_id = 1',
      'SELECT 1 FROM invoices TABLESAMPLE 10% WHERE invoice_id = 1',
      'SELECT 1 FROM invoices AS i(a, invoice_id) WHERE invoice_id = 1',
      'SELECT 1 FROM other_schema.invoices WHERE invoice_id = 1',
    ]) {
      expect(await predicatesOf(sql), sql).toEqual([]);
    }
  });

  it('reports the lake tables read, and nothing for statements it cannot serialize', async () => {
    expect((await extract('SELECT 1 FROM invoices JOIN risk_scores USING (invoice_id) JOIN somewhere_else ON true')).referenced).toEqual(['invoices', 'risk_scores']);
    expect(await extract('CREATE TABLE x AS SELECT * FROM invoices WHERE invoice_id = 1')).toEqual({ referenced: [], predicates: new Map() });
    expect(await extract('SELECT 1 FROM invoices WHERE invoice_id = 1; SELECT 2')).toEqual({ referenced: [], predicates: new Map() });
    expect(await extract('SELEC nonsense')).toEqual({ referenced: [], predicates: new Map() });
    expect(extractTablePredicates(undefined, LAKE_TABLES)).toEqual({ referenced: [], predicates: new Map() });
  });

  it('the rollup summary key is the one the job runner records', () => {
    expect(ROLLUP_INPUT_SNAPSHOT_KEY).toBe(inputSnapshotKey('invoices'));
  });
});
