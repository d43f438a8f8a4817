import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../src/storage/local-storage.ts';
import { FilesystemCatalog } from '../../src/catalog/filesystem-catalog.ts';
import { LakeTable, type LoadedTable } from '../../src/lake/lake-table.ts';
import { INVOICES_TABLE } from '../../src/lake/tables/lake-tables.ts';
import { ColumnBuffer } from '../../src/lake/batch/column-buffer.ts';
import { writeDataFiles } from '../../src/lake/batch/data-file-writer.ts';
import { openLake, type Lake } from '../../src/lake/open-lake.ts';
import { LakeQuery } from '../../src/query/lake-query.ts';
import { restrictViewsForSql } from '../../src/query/sql-pruning.ts';
import { lookUpInvoice } from '../../src/query/use-cases/invoice-lookup.ts';
import { customerMonths } from '../../src/query/use-cases/customer-months.ts';
import { CUSTOMER_MONTHLY_TOTALS_TABLE, ROLLUP_INPUT_SNAPSHOT_KEY } from '../../src/query/use-cases/customer-monthly-totals-table.ts';
import { runCli } from '../support/cli.ts';

const COMMITS = 40;
const ROWS_PER_COMMIT = 30;
const START = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z
const SIX_HOURS = 21_600_000_000n;
/** Mid-October 2026: the data runs from January to late October. */
const NOW = new Date('2026-10-15T12:00:00Z');
const CUSTOMERS = 7n;

/**
 * A streaming-shaped invoices table (40 commits of 30 invoices in id and time
 * order, six hours apart: more files than commits, month partitions), read
 * by the use cases and by pruned queries, each compared with the same
 * question answered over every file.
 */
describe('use cases and SQL pruning over a lake', () => {
  let root: string;
  let lake: Lake;
  let invoices: LakeTable;
  let loaded: LoadedTable;
  let id = 1n;

  const openSession = () => LakeQuery.open(lake);
  async function commitInvoices(count: number): Promise<void> {
    const buffer = new ColumnBuffer(INVOICES_TABLE);
    for (let row = 0; row < count; row++, id++) {
      const issueDate = START + (id - 1n) * SIX_HOURS;
      // Amounts with cents; issuer and receiver cycle so that every customer sends and receives, sometimes to itself.
      buffer.append([id, issueDate, 1n + (id % CUSTOMERS), 1n + ((id * 3n) % CUSTOMERS), id * 100n + 7n, Number(id % 100n) / 100, 'm@1#abc', id, issueDate]);
    }
    loaded = (await invoices.append(loaded, await writeDataFiles(invoices, buffer), { 'invoice-lake.source-lsn': `0/${id.toString(16)}` })).table;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'invoice-lake-use-cases-'));
    const storage = new LocalStorage(root);
    invoices = new LakeTable({ storage, catalog: new FilesystemCatalog(storage) }, { namespace: 'lake', definition: INVOICES_TABLE });
    await invoices.ensureCreated();
    loaded = await invoices.load();
    for (let commit = 0; commit < COMMITS; commit++) await commitInvoices(ROWS_PER_COMMIT);
    lake = await openLake({ lake: root, catalog: 'filesystem', catalogUrl: undefined, catalogName: 'x', catalogSchema: 'x', namespace: 'lake' });
  });
  afterAll(async () => {
    await lake?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('use case 1 reads exactly one data file of many and returns the invoice exactly', async () => {
    const session = await openSession();
    try {
      const totalFiles = session.views.find((view) => view.name === 'invoices')!.dataFiles;
      expect(totalFiles).toBeGreaterThan(COMMITS);
      for (const wanted of [1n, 517n, BigInt(COMMITS * ROWS_PER_COMMIT)]) {
        const found = await lookUpInvoice(session, wanted);
        expect(found.filesRead).toBe(1);
        expect(found.filesConsidered).toBe(totalFiles);
        const issueDate = new Date(Number((START + (wanted - 1n) * SIX_HOURS) / 1000n)).toISOString().replace('T', ' ').replace('.000Z', '+00');
        expect(found.invoice).toMatchObject({
          invoice_id: String(wanted),
          issue_date: issueDate,
          issuer_id: String(1n + (wanted % CUSTOMERS)),
          amount: ((Number(wanted) * 100 + 7) / 100).toFixed(2),
          risk_score: Number(wanted % 100n) / 100,
          risk_model: 'm@1#abc',
        });
      }
      const missing = await lookUpInvoice(session, 999_999n);
      expect(missing.invoice).toBeUndefined();
      expect(missing.filesRead).toBe(0);
    } finally {
      session.close();
    }
  });

  it('pruned SQL reads fewer files and returns the same rows as the unpruned SQL', async () => {
    const queries = [
      'SELECT invoice_id, amount FROM invoices WHERE invoice_id BETWEEN 100 AND 130 ORDER BY 1',
      "SELECT issuer_id, count(*), sum(amount) FROM invoices WHERE issue_date >= TIMESTAMPTZ '2026-03-01' AND issue_date < DATE '2026-05-01' GROUP BY 1 ORDER BY 1",
      "SELECT count(*) FROM invoices i WHERE '2026-06-30 18:00:00' < i.issue_date AND i.invoice_id IN (700, 720, 800)",
      "SELECT count(*) FROM invoices WHERE issue_date > TIMESTAMPTZ '2026-07-31 18:00:00+00' AND issue_date <= TIMESTAMPTZ '2026-08-01 00:00:00+00'",
    ];
    for (const sql of queries) {
      const plain = await openSession();
      const pruned = await openSession();
      try {
        const expected = await plain.run(sql);
        const [report] = await restrictViewsForSql(pruned, sql);
        expect(report!.table).toBe('invoices');
        expect(report!.filesRead, sql).toBeLessThan(report!.filesConsidered);
        expect(report!.filesRead, sql).toBeGreaterThan(0);
        expect((await pruned.run(sql)).rows, sql).toEqual(expected.rows);
        expect(expected.rows.length).toBeGreaterThan(0);
      } finally {
        plain.close();
        pruned.close();
      }
    }
  });

  it('leaves a table whole when the SQL gives no safe filter', async () => {
    const session = await openSession();
    try {
      const sql = 'SELECT count(*) FROM invoices a JOIN invoices b ON a.invoice_id = b.invoice_id + 1 WHERE a.invoice_id = 5';
      const [report] = await restrictViewsForSql(session, sql);
      expect(report).toMatchObject({ table: 'invoices', filter: [] });
      expect(report!.filesRead).toBe(report!.filesConsidered);
      expect((await session.run(sql)).rows).toEqual([['1']]);
    } finally {
      session.close();
    }
  });

  it('query --verbose reports files considered and read, with the rows of the unpruned query', async () => {
    const env = { LAKE: root, CATALOG: 'filesystem', DATABASE_URL: undefined, CATALOG_URL: undefined };
    const sql = 'SELECT invoice_id, amount::VARCHAR AS amount FROM invoices WHERE invoice_id >= 1190 ORDER BY 1';
    const verbose = await runCli(['query', sql, '--format', 'json', '--verbose'], env);
    expect(verbose.code).toBe(0);
    const line = /invoices: read (\d+) of (\d+) data files considered \(pruned on invoice_id >= 1190\)/.exec(verbose.stderr);
    expect(line, verbose.stderr).not.toBeNull();
    expect(Number(line![1])).toBeLessThan(Number(line![2]));
    const rows = JSON.parse(verbose.stdout) as Array<{ invoice_id: string; amount: string }>;
    expect(rows.map((row) => row.invoice_id)).toEqual(Array.from({ length: 11 }, (_, i) => String(1190 + i)));
    expect(rows[0]!.amount).toBe('1190.07');
  });

  it('use case 2 answers from invoices, then from a fresh rollup with the same numbers, then from invoices again once it is stale', async () => {
    const customer = 3n;
    let session = await openSession();
    const fromInvoices = await customerMonths(lake, session, customer, 4, NOW);
    session.close();
    expect(fromInvoices.source).toBe('invoices');
    expect(fromInvoices.reason).toMatch(/customer_monthly_totals does not exist/);
    expect(fromInvoices.rows.map((row) => row.month)).toEqual(['2026-07', '2026-08', '2026-09', '2026-10']);
    expect(fromInvoices.filesRead).toBeLessThan(fromInvoices.filesConsidered);

    // The answer over every file, independently: DuckDB over the whole table with a plain GROUP BY.
    session = await openSession();
    const { rows: expected } = await session.run(
      `SELECT strftime(date_trunc('month', issue_date), '%Y-%m') AS m,
              count(*) FILTER (WHERE issuer_id = 3)::VARCHAR, coalesce(sum(amount) FILTER (WHERE issuer_id = 3), 0)::DECIMAL(38,2)::VARCHAR,
              count(*) FILTER (WHERE receiver_id = 3)::VARCHAR, coalesce(sum(amount) FILTER (WHERE receiver_id = 3), 0)::DECIMAL(38,2)::VARCHAR
         FROM invoices WHERE issue_date >= TIMESTAMPTZ '2026-07-01' AND issue_date < TIMESTAMPTZ '2026-11-01' GROUP BY 1 ORDER BY 1`,
    );
    session.close();
    // Only three months hold invoices (the data ends in October, on the 26th): the fourth comes from the rows, zeros where none.
    const byMonth = new Map(expected.map((row) => [row[0], row.slice(1)]));
    expect(fromInvoices.rows.map((row) => [row.sent_count, row.sent_amount, row.received_count, row.received_amount])).toEqual(
      fromInvoices.rows.map((row) => byMonth.get(row.month) ?? ['0', '0.00', '0', '0.00']),
    );
    expect(fromInvoices.rows.some((row) => row.sent_count !== '0')).toBe(true);

    const rollup = await writeRollup(loaded.metadata.currentSnapshotId!);
    session = await openSession();
    const fromRollup = await customerMonths(lake, session, customer, 4, NOW);
    session.close();
    expect(fromRollup.source).toBe('customer_monthly_totals');
    expect(fromRollup.reason).toMatch(/fresh/);
    expect(fromRollup.rows).toEqual(fromInvoices.rows);
    // Read from the rollup's files (one per month), not from invoices'.
    expect(fromRollup.filesConsidered).toBe(rollup.files);
    expect(fromRollup.filesRead).toBe(4);

    await commitInvoices(3);
    session = await openSession();
    const afterNewCommit = await customerMonths(lake, session, customer, 4, NOW);
    session.close();
    expect(afterNewCommit.source).toBe('invoices');
    expect(afterNewCommit.reason).toMatch(/stale: it has processed invoices snapshot \d+, the current one is \d+/);
  });

  /** The rollup as the job would write it, computed by DuckDB from invoices, one file per month, recording the invoices snapshot. */
  async function writeRollup(invoicesSnapshotId: bigint) {
    const storage = new LocalStorage(root);
    const table = new LakeTable({ storage, catalog: new FilesystemCatalog(storage) }, { namespace: 'lake', definition: CUSTOMER_MONTHLY_TOTALS_TABLE });
    await table.ensureCreated();
    const session = await openSession();
    const buffer = new ColumnBuffer(CUSTOMER_MONTHLY_TOTALS_TABLE);
    try {
      const { rows } = await session.run(
        `WITH sides AS (
           SELECT issuer_id AS customer_id, date_trunc('month', issue_date) AS month, 1 AS sent, amount AS sent_amount, 0 AS received, 0 AS received_amount FROM invoices
           UNION ALL
           SELECT receiver_id, date_trunc('month', issue_date), 0, 0, 1, amount FROM invoices)
         SELECT customer_id::VARCHAR, epoch_us(month)::VARCHAR, sum(sent)::VARCHAR, (sum(sent_amount) * 100)::BIGINT::VARCHAR,
                sum(received)::VARCHAR, (sum(received_amount) * 100)::BIGINT::VARCHAR
           FROM sides GROUP BY customer_id, month ORDER BY month, customer_id`,
      );
      for (const row of rows) buffer.append(row.map((cell) => BigInt(String(cell))));
    } finally {
      session.close();
    }
    const files = await writeDataFiles(table, buffer);
    await table.append(await table.load(), files, { [ROLLUP_INPUT_SNAPSHOT_KEY]: String(invoicesSnapshotId) });
    return { files: files.length };
  }
});
